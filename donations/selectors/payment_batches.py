"""Which payment batches a user sees: those of the schools they administer, with their counts."""

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from core.permissions import is_active_account
from donations.models import PaymentBatch, PaymentBatchRow, PaymentRowStatus
from mentoring.models import User
from mentoring.selectors.accounts import schools_administered_by


def payment_batches_visible_to(user: User, *, with_rows: bool = False) -> QuerySet[PaymentBatch]:
    """Administrators of the batch's school; everyone else sees none (a 404).

    `with_rows` loads the rows and their students too (two queries in all).
    """
    if not is_active_account(user):
        return PaymentBatch.objects.none()
    batches = (
        PaymentBatch.objects.filter(school__in=schools_administered_by(user))
        .select_related("school", "project", "term", "created_by")
        .annotate(
            row_count=Count("rows"),
            due_count=Count("rows", filter=Q(rows__status=PaymentRowStatus.DUE)),
            paid_count=Count("rows", filter=Q(rows__status=PaymentRowStatus.PAID)),
            failed_count=Count("rows", filter=Q(rows__status=PaymentRowStatus.FAILED)),
            total_fen=Coalesce(Sum("rows__amount_fen"), 0),
            paid_fen=Coalesce(
                Sum("rows__amount_fen", filter=Q(rows__status=PaymentRowStatus.PAID)), 0
            ),
        )
        .order_by("-created_at", "-pk")
    )
    if with_rows:
        rows = PaymentBatchRow.objects.select_related("award__student").order_by("number")
        batches = batches.prefetch_related(Prefetch("rows", queryset=rows))
    return batches
