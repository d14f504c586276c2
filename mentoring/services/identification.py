"""Identification (认定) of students' need: the workflow of DESIGN §2.2 as a state machine.

Route `application`:

    submit → submitted ─review→ investigated ─review→ class_reviewed ─review→
    school_reviewed ─publicize→ publicized ─approve→ approved

Route `government_list`: students matched on a government list start in
`proposed` and are approved without public notice
(`mentoring.services.government_list`).

Route `recheck`: an approved identification holds for its school year
(`mentoring.selectors.school_year`). In the later term, `recheck` records that
the student left or the family's circumstances changed; the re-check starts
in `submitted` and goes the application's way, public notice included. For a
student who left, the school review gives no tier: approval withdraws the
identification. A student carried into the term cannot be submitted afresh.

`reject` ends any assessment that is not final yet. While an assessment is
under public notice, `object` files an objection and `answer` answers one;
neither changes the status. Every action writes an AssessmentEvent with who,
when, from which status to which.

The table of (status, action) → next status and the roles that may act, and
what may be done today, live in `mentoring.services.assessment_rules`
(`allowed_actions`, `check_action`); every service below checks its action
there, so what the API offers and what it accepts cannot drift apart.
"""

import logging
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import Conflict, DomainError, ValidationErrors
from mentoring import workdays
from mentoring.models import (
    Assessment,
    AssessmentEvent,
    AssessmentRoute,
    AssessmentStatus,
    Objection,
    RecheckChange,
    Role,
    Student,
    StudentRecord,
    Term,
    User,
)
from mentoring.outcomes import NOT_IN_HARDSHIP
from mentoring.selectors.school_year import carried_identification_of
from mentoring.selectors.scoping import students_taught_by
from mentoring.services.assessment_rules import (  # noqa: F401 (the workflow's names, here too)
    ACTION_NAMES,
    ACTION_ORDER,
    FINAL_STATUSES,
    TRANSITIONS,
    Action,
    Transition,
    action_refusal,
    allowed_actions,
    check_action,
    has_unanswered,
    notice_running,
    roles_in_school,
)
from mentoring.services.need_score import need_score_of

logger = logging.getLogger(__name__)

NOT_IN_HARDSHIP_NAME = gettext_lazy("Not in hardship")


def tier_choices(district) -> list[str]:
    return [*district.tier_codes, NOT_IN_HARDSHIP]


def tier_name(district, code: str) -> str:
    if code == NOT_IN_HARDSHIP:
        return str(NOT_IN_HARDSHIP_NAME)
    for tier in district.tier_labels:
        if tier["code"] == code:
            return tier["name"]
    return code


def _locked(assessment: Assessment) -> Assessment:
    # The row lock makes two administrators acting at once take turns, so an
    # assessment cannot be approved twice or approved while being rejected.
    return (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("term__district", "student__school")
        .get(pk=assessment.pk)
    )


def _move(*, assessment: Assessment, transition: Transition, by: User, note: str = "", fields=()):
    # A transition without a source creates the assessment: it came from nothing.
    from_status = "" if transition.source is None else assessment.status
    if transition.target != assessment.status:
        assessment.status = transition.target
        fields = [*fields, "status"]
    if fields:
        assessment.save(update_fields=[*fields, "updated_at"])
    AssessmentEvent.objects.create(
        assessment=assessment,
        action=transition.action,
        from_status=from_status,
        to_status=transition.target,
        by=by,
        note=note,
    )


# The application route


def _may_propose(user: User, student: Student) -> bool:
    """Administrators of the student's school propose any of its students; a teacher
    only a student they teach (`students_taught_by`)."""
    roles = roles_in_school(user, student.school_id)
    if not roles & TRANSITIONS[(None, Action.SUBMIT)].roles:
        return False
    if Role.ADMINISTRATOR in roles:
        return True
    return students_taught_by(user).filter(pk=student.pk).exists()


