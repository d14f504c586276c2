"""Subject scores: a student's score in one subject at the term's opening and closing exams.

A score belongs to the student's record of one term (`SubjectScore.record`),
one row per subject, with the score of the exam at the start of the term and
that of the exam at its end (either may be missing until the exam is sat).
Scores are on a 0-150 scale with at most one decimal (a junior middle
school's Chinese, mathematics and English exams are out of 120 or 150).

Who enters them (`students_scored_by`): administrators of the student's
school and the student's mentors through an active pairing. The API
(`scores/`) and the mentor's page call `score_save`; the roster import (an
administrator's, for a whole school) checks each score cell with
`score_problem` and writes the file's scores with its records. Entering a
score for a subject that has one already in that term changes the exams
given and keeps the other.
"""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.errors import Conflict, DomainError, NotPermitted, ValidationErrors, checked
from mentoring.models import StudentRecord, Subject, SubjectScore, Term, User
from mentoring.selectors.scoping import students_scored_by, students_visible_to

SCORE_MIN = Decimal(0)
SCORE_MAX = Decimal(150)
EXAMS = ("start_score", "end_score")


def unknown_student_error() -> DomainError:
    # The same answer for a student that does not exist and one outside the
    # user's scope, so that an id reveals nothing.
    return DomainError(_("Unknown student."), field="student")


def score_problem(value: Decimal) -> str | None:
    """What is wrong with one exam's score, or None: 0-150, at most one decimal."""
    if not value.is_finite() or not SCORE_MIN <= value <= SCORE_MAX:
        return _("A score is between 0 and 150.")
    if value != value.quantize(Decimal("0.1")):
        return _("A score has at most one decimal.")
    return None


def check_score_values(errors: ValidationErrors, scores: dict) -> None:
    """Each exam's score given is on the 0-150 scale with at most one decimal."""
    for exam in EXAMS:
        value = scores.get(exam)
        if value is None:
            continue
        problem = score_problem(value if isinstance(value, Decimal) else Decimal(str(value)))
        if problem:
            errors.add(exam, problem)


def _check_scorer(by: User, student_id: int) -> bool:
    """True if `by` may enter the student's scores; False if the student is unknown to them.

    Raises NotPermitted for a student the user sees but may no longer score
    (a mentor whose pairing ended).
    """
    if students_scored_by(by).filter(pk=student_id).exists():
        return True
    if students_visible_to(by).filter(pk=student_id).exists():
        raise NotPermitted(
            _("Only the student's administrators and active mentors enter scores."),
            field="student",
        )
    return False


def score_save_problems(
    errors: ValidationErrors,
    *,
    by: User,
    student_id: int | None,
    term_id: int | None,
    subject: str | None,
    scores: dict,
) -> StudentRecord | None:
    """Add to `errors` everything wrong with entering these scores; answers the term's record.

    `scores` holds the exams given (`start_score`, `end_score`), None clearing
    one. A check skips an input given as None (left out, or refused already).
    """
    record = None
    if student_id is not None:
        if not _check_scorer(by, student_id):
            errors.add_error(unknown_student_error())
            # The student is refused: the term is still checked on its own,
            # so that one answer names it too.
            if term_id is not None and not Term.objects.filter(pk=term_id).exists():
                errors.add("term", _("Unknown term."))
        elif term_id is not None:
            record = (
                StudentRecord.objects.select_related("student", "term")
                .filter(student_id=student_id, term_id=term_id)
                .first()
            )
            if record is None:
                errors.add("term", _("The student has no record in this term."))
    if subject is not None and subject not in Subject.values:
        errors.add("subject", _("Unknown subject."))
    check_score_values(errors, scores)
    refused = any(errors.has(exam) for exam in EXAMS)
    if all(scores.get(exam) is None for exam in EXAMS) and not refused:
        errors.add(
            "start_score", _("Give the score of the opening exam, the closing exam or both.")
        )
    return record


@transaction.atomic
def score_save(
    *, by: User, student_id: int, term_id: int, subject: str, scores: dict
) -> tuple[SubjectScore, bool]:
    """Enter a student's scores in a subject for a term; answers the score and whether it is new.

    An exam left out of `scores` keeps its score; one given as None is cleared.
    A row must keep at least one exam's score.
    """
    record = checked(
        score_save_problems,
        by=by,
        student_id=student_id,
        term_id=term_id,
        subject=subject,
        scores=scores,
    )
    score = SubjectScore.objects.select_for_update().filter(record=record, subject=subject).first()
    created = score is None
    if created:
        score = SubjectScore(record=record, subject=subject)
    _apply(score, scores)
    try:
        with transaction.atomic():
            score.save()
    except IntegrityError:
        # Two people entered the first score of this subject at the same time.
        raise Conflict(
            _("This score was entered by someone else just now; try again."), field="subject"
        ) from None
    return score, created


def score_change_problems(
    errors: ValidationErrors, *, by: User, score: SubjectScore, scores: dict
) -> None:
    if not students_scored_by(by).filter(pk=score.record.student_id).exists():
        raise NotPermitted(
            _("Only the student's administrators and active mentors enter scores."),
            field="student",
        )
    check_score_values(errors, scores)
    merged = {exam: scores.get(exam, getattr(score, exam)) for exam in EXAMS}
    if all(merged[exam] is None for exam in EXAMS):
        errors.add(
            "start_score", _("Give the score of the opening exam, the closing exam or both.")
        )


@transaction.atomic
def score_change(*, by: User, score: SubjectScore, scores: dict) -> SubjectScore:
    """Change the exams given in `scores` of an existing score; the others stay."""
    checked(score_change_problems, by=by, score=score, scores=scores)
    _apply(score, scores)
    score.save(update_fields=[exam for exam in EXAMS if exam in scores])
    return score


def _apply(score: SubjectScore, scores: dict) -> None:
    for exam in EXAMS:
        if exam in scores:
            value = scores[exam]
            setattr(score, exam, None if value is None else Decimal(str(value)))
