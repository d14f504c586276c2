"""Districts: added and changed by platform administrators, through the API or the admin.

A district's code names it everywhere (filters, the public donation notice),
so it is set once, when the district is added. Its tiers are the codes its
assessments and aid projects are written in: a tier still in use cannot be
dropped (renaming it, i.e. a new name for the same code, is fine).

Every check runs to the end, so one answer names every bad field, and
nothing is written when any fails.
"""

import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.errors import DomainError, NotPermitted, ValidationErrors, checked
from mentoring.models import Assessment, District, User
from mentoring.models.people import tier_problems
from mentoring.outcomes import NOT_IN_HARDSHIP

# The columns that hold a tier code (Assessment.tier, ProjectStandard.tier) are this long.
TIER_CODE_LENGTH = Assessment._meta.get_field("tier").max_length
# The constraints of District (`district_notice_at_least_5_days`, `..._age_at_most_20`).
MIN_NOTICE_WORKING_DAYS = 5
MAX_SAME_GENDER_AGE = 20
# The complaint line (举报电话) printed on public notices: 0816-1234567, 12345.
COMPLAINT_PHONE = re.compile(r"[0-9][0-9 -]{1,28}[0-9]")


def _require_platform_admin(by: User) -> None:
    if not (by.is_active and by.is_superuser):
        raise NotPermitted(_("Only a platform administrator can add or change districts."))


def tiers_in_use(district: District) -> set[str]:
    """The tier codes the district's assessments, projects and project standards are written in."""
    used = set(
        Assessment.objects.filter(student__school__district=district)
        .exclude(tier="")
        .order_by()
        .values_list("tier", flat=True)
        .distinct()
    )
    # Named through the reverse relations: mentoring does not import donations.
    for tiers in district.aid_projects.order_by().values_list("tiers", flat=True):
        used.update(tier for tier in tiers or [] if isinstance(tier, str))
    used.update(
        tier
        for tier in district.aid_projects.order_by()
        .values_list("standards__tier", flat=True)
        .distinct()
        if tier
    )
    used.discard(NOT_IN_HARDSHIP)
    return used


def district_problems(
    errors: ValidationErrors,
    *,
    district: District | None,
    code: str | None = None,
    name: str | None = None,
    tiers: list | None = None,
    notice_working_days: int | None = None,
    same_gender_from_age: int | None = None,
    complaint_phone: str | None = None,
) -> None:
    """Add to `errors` everything wrong with these fields of a new (`district` None) or a
    changed district. A value None is not checked (left out, or refused already);
    `same_gender_from_age` None means "no such rule" and is valid.
    """
    if complaint_phone and not COMPLAINT_PHONE.fullmatch(complaint_phone):
        errors.add(
            "complaint_phone",
            _("Give the complaint line as a phone number (digits, - and spaces), or none."),
        )
    if code is not None:
        if not code.strip():
            errors.add("code", _("Give the district's code."))
        elif District.objects.filter(code=code).exclude(pk=getattr(district, "pk", None)).exists():
            errors.add("code", _("A district with this code exists."))
    if name is not None and not name.strip():
        errors.add("name", _("Give the district's name."))
    if tiers is not None:
        problems = tier_problems(tiers)
        for message in problems:
            errors.add("tiers", message)
        if not problems:
            codes = [tier["code"] for tier in tiers]
            for tier_code in codes:
                if len(tier_code) > TIER_CODE_LENGTH or tier_code == NOT_IN_HARDSHIP:
                    errors.add(
                        "tiers",
                        _("%(code)s cannot be a tier code (at most %(length)s characters).")
                        % {"code": tier_code, "length": TIER_CODE_LENGTH},
                    )
            if district is not None:
                for dropped in sorted(tiers_in_use(district) - set(codes)):
                    errors.add(
                        "tiers",
                        _("The tier %(code)s is in use by assessments or aid projects; keep it.")
                        % {"code": dropped},
                    )
    if notice_working_days is not None and notice_working_days < MIN_NOTICE_WORKING_DAYS:
        errors.add(
            "notice_working_days",
            _("A public notice lasts at least %(days)s working days.")
            % {"days": MIN_NOTICE_WORKING_DAYS},
        )
    if same_gender_from_age is not None and same_gender_from_age > MAX_SAME_GENDER_AGE:
        errors.add(
            "same_gender_from_age",
            _("Give an age of at most %(age)s, or none for no such rule.")
            % {"age": MAX_SAME_GENDER_AGE},
        )


def district_create_problems(errors: ValidationErrors, *, by: User, **fields) -> None:
    """The checks of a new district; a user who is not a platform administrator gets 403."""
    _require_platform_admin(by)
    district_problems(errors, district=None, **fields)


@transaction.atomic
def district_create(
    *,
    by: User,
    code: str,
    name: str,
    tiers: list | None = None,
    notice_working_days: int = MIN_NOTICE_WORKING_DAYS,
    same_gender_from_age: int | None = 12,
    complaint_phone: str = "",
) -> District:
    """Add a district; with no tiers given, the usual three (`default_tiers`)."""
    fields = {
        "code": code,
        "name": name,
        "notice_working_days": notice_working_days,
        "same_gender_from_age": same_gender_from_age,
        "complaint_phone": complaint_phone.strip(),
    }
    if tiers is not None:
        fields["tiers"] = tiers
    checked(district_create_problems, by=by, **fields)
    try:
        with transaction.atomic():
            return District.objects.create(**fields)
    except IntegrityError:
        # Another request added the same code between the check and the insert.
        raise DomainError(_("A district with this code exists."), field="code") from None


def district_update_problems(
    errors: ValidationErrors, *, by: User, district: District, **fields
) -> None:
    """The checks of a change; a user who is not a platform administrator gets 403.

    The code is not among the fields: it is set when the district is added.
    """
    _require_platform_admin(by)
    if fields.pop("code", district.code) != district.code:
        errors.add("code", _("A district's code cannot change."))
    district_problems(errors, district=district, **fields)


@transaction.atomic
def district_update(*, by: User, district: District, **fields) -> District:
    """Change a district's name, tiers, public-notice period, safeguarding age or complaint line."""
    _require_platform_admin(by)
    # Locked, so that two changes of one district are checked one after the other.
    district = District.objects.select_for_update().get(pk=district.pk)
    checked(district_update_problems, by=by, district=district, **fields)
    fields.pop("code", None)
    for name, value in fields.items():
        setattr(district, name, value)
    district.save()
    return district