def assessment_submit_problems(
    errors: ValidationErrors,
    *,
    by: User,
    student_id: int | None,
    term_id: int | None,
    reason: str | None,
    commitment: str | None,
) -> tuple[Student | None, Term | None]:
    """Add to `errors` everything wrong with this proposal; answers the student and term.

    Every field is checked, so one answer names them all; an input given as
    None is not checked (left out, or refused already by the caller).
    """
    if reason is not None and not reason.strip():
        errors.add("reason", _("Give the reason for the proposal."))
    if commitment is not None and not commitment.strip():
        errors.add("commitment", _("Give the family's written commitment."))
    student = term = None
    if student_id is not None:
        student = Student.objects.select_related("school").filter(pk=student_id).first()
        if student is None or not _may_propose(by, student):
            # A student of another school, or one the teacher does not teach, is
            # answered like one that does not exist: the answer would show the
            # student's name and masked ID number.
            errors.add("student", _("No such student in your schools."))
            student = None
    if term_id is not None:
        terms = Term.objects.filter(pk=term_id)
        if student is not None:
            term = terms.filter(district_id=student.school.district_id).first()
        elif by.is_superuser:
            term = terms.first()
        else:
            term = terms.filter(district__schools__memberships__user=by).distinct().first()
        if term is None:
            errors.add("term", _("No such term in the student's district."))
    if student is not None and term is not None:
        if not StudentRecord.objects.filter(student=student, term=term).exists():
            errors.add(
                "student",
                _("The student has no archive record for this term; import the roster first."),
            )
        elif Assessment.objects.filter(student=student, term=term).exists():
            errors.add("student", _("The student already has an assessment for this term."))
        else:
            carried = carried_identification_of(student_id=student.pk, term=term)
            if carried is not None:
                errors.add(
                    "student",
                    _(
                        "The student's identification of %(term)s holds for the school year; "
                        "record a re-check of it instead."
                    )
                    % {"term": carried.term.label},
                )
    return student, term


@transaction.atomic
def assessment_submit(
    *, by: User, student_id: int, term_id: int, reason: str, commitment: str
) -> Assessment:
    """A teacher or administrator proposes a student for identification.

    The family's written commitment (承诺书) replaces certificates. Every
    field is checked before anything is written; all that is wrong is refused
    in one `FieldErrors`.
    """
    errors = ValidationErrors()
    student, term = assessment_submit_problems(
        errors,
        by=by,
        student_id=student_id,
        term_id=term_id,
        reason=reason,
        commitment=commitment,
    )
    errors.raise_if_any()
    already = _("The student already has an assessment for this term.")
    assessment = Assessment(
        student=student,
        term=term,
        route=AssessmentRoute.APPLICATION,
        status=AssessmentStatus.SUBMITTED,
        reason=reason.strip(),
        commitment=commitment.strip(),
        created_by=by,
    )
    try:
        with transaction.atomic():
            assessment.save()
    except IntegrityError:
        # Two submissions at the same moment: the constraint lets one through.
        raise DomainError(already, field="student") from None
    _move(assessment=assessment, transition=TRANSITIONS[(None, Action.SUBMIT)], by=by)
    return assessment


def review_tier_problem(assessment: Assessment, target: str | None, tier: str) -> str | None:
    """What is wrong with the tier given for the review step into `target`, or None.

    One rule for the review and for the review committee's decision that leads
    to it: the school review proposes one of the district's tiers; a re-check of
    a student who left gets none (approval withdraws the identification carried
    into the term); no other step gives a tier.
    """
    if target != AssessmentStatus.SCHOOL_REVIEWED:
        return _("The tier is proposed by the school review.") if tier else None
    if assessment.change == RecheckChange.LEFT:
        if tier:
            return _("A student who left gets no tier: the re-check withdraws the identification.")
        return None
    if not tier:
        return _("The school review proposes a tier.")
    district = assessment.term.district
    if tier not in tier_choices(district):
        return _("Unknown tier; this district's tiers are: %(tiers)s.") % {
            "tiers": ", ".join(tier_choices(district))
        }
    return None


@transaction.atomic
def assessment_review(*, by: User, assessment: Assessment, note: str, tier: str = "") -> Assessment:
    """The next review stage: the class teacher's investigation, the class review
    group, then the school review, which proposes the tier and scores the need.

    Each stage rests on its record: the investigation with its home visit, then
    the class and the school committee's agreeing decision (`review_prerequisite`).
    """
    today = timezone.localdate()
    assessment = _locked(assessment)
    # The investigation's record and the committees' decisions are written by
    # `mentoring.services.applications` and `.review_committees`, which then call this;
    # without them the step waits (`assessment_rules.action_refusal`).
    transition = check_action(assessment=assessment, action=Action.REVIEW, by=by, today=today)
    fields = []
    problem = review_tier_problem(assessment, transition.target, tier)
    if problem:
        raise DomainError(problem, field="tier")
    if transition.target == AssessmentStatus.SCHOOL_REVIEWED and tier:
        assessment.tier = tier
        assessment.need_score = need_score_of(
            student_id=assessment.student_id, term=assessment.term
        )
        fields = ["tier", "need_score"]
    _move(assessment=assessment, transition=transition, by=by, note=note, fields=fields)
    return assessment


# The second term's re-check


