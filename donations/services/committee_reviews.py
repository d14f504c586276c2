"""The village committee's review of an award, then the district's approval (村(居)委会联审).

For a project that uses committees, each award goes through a small state
machine before it can be paid:

    pending --agree--> agreed --approve--> approved (paid from here on)
    pending --disagree--> disagreed --agree / disagree--> (a new review)

The committee of the student's residence reviews; an administrator of the
student's school or of the district records its review on its behalf
(reviewers, date, decision, a note, required when it disagrees). Only the
district's administrators approve, and only what the committee agreed. An
award the committee would not agree to is cancelled as any other
(`award_cancel`). Every other move is refused (409) and changes nothing;
a project that does not use committees has no such stage, and its awards
are paid as before (`committee_payment_refusal` answers None).

`REVIEW_MOVES` is the one table of the moves; the services below and the
payment check read it.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, DomainError, NotPermitted, ValidationErrors, checked
from donations.models import (
    Award,
    AwardStatus,
    CommitteeReview,
    ReviewDecision,
    ReviewState,
)
from mentoring.models import User
from mentoring.selectors.accounts import schools_administered_by
from mentoring.services.schools import administers_district

PENDING, AGREED, DISAGREED, APPROVED = (
    ReviewState.PENDING,
    ReviewState.AGREED,
    ReviewState.DISAGREED,
    ReviewState.APPROVED,
)
AGREE, DISAGREE, APPROVE = ReviewDecision.AGREE, ReviewDecision.DISAGREE, "approve"
MOVES = (AGREE, DISAGREE, APPROVE)

# (move, state it starts from) → the state it leads to. Nothing else moves.
REVIEW_MOVES: dict[tuple[str, str], str] = {
    (AGREE, PENDING): AGREED,
    (DISAGREE, PENDING): DISAGREED,
    # The committee meets again on an award it did not agree to.
    (AGREE, DISAGREED): AGREED,
    (DISAGREE, DISAGREED): DISAGREED,
    (APPROVE, AGREED): APPROVED,
}

MAX_REVIEWERS = 20
MAX_NAME_LENGTH = 50
MAX_NOTE_LENGTH = 2000


def review_state_of(award: Award) -> str:
    """Where the award stands: its review's state, pending when the committee has not reviewed."""
    review = getattr(award, "committee_review", None)
    return review.state if review is not None else PENDING


def review_move(state: str, move: str) -> str:
    """The state `move` leads to from `state`, or 409 saying why it is not allowed."""
    after = REVIEW_MOVES.get((move, state))
    if after is not None:
        return after
    if move == APPROVE:
        message = {
            PENDING: _("The committee has not reviewed this award yet."),
            DISAGREED: _("The committee did not agree to this award; it cannot be approved."),
            APPROVED: _("The district has approved this award already."),
        }[state]
    else:
        message = {
            AGREED: _("The committee has agreed to this award already."),
            APPROVED: _("The district has approved this award already."),
        }[state]
    raise Conflict(message, field="award", extra={"state": state})


def _award_for_review(by: User, award_id: int) -> Award:
    """The award locked, if `by` administers its student's school; refused when it has no stage."""
    award = (
        Award.objects.select_for_update(of=("self",))
        .filter(pk=award_id, student__school__in=schools_administered_by(by))
        .select_related("project__district", "student")
        .first()
    )
    if award is None:
        raise DomainError(_("Unknown award."), field="award")
    if not award.project.uses_committees:
        raise Conflict(_("This award's project does not use village committees."), field="award")
    if award.status == AwardStatus.CANCELLED:
        raise Conflict(_("This award was cancelled."), field="award")
    return award


def committee_review_problems(
    errors: ValidationErrors,
    *,
    reviewers: list[str] | None,
    reviewed_on: datetime.date | None,
    decision: str | None,
    note: str | None,
) -> None:
    """Add to `errors` everything wrong with a review's inputs (a value None is not checked).

    One to twenty reviewers, each named; the date not in the future; a
    decision of agree or disagree; a note saying why when the committee
    disagrees.
    """
    if reviewers is not None:
        names = [name.strip() if isinstance(name, str) else "" for name in reviewers]
        if not 1 <= len(names) <= MAX_REVIEWERS:
            errors.add(
                "reviewers",
                _("Name 1 to %(max)s members of the committee who reviewed.")
                % {"max": MAX_REVIEWERS},
            )
        for i, name in enumerate(names):
            if not name or len(name) > MAX_NAME_LENGTH:
                errors.add(
                    f"reviewers[{i}]",
                    _("A reviewer's name has 1 to %(max)s characters.") % {"max": MAX_NAME_LENGTH},
                )
    if reviewed_on is not None and reviewed_on > timezone.localdate():
        errors.add("reviewed_on", _("A review cannot be dated in the future."))
    if decision is not None and decision not in ReviewDecision.values:
        errors.add("decision", _("The decision is agree or disagree."))
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        errors.add("note", _("At most %(max)s characters.") % {"max": MAX_NOTE_LENGTH})
    elif decision == DISAGREE and not (note or "").strip():
        errors.add("note", _("Say why the committee does not agree."))


@transaction.atomic
def committee_review_record(
    *,
    by: User,
    award_id: int,
    reviewers: list[str],
    reviewed_on: datetime.date,
    decision: str,
    note: str = "",
) -> CommitteeReview:
    """Record the committee's review of an award on its behalf (administrators of the school or
    the district). The committee is the student's, read now and kept on the review.
    """
    checked(
        committee_review_problems,
        reviewers=reviewers,
        reviewed_on=reviewed_on,
        decision=decision,
        note=note,
    )
    award = _award_for_review(by, award_id)
    review = CommitteeReview.objects.select_for_update().filter(award=award).first()
    state = review_move(review.state if review else PENDING, decision)
    if award.student.committee_id is None:
        raise Conflict(
            _("The student has no village committee on record; give it first."), field="award"
        )
    review = review or CommitteeReview(award=award)
    review.state = state
    review.committee_id = award.student.committee_id
    review.reviewers = [name.strip() for name in reviewers]
    review.reviewed_on = reviewed_on
    review.decision = decision
    review.note = (note or "").strip()
    review.recorded_by = by
    review.recorded_at = timezone.now()
    review._history_user = by
    review.save()
    return review


@transaction.atomic
def committee_review_approve(*, by: User, award_id: int) -> CommitteeReview:
    """The district approves an award its committee agreed to; district administrators only."""
    award = _award_for_review(by, award_id)
    if not administers_district(by, award.project.district):
        raise NotPermitted(_("Only the district's administrators approve awards."))
    review = CommitteeReview.objects.select_for_update().filter(award=award).first()
    review_move(review.state if review else PENDING, APPROVE)
    review.state = APPROVED
    review.approved_by = by
    review.approved_at = timezone.now()
    review._history_user = by
    review.save(update_fields=["state", "approved_by", "approved_at"])
    return review


def committee_payment_refusal(award: Award) -> str | None:
    """Why the award cannot be paid yet by the committees' rule, or None (one query).

    An award of a project that uses committees is paid only once the district
    approved it; any other award is not held here.
    """
    held = (
        Award.objects.filter(pk=award.pk, project__uses_committees=True)
        .exclude(committee_review__state=APPROVED)
        .exists()
    )
    if not held:
        return None
    return _(
        "This award's project goes through village committees: the committee's review and the "
        "district's approval come before payment."
    )
