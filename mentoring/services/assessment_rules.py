"""Which action the identification workflow allows in which state, for whom, and today.

One home for the rule: `TRANSITIONS` is the whole table of (status, action) →
next status and the roles that may act; `action_refusal` says why an action
the table allows must wait (a notice still running, an unanswered objection,
a review step whose investigation or committee decision is not recorded);
`allowed_actions` is what the API offers, and `check_action` is what every
service of the workflow (`mentoring.services.identification`, `.applications`
for the investigation, `.review_committees` for the decisions) accepts, so
what is offered and what is accepted cannot drift apart
(tests/mentoring/assessments/test_allowed_actions_walk.py walks them).
"""

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import Conflict, NotPermitted
from mentoring.models import Assessment, AssessmentStatus, Membership, Role, User
from mentoring.selectors.applications import review_prerequisite

FINAL_STATUSES = frozenset({AssessmentStatus.APPROVED, AssessmentStatus.REJECTED})


class Action:
    SUBMIT = "submit"
    REVIEW = "review"
    PUBLICIZE = "publicize"
    OBJECT = "object"
    ANSWER = "answer"
    APPROVE = "approve"
    REJECT = "reject"
    GOVERNMENT_LIST = "government_list"
    RECHECK = "recheck"
    # The class teacher's investigation with its home visit
    # (`mentoring.services.applications.investigation_record`), and a review committee's
    # decision (`mentoring.services.review_committees.committee_decide`): each records its
    # paper, then takes the review step it rests on.
    INVESTIGATE = "investigate"
    COMMITTEE_DECISION = "committee_decision"


ACTION_NAMES = {
    Action.SUBMIT: gettext_lazy("submit"),
    Action.REVIEW: gettext_lazy("review"),
    Action.PUBLICIZE: gettext_lazy("publicize"),
    Action.OBJECT: gettext_lazy("object"),
    Action.ANSWER: gettext_lazy("answer an objection"),
    Action.APPROVE: gettext_lazy("approve"),
    Action.REJECT: gettext_lazy("reject"),
    Action.GOVERNMENT_LIST: gettext_lazy("identify from a government list"),
    Action.RECHECK: gettext_lazy("re-check"),
    Action.INVESTIGATE: gettext_lazy("investigate"),
    Action.COMMITTEE_DECISION: gettext_lazy("record the committee's decision"),
}

# The order in which `allowed_actions` lists what may be done next. `review` is not
# offered: on every route that reaches it, the investigation and the committees'
# decisions record their paper and take that step themselves (the review alone waits
# for that record, `review_prerequisite`), so it is their actions that are offered.
ACTION_ORDER = [
    Action.INVESTIGATE,
    Action.COMMITTEE_DECISION,
    Action.PUBLICIZE,
    Action.OBJECT,
    Action.ANSWER,
    Action.APPROVE,
    Action.REJECT,
]

ADMINISTRATORS = frozenset({Role.ADMINISTRATOR})
# Teachers propose students and do the class teacher's investigation.
STAFF = frozenset({Role.ADMINISTRATOR, Role.TEACHER})
# Anyone with a role in the student's school may object to a public notice,
# supervisors included: that is what the notice is for.
SCHOOL_MEMBERS = frozenset(Role.values)


@dataclass(frozen=True)
class Transition:
    action: str
    source: str | None
    target: str
    roles: frozenset[str]


_TABLE = [
    Transition(Action.SUBMIT, None, AssessmentStatus.SUBMITTED, STAFF),
    Transition(Action.RECHECK, None, AssessmentStatus.SUBMITTED, STAFF),
    Transition(Action.REVIEW, AssessmentStatus.SUBMITTED, AssessmentStatus.INVESTIGATED, STAFF),
    Transition(
        Action.INVESTIGATE, AssessmentStatus.SUBMITTED, AssessmentStatus.INVESTIGATED, STAFF
    ),
    Transition(
        Action.COMMITTEE_DECISION,
        AssessmentStatus.INVESTIGATED,
        AssessmentStatus.CLASS_REVIEWED,
        ADMINISTRATORS,
    ),
    Transition(
        Action.COMMITTEE_DECISION,
        AssessmentStatus.CLASS_REVIEWED,
        AssessmentStatus.SCHOOL_REVIEWED,
        ADMINISTRATORS,
    ),
    Transition(
        Action.REVIEW,
        AssessmentStatus.INVESTIGATED,
        AssessmentStatus.CLASS_REVIEWED,
        ADMINISTRATORS,
    ),
    Transition(
        Action.REVIEW,
        AssessmentStatus.CLASS_REVIEWED,
        AssessmentStatus.SCHOOL_REVIEWED,
        ADMINISTRATORS,
    ),
    Transition(
        Action.PUBLICIZE,
        AssessmentStatus.SCHOOL_REVIEWED,
        AssessmentStatus.PUBLICIZED,
        ADMINISTRATORS,
    ),
    Transition(
        Action.OBJECT, AssessmentStatus.PUBLICIZED, AssessmentStatus.PUBLICIZED, SCHOOL_MEMBERS
    ),
    Transition(
        Action.ANSWER, AssessmentStatus.PUBLICIZED, AssessmentStatus.PUBLICIZED, ADMINISTRATORS
    ),
    Transition(
        Action.APPROVE, AssessmentStatus.PUBLICIZED, AssessmentStatus.APPROVED, ADMINISTRATORS
    ),
    Transition(Action.GOVERNMENT_LIST, None, AssessmentStatus.PROPOSED, ADMINISTRATORS),
    Transition(
        Action.APPROVE, AssessmentStatus.PROPOSED, AssessmentStatus.APPROVED, ADMINISTRATORS
    ),
    *[
        Transition(Action.REJECT, status, AssessmentStatus.REJECTED, ADMINISTRATORS)
        for status in AssessmentStatus.values
        if status not in FINAL_STATUSES
    ],
]
TRANSITIONS: dict[tuple[str | None, str], Transition] = {(t.source, t.action): t for t in _TABLE}


