"""Village and residents' committees of a district: added and changed by its administrators.

A district administrator administers every school of the district
(`administers_district`); a platform administrator, every district. Every
check runs to the end, so one answer names every bad field, and nothing is
written when any fails. A committee's district does not change: its quotas
and students are the district's.
"""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.errors import DomainError, NotPermitted, ValidationErrors, checked
from mentoring.models import CommitteeKind, District, User, VillageCommittee
from mentoring.selectors.scoping import districts_visible_to
from mentoring.services.schools import administers_district

CODE_LENGTH = VillageCommittee._meta.get_field("code").max_length
NAME_LENGTH = VillageCommittee._meta.get_field("name").max_length


def committee_problems(
    errors: ValidationErrors,
    *,
    by: User,
    committee: VillageCommittee | None,
    district_id: int | None = None,
    code: str | None = None,
    name: str | None = None,
    kind: str | None = None,
) -> District | None:
    """Add to `errors` everything wrong with a new (`committee` None) or a changed committee;
    answers the district. A value None is not checked.

    A district the user does not administer (or cannot see) is refused under
    `district` like one that does not exist, when they see it but do not
    administer it: 403 before anything else.
    """
    district = committee.district if committee is not None else None
    if committee is None and district_id is not None:
        district = districts_visible_to(by).filter(pk=district_id).first()
        if district is None:
            errors.add("district", _("Unknown district."))
    if district is not None and not administers_district(by, district):
        raise NotPermitted(_("Only the district's administrators add or change its committees."))
    if code is not None:
        if not code.strip():
            errors.add("code", _("Give the committee's code."))
        elif (
            district is not None
            and VillageCommittee.objects.filter(district=district, code=code.strip())
            .exclude(pk=getattr(committee, "pk", None))
            .exists()
        ):
            errors.add("code", _("The district has a committee with this code."))
    if name is not None and not name.strip():
        errors.add("name", _("Give the committee's name."))
    if kind is not None and kind not in CommitteeKind.values:
        errors.add("kind", _("A committee is a village or a residents' committee."))
    return district


@transaction.atomic
def committee_create(
    *, by: User, district_id: int, code: str, name: str, kind: str = CommitteeKind.VILLAGE
) -> VillageCommittee:
    district = checked(
        committee_problems,
        by=by,
        committee=None,
        district_id=district_id,
        code=code,
        name=name,
        kind=kind,
    )
    try:
        with transaction.atomic():
            return VillageCommittee.objects.create(
                district=district, code=code.strip(), name=name.strip(), kind=kind
            )
    except IntegrityError:
        raise DomainError(_("The district has a committee with this code."), field="code") from None


@transaction.atomic
def committee_update(*, by: User, committee: VillageCommittee, **fields) -> VillageCommittee:
    """Change a committee's code, name or kind (those given)."""
    checked(committee_problems, by=by, committee=committee, **fields)
    for field, value in fields.items():
        setattr(committee, field, value.strip() if field in ("code", "name") else value)
    try:
        with transaction.atomic():
            committee.save()
    except IntegrityError:
        raise DomainError(_("The district has a committee with this code."), field="code") from None
    return committee


def student_committee_problem(student_school_district_id: int, committee_id: int | None):
    """What is wrong with giving a student of that district this committee (None: nothing)."""
    if committee_id is None:
        return None
    if not VillageCommittee.objects.filter(
        pk=committee_id, district=student_school_district_id
    ).exists():
        return _("Unknown committee in the student's district.")
    return None


def roster_committees_resolve(rows: list, *, district_id: int, refuse) -> None:
    """Turn each roster row's committee code into the committee's id (one query for the file).

    A blank cell means no committee on record; a code the district does not
    list is refused with `refuse(row_number, header, message)`.
    """
    from mentoring.services.roster_columns import COMMITTEE_HEADER

    ids = dict(VillageCommittee.objects.filter(district=district_id).values_list("code", "pk"))
    for row in rows:
        if "committee_id" not in row.values:
            continue
        code = row.values["committee_id"]
        if not code:
            row.values["committee_id"] = None
        elif code in ids:
            row.values["committee_id"] = ids[code]
        else:
            del row.values["committee_id"]
            refuse(
                row.number,
                COMMITTEE_HEADER,
                _("No committee with this code in the term's district."),
            )
