"""The awards that go through a village committee's review, as each administrator sees them."""

from django.db.models import QuerySet

from core.permissions import is_active_account
from donations.models import Award, AwardStatus
from mentoring.models import User
from mentoring.selectors.accounts import schools_administered_by


def committee_awards_visible_to(user: User) -> QuerySet[Award]:
    """Awards (not cancelled) of projects that use committees, in the schools `user` administers,
    with their review, student and committee joined."""
    if not is_active_account(user):
        return Award.objects.none()
    return (
        Award.objects.filter(
            project__uses_committees=True, student__school__in=schools_administered_by(user)
        )
        .exclude(status=AwardStatus.CANCELLED)
        .select_related(
            "project",
            "term",
            "student__school",
            "student__committee",
            "committee_review__committee",
            "committee_review__recorded_by",
            "committee_review__approved_by",
        )
    )
