"""The term report's counts per village committee, read from the database.

Only where the district has a project that uses committees
(`AidProject.uses_committees`); otherwise None, and the report has no such
section. A student counts under the committee of their residence on record
(`Student.committee`), or under none. Four aggregate queries, whatever the
number of awards; part of `workers.reporting.collect.term_rows`.
"""

from django.db.models import Count, F, Q

from donations.models import AidProject, Award, AwardStatus, Disbursement, ReviewState
from donations.selectors.totals import PAYMENT_STANDS
from mentoring.models import District, Term, VillageCommittee
from workers.reporting.aggregates import plain_rows, sum_or_zero


def committee_rows(*, term: Term, school_ids: list[int], district: District) -> dict | None:
    if not AidProject.objects.filter(district=district, uses_committees=True).exists():
        return None
    awards = Award.objects.filter(
        term=term, student__school__in=school_ids, project__uses_committees=True
    ).exclude(status=AwardStatus.CANCELLED)
    by_committee = plain_rows(
        awards.values(committee=F("student__committee_id"))
        .annotate(
            # 人数 per committee: a student with two such projects counts once.
            students=Count("student", distinct=True),
            awards=Count("pk"),
            amount_fen=sum_or_zero("amount_fen"),
            approved=Count("pk", filter=Q(committee_review__state=ReviewState.APPROVED)),
        )
        .order_by()
    )
    paid = plain_rows(
        Disbursement.objects.filter(PAYMENT_STANDS, award__in=awards)
        .values(committee=F("award__student__committee_id"))
        .annotate(paid_fen=sum_or_zero("amount_fen"))
        .order_by()
    )
    return {
        "projects": sorted(
            AidProject.objects.filter(district=district, uses_committees=True).values_list(
                "code", flat=True
            )
        ),
        "committees": plain_rows(
            VillageCommittee.objects.filter(district=district)
            .order_by("code")
            .values("id", "code", "name", "kind")
        ),
        "rows": by_committee,
        "paid": paid,
    }
