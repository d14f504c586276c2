"""Schools and terms: the frame every other record sits in."""

import datetime
import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.errors import DomainError, NotPermitted, ValidationErrors, checked
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


def _term_problems(
    errors: ValidationErrors,
    *,
    code: str | None,
    school_year: str | None,
    start_date: datetime.date | None,
    end_date: datetime.date | None,
    holiday_weeks: list[str] | None,
) -> list[str]:
    """Add to `errors` everything wrong with a term's fields; answers its holiday weeks' Mondays.

    Every field is checked, so one answer names them all; a value None is not
    checked (left out, or refused already by the caller).
    """
    if code is not None and not TERM_CODE.match(code):
        errors.add("code", _("Use the form YYYY-spring or YYYY-autumn."))
    if school_year is not None:
        year = SCHOOL_YEAR.match(school_year)
        if not year or int(year["second"]) != int(year["first"]) + 1:
            errors.add("school_year", _("Use the form YYYY-YYYY with consecutive years."))
    dates_known = start_date is not None and end_date is not None
    if dates_known and end_date <= start_date:
        errors.add("end_date", _("The term must end after it starts."))
    elif dates_known and (end_date - start_date).days > 200:
        errors.add("end_date", _("A term lasts at most 200 days."))
    weeks = []
    for raw in holiday_weeks or []:
        try:
            monday = datetime.date.fromisoformat(raw)
        except (TypeError, ValueError):
            errors.add("holiday_weeks", _("%(value)s is not a date (YYYY-MM-DD).") % {"value": raw})
            continue
        if monday.weekday() != 0:
            errors.add(
                "holiday_weeks",
                _("%(value)s is not a Monday; give the Monday of each holiday week.")
                % {"value": raw},
            )
        elif dates_known and not (start_date - datetime.timedelta(days=6) <= monday <= end_date):
            errors.add("holiday_weeks", _("%(value)s is outside the term.") % {"value": raw})
        else:
            weeks.append(monday.isoformat())
    return sorted(set(weeks))


def term_create_problems(
    errors: ValidationErrors,
    *,
    by: User,
    district: District | None,
    code: str | None,
    school_year: str | None,
    start_date: datetime.date | None,
    end_date: datetime.date | None,
    holiday_weeks: list[str] | None = None,
) -> list[str]:
    """Add to `errors` everything wrong with this new term; answers its holiday weeks.

    A user who does not administer the district is refused outright (403).
    """
    if district is not None and not administers_district(by, district):
        raise NotPermitted(
            _("Only a district administrator can set the district's terms."), field="district"
        )
    return _term_problems(
        errors,
        code=code,
        school_year=school_year,
        start_date=start_date,
        end_date=end_date,
        holiday_weeks=holiday_weeks,
    )


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
    """Add a term to a district; every field is checked, all that is wrong refused at once."""
    weeks = checked(
        term_create_problems,
        by=by,
        district=district,
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
    weeks = checked(_term_problems, **values)
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
