"""The year report's own database part: the students aided over the whole school year.

Every other figure of a year report is its terms' (each read as the term
report reads it, `workers.reporting.collect`) added up; only 人数 cannot be
added, since a student aided in both terms is one student. Three aggregate
queries, whatever the number of awards.
"""

from django.db.models import Count, F

from donations.models import Award, AwardStatus
from mentoring.models import School, Term
from workers.reporting.aggregates import plain_rows


def aided_in_year(*, terms: list[Term], schools: list[School]) -> dict:
    """Distinct students with an award (not cancelled) in any of `terms`, at `schools`:
    in all, per school code and per project code; and how many awards that is (人次)."""
    awards = Award.objects.filter(
        term__in=[term.pk for term in terms], student__school__in=[s.pk for s in schools]
    ).exclude(status=AwardStatus.CANCELLED)
    total = awards.aggregate(students=Count("student", distinct=True), awards=Count("pk"))
    by_school = plain_rows(
        awards.values(code=F("student__school__code")).annotate(
            students=Count("student", distinct=True)
        )
    )
    by_project = plain_rows(
        awards.values(code=F("project__code")).annotate(students=Count("student", distinct=True))
    )
    return {
        "students": total["students"],
        "awards": total["awards"],
        "schools": {row["code"]: row["students"] for row in by_school},
        "projects": {row["code"]: row["students"] for row in by_project},
    }