# Who may act


def roles_in_school(user: User, school_id: int) -> set[str]:
    """The user's roles in one school; a platform administrator administers every school."""
    if not (user and user.is_authenticated and user.is_active):
        return set()
    roles = set(
        Membership.objects.filter(user=user, school_id=school_id).values_list("role", flat=True)
    )
    if user.is_superuser:
        roles.add(Role.ADMINISTRATOR)
    return roles


def notice_running(assessment: Assessment, today: date) -> bool:
    return (
        assessment.status == AssessmentStatus.PUBLICIZED
        and assessment.notice_starts_on is not None
        and assessment.notice_starts_on <= today <= assessment.notice_ends_on
    )


def action_refusal(
    action: str, assessment: Assessment, today: date, unanswered: bool
) -> str | None:
    """Why an action the table allows cannot be done today, or None when it can.

    `review` waits for its record (the investigation, or the committee's agreeing
    decision); `allowed_actions` never offers it, so this query is the services' only.
    """
    if action == Action.REVIEW:
        transition = TRANSITIONS.get((assessment.status, action))
        return review_prerequisite(assessment, transition.target) if transition else None
    if action == Action.OBJECT and not notice_running(assessment, today):
        return _(
            "Objections can be filed only while the public notice runs (%(start)s to %(end)s)."
        ) % {"start": assessment.notice_starts_on, "end": assessment.notice_ends_on}
    if action == Action.ANSWER and not unanswered:
        return _("There is no unanswered objection.")
    if action == Action.APPROVE and assessment.status == AssessmentStatus.PUBLICIZED:
        if today <= assessment.notice_ends_on:
            return _("The public notice runs until %(end)s; it can be approved after that day.") % {
                "end": assessment.notice_ends_on
            }
        if unanswered:
            return _("Every objection must be answered before approval.")
    return None


def allowed_actions(
    *, assessment: Assessment, roles: set[str], today: date, unanswered_objections: bool
) -> list[str]:
    """What a user with `roles` in the student's school can do to the assessment today."""
    actions = []
    for action in ACTION_ORDER:
        transition = TRANSITIONS.get((assessment.status, action))
        if transition is None or not roles & transition.roles:
            continue
        if action_refusal(action, assessment, today, unanswered_objections) is None:
            actions.append(action)
    return actions


def has_unanswered(assessment: Assessment) -> bool:
    return assessment.objections.filter(answered_at__isnull=True).exists()


def check_action(*, assessment: Assessment, action: str, by: User, today: date) -> Transition:
    """The transition for `action`, or the error that says why it is refused.

    Order matters: an action that makes no sense in this state is a conflict
    (409, with the actions that would work), one this user may not do is 403,
    and one that waits for a date, an answer or its record is again a conflict.
    An objection's answer is checked against the objection by its service.
    """
    roles = roles_in_school(by, assessment.student.school_id)
    unanswered = has_unanswered(assessment)

    def conflict(message):
        allowed = allowed_actions(
            assessment=assessment, roles=roles, today=today, unanswered_objections=unanswered
        )
        return Conflict(message, extra={"allowed_actions": allowed})

    transition = TRANSITIONS.get((assessment.status, action))
    if transition is None:
        raise conflict(
            _("“%(action)s” is not possible while the assessment is “%(status)s”.")
            % {
                "action": ACTION_NAMES.get(action, action),
                "status": assessment.get_status_display(),
            }
        )
    if not roles & transition.roles:
        raise NotPermitted(_("Your role in this school does not allow this action."))
    if action != Action.ANSWER:
        refusal = action_refusal(action, assessment, today, unanswered)
        if refusal:
            raise conflict(refusal)
    return transition
