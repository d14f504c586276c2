"""The account census: how many active accounts hold each role, school by school."""

from core.jobs import Progress
from mentoring.models import School, User
from mentoring.selectors.accounts import (
    account_census,
    active_accounts_in,
    schools_administered_by,
)


def census_schools(*, school_id: int | None, by_id: int | None) -> list[School]:
    """The schools a census covers: its one school, else those its starter administers.

    A census no one started (the system's) covers every school.
    """
    if school_id is not None:
        return [School.objects.get(pk=school_id)]
    if by_id is not None:
        return list(schools_administered_by(User.objects.get(pk=by_id)))
    return list(School.objects.all())


def accounts_census(*, school_id: int | None, by_id: int | None, progress: Progress) -> dict:
    """Each covered school's active accounts per role, and the accounts counted once overall."""
    schools = census_schools(school_id=school_id, by_id=by_id)
    rows = []
    for done, school in enumerate(schools, start=1):
        rows.append({"school": school.code, "roles": account_census(school=school)})
        progress(done * 100 // len(schools))
    return {"schools": rows, "accounts": active_accounts_in(schools=schools)}