class NoticeCalendar(TextChoices):
    """What a notice's working days were counted by (`mentoring.workdays`)."""

    OFFICIAL = "official", gettext_lazy("The State Council's calendar")
    TERM_HOLIDAY_WEEKS = "term_holiday_weeks", gettext_lazy("The term's holiday weeks only")


def notice_calendar(assessment: Assessment) -> str | None:
    """The calendar of the assessment's notice period; None when it has none."""
    start, end = assessment.notice_starts_on, assessment.notice_ends_on
    if start is None or end is None:
        return None
    if workdays.unknown_years(start, end):
        return NoticeCalendar.TERM_HOLIDAY_WEEKS
    return NoticeCalendar.OFFICIAL


def notice_calendar_note(assessment: Assessment) -> str:
    """Why the notice's end may move: blank when the official calendar covers its period."""
    start, end = assessment.notice_starts_on, assessment.notice_ends_on
    years = workdays.unknown_years(start, end) if start and end else []
    if not years:
        return ""
    return _(
        "The official calendar of %(years)s is not published yet: the notice's working days "
        "are Monday to Friday outside the term's holiday weeks, public holidays not counted out."
    ) % {"years": ", ".join(str(year) for year in years)}


@transaction.atomic
def assessment_publicize(
    *, by: User, assessment: Assessment, starts_on: date | None = None
) -> Assessment:
    """Put the school's proposal under public notice for the district's working days."""
    today = timezone.localdate()
    assessment = _locked(assessment)
    transition = check_action(assessment=assessment, action=Action.PUBLICIZE, by=by, today=today)
    starts_on = starts_on or today
    # A notice dated in the past would let nobody object during part of it.
    if starts_on < today:
        raise DomainError(
            _("The public notice cannot start before today."), field="notice_starts_on"
        )
    term = assessment.term
    if starts_on > term.end_date:
        raise DomainError(
            _("The public notice must start before the term ends (%(end)s).")
            % {"end": term.end_date},
            field="notice_starts_on",
        )
    assessment.notice_starts_on = starts_on
    assessment.notice_ends_on = workdays.period_end(
        starts_on, term.district.notice_working_days, term.holiday_weeks
    )
    note = notice_calendar_note(assessment)
    if note:
        logger.warning("Assessment %s: %s", assessment.pk, note)
    _move(
        assessment=assessment,
        transition=transition,
        by=by,
        note=f"{assessment.notice_starts_on}..{assessment.notice_ends_on}",
        fields=["notice_starts_on", "notice_ends_on"],
    )
    return assessment


@transaction.atomic
def assessment_object(*, by: User, assessment: Assessment, text: str) -> Objection:
    """File an objection while the notice runs; the status stays `publicized`."""
    today = timezone.localdate()
    assessment = _locked(assessment)
    transition = check_action(assessment=assessment, action=Action.OBJECT, by=by, today=today)
    objection = Objection.objects.create(assessment=assessment, text=text, filed_by=by)
    _move(assessment=assessment, transition=transition, by=by, note=text)
    return objection


@transaction.atomic
def objection_answer(
    *, by: User, assessment: Assessment, objection: Objection, answer: str
) -> Objection:
    today = timezone.localdate()
    assessment = _locked(assessment)
    transition = check_action(assessment=assessment, action=Action.ANSWER, by=by, today=today)
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    if objection.assessment_id != assessment.pk:
        raise DomainError(_("This objection is about another assessment."), field="objection")
    if objection.answered_at is not None:
        raise Conflict(_("This objection has already been answered."), field="objection")
    objection.answer = answer
    objection.answered_by = by
    objection.answered_at = timezone.now()
    objection.save(update_fields=["answer", "answered_by", "answered_at"])
    _move(assessment=assessment, transition=transition, by=by, note=answer)
    return objection


@transaction.atomic
def assessment_approve(*, by: User, assessment: Assessment, note: str = "") -> Assessment:
    """Approval by the leadership group: after the notice has ended with every
    objection answered, or straight away for a student from a government list."""
    today = timezone.localdate()
    assessment = _locked(assessment)
    transition = check_action(assessment=assessment, action=Action.APPROVE, by=by, today=today)
    assessment.decided_on = today
    _move(assessment=assessment, transition=transition, by=by, note=note, fields=["decided_on"])
    return assessment


@transaction.atomic
def assessment_reject(*, by: User, assessment: Assessment, reason: str) -> Assessment:
    today = timezone.localdate()
    assessment = _locked(assessment)
    transition = check_action(assessment=assessment, action=Action.REJECT, by=by, today=today)
    if not reason.strip():
        raise DomainError(_("Give the reason for the rejection."), field="reason")
    assessment.decided_on = today
    _move(assessment=assessment, transition=transition, by=by, note=reason, fields=["decided_on"])
    return assessment
