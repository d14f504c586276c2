"""Schools and terms: the frame every other record sits in."""

import datetime
import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from mentoring.errors import DomainError, NotPermitted
from mentoring.models import District, School, Term, User
from mentoring.selectors.accounts import schools_administered_by

TERM_CODE = re.compile(r"^(?P<year>\d{4})-(spring|autumn)$")
SCHOOL_YEAR = re.compile(r"^(?P<first>\d{4})-(?P<second>\d{4})$")


def administers_district(user: User, district: District) -> bool:
    """A platform administrator, or an administrator of every school in the district."""
    if user.is_superuser:
        return True
    school_ids = set(district.schools.values_list("pk", flat=True))
    if not school_ids:
        return False
    administered = set(
        schools_administered_by(user).filter(pk__in=school_ids).values_list("pk", flat=True)
    )
    return administered == school_ids


def _validate_term(
    *, code: str, school_year: str, start_date, end_date, holiday_weeks: list[str]
) -> list[str]:
    match = TERM_CODE.match(code)
    if not match:
        raise DomainError(_("Use the form YYYY-spring or YYYY-autumn."), field="code")
    year = SCHOOL_YEAR.match(school_year)
    if not year or int(year["second"]) != int(year["first"]) + 1:
        raise DomainError(_("Use the form YYYY-YYYY with consecutive years."), field="school_year")
    if end_date <= start_date:
        raise DomainError(_("The term must end after it starts."), field="end_date")
    if (end_date - start_date).days > 200:
        raise DomainError(_("A term lasts at most 200 days."), field="end_date")
    weeks = []
    for raw in holiday_weeks:
        try:
            monday = datetime.date.fromisoformat(raw)
        except (TypeError, ValueError):
            raise DomainError(
                _("%(value)s is not a date (YYYY-MM-DD).") % {"value": raw}, field="holiday_weeks"
            ) from None
        if monday.weekday() != 0:
            raise DomainError(
                _("%(value)s is not a Monday; give the Monday of each holiday week.")
                % {"value": raw},
                field="holiday_weeks",
            )
        if not (start_date - datetime.timedelta(days=6) <= monday <= end_date):
            raise DomainError(
                _("%(value)s is outside the term.") % {"value": raw}, field="holiday_weeks"
            )
        weeks.append(monday.isoformat())
    return sorted(set(weeks))


@transaction.atomic
def term_create(
    *,
    by: User,
    district: District,
    code: str,
    school_year: str,
    start_date: datetime.date,
    end_date: datetime.date,
    holiday_weeks: list[str] | None = None,
) -> Term:
    if not administers_district(by, district):
        raise NotPermitted(
            _("Only a district administrator can set the district's terms."), field="district"
        )
    weeks = _validate_term(
        code=code,
        school_year=school_year,
        start_date=start_date,
        end_date=end_date,
        holiday_weeks=holiday_weeks or [],
    )
    try:
        with transaction.atomic():
            return Term.objects.create(
                district=district,
                code=code,
                school_year=school_year,
                start_date=start_date,
                end_date=end_date,
                holiday_weeks=weeks,
            )
    except IntegrityError:
        raise DomainError(
            _("This district already has a term with this code."), field="code"
        ) from None


@transaction.atomic
def term_update(*, by: User, term: Term, **fields) -> Term:
    if not administers_district(by, term.district):
        raise NotPermitted(_("Only a district administrator can set the district's terms."))
    values = {
        "code": term.code,
        "school_year": term.school_year,
        "start_date": term.start_date,
        "end_date": term.end_date,
        "holiday_weeks": term.holiday_weeks,
        **fields,
    }
    weeks = _validate_term(**values)
    values["holiday_weeks"] = weeks
    for name, value in values.items():
        setattr(term, name, value)
    try:
        with transaction.atomic():
            term.save()
    except IntegrityError:
        raise DomainError(
            _("This district already has a term with this code."), field="code"
        ) from None
    return term


@transaction.atomic
def school_create(*, by: User, code: str, name: str, level: str, district: District) -> School:
    if not by.is_superuser:
        raise NotPermitted(_("Only a platform administrator can add schools."))
    if School.objects.filter(code=code).exists():
        raise DomainError(_("A school with this code exists."), field="code")
    return School.objects.create(code=code, name=name, level=level, district=district)
