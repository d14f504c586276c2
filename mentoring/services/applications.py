"""Families' applications and the class teacher's investigation (DESIGN §2.2, issue 15 item 5).

An application reaches the school in one of two ways:

- the class teacher records it (`application_record`): the assessment is
  submitted at once (`identification.assessment_submit`, the one rule for
  who may propose which student) and the application is `confirmed`;
- the family types it on the public page opened with the school's code
  (`application_submit_public`): it is `pending`, names the child only as
  the family typed it, and creates nothing else. The class teacher then
  confirms it against a student of the roster (`application_confirm`, which
  submits the assessment exactly as above) or declines it with a reason.

The public page is limited per address (`public_page_refusal`): at most
`CODE_FAILURES_PER_HOUR` codes that open nothing and
`APPLICATIONS_PER_HOUR` applications sent per hour, so codes cannot be
guessed and a school cannot be flooded.

The investigation (`investigation_record`) is the `submitted → investigated`
step. DESIGN §2.2 has the class teacher investigate by a home visit, so an
investigation without one is refused: it names either a logged home-visit
session of one of the student's pairings or the day the family was visited
(most families are visited before any pairing exists). The step itself is
`identification.assessment_review`, which refuses it without this record.
"""

import secrets
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, DomainError, NotPermitted, ValidationErrors
from mentoring.models import (
    Application,
    ApplicationCode,
    ApplicationSource,
    ApplicationStatus,
    Assessment,
    HardshipIndicator,
    HardshipKind,
    IndicatorSource,
    Investigation,
    PublicApplicationAttempt,
    School,
    SessionKind,
    Student,
    Term,
    TutoringSession,
    User,
)
from mentoring.selectors.accounts import schools_administered_by
from mentoring.services import identification
from mentoring.services.assessment_rules import Action, check_action
from mentoring.services.roster_columns import LEVEL_GRADES

# No 0/O, 1/I/L: a code is read off paper and typed on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
CODE_FAILURES_PER_HOUR = 10
APPLICATIONS_PER_HOUR = 5
ATTEMPTS_KEPT = timedelta(days=1)
MAX_TEXT_LENGTH = 2000

# What the family agrees to on the public page, stored as its written commitment (承诺书).
COMMITMENT_TEXT = "本人承诺所填信息真实、完整，如有虚假，愿意承担相应责任并退还所获资助。"


def mask_phone(phone: str) -> str:
    """A phone number with all but its first three and last four digits hidden: 138****0001."""
    digits = phone.strip()
    if len(digits) <= 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


# Application codes


def application_code_problems(
    errors: ValidationErrors, *, by: User, school_id: int | None, term_id: int | None
) -> tuple[School | None, Term | None]:
    school = term = None
    if school_id is not None:
        school = schools_administered_by(by).filter(pk=school_id).first()
        if school is None:
            errors.add("school", _("No such school among those you administer."))
    if term_id is not None:
        term = Term.objects.filter(pk=term_id).first()
        if term is None or (school is not None and term.district_id != school.district_id):
            errors.add("term", _("No such term in the school's district."))
            term = None
        elif term.end_date < timezone.localdate():
            errors.add("term", _("The term has ended; families can no longer apply for it."))
            term = None
    return school, term


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@transaction.atomic
def application_code_open(*, by: User, school_id: int, term_id: int) -> ApplicationCode:
    """Open a new code for the school's term; an open one is closed first (rotation)."""
    errors = ValidationErrors()
    school, term = application_code_problems(errors, by=by, school_id=school_id, term_id=term_id)
    errors.raise_if_any()
    now = timezone.now()
    ApplicationCode.objects.select_for_update().filter(
        school=school, term=term, closed_at__isnull=True
    ).update(closed_at=now)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return ApplicationCode.objects.create(
                    school=school, term=term, code=_new_code(), created_by=by
                )
        except IntegrityError:
            # A code drawn twice (31^8 codes), or another administrator opening one
            # at the same moment: draw again, and let a second race fail loudly.
            continue
    raise Conflict(_("Another code was opened at the same moment; try again."), field="school")


@transaction.atomic
def application_code_close(*, by: User, code: ApplicationCode) -> ApplicationCode:
    code = ApplicationCode.objects.select_for_update().get(pk=code.pk)
    if not schools_administered_by(by).filter(pk=code.school_id).exists():
        raise NotPermitted(_("Only the school's administrators close its codes."))
    if code.closed_at is not None:
        raise Conflict(_("This code is closed already."))
    code.closed_at = timezone.now()
    code.save(update_fields=["closed_at"])
    return code


# The public page


def public_page_refusal(*, address: str | None, submitting: bool) -> str | None:
    """Why the page refuses this address now (too many bad codes or applications), or None."""
    since = timezone.now() - timedelta(hours=1)
    attempts = PublicApplicationAttempt.objects.filter(address=address, at__gte=since)
    if attempts.filter(accepted=False).count() >= CODE_FAILURES_PER_HOUR:
        return _("Too many codes that open nothing were tried from here; try again in an hour.")
    if submitting and attempts.filter(submitted=True).count() >= APPLICATIONS_PER_HOUR:
        return _("Too many applications were sent from here; try again in an hour.")
    return None


def public_attempt_record(*, address: str | None, accepted: bool, submitted: bool = False):
    now = timezone.now()
    PublicApplicationAttempt.objects.filter(at__lt=now - ATTEMPTS_KEPT).delete()
    PublicApplicationAttempt.objects.create(address=address, accepted=accepted, submitted=submitted)


def _applicant_problems(
    errors: ValidationErrors,
    *,
    guardian_name: str | None,
    guardian_phone: str | None,
    hardship_kinds: list[str] | None,
    circumstances: str | None,
) -> None:
    if guardian_name is not None and not guardian_name.strip():
        errors.add("guardian_name", _("Give the applicant's name."))
    if guardian_phone is not None and sum(c.isdigit() for c in guardian_phone) < 7:
        errors.add("guardian_phone", _("Give a phone number the school can call."))
    if hardship_kinds is not None:
        unknown = sorted(set(hardship_kinds) - set(HardshipKind.values))
        if unknown:
            errors.add(
                "hardship_kinds",
                _("Unknown hardship kinds: %(kinds)s.") % {"kinds": ", ".join(unknown)},
            )
        elif not hardship_kinds:
            errors.add("hardship_kinds", _("Choose at least one hardship kind."))
    if circumstances is not None and not circumstances.strip():
        errors.add("circumstances", _("Describe the family's circumstances."))


def public_application_problems(
    errors: ValidationErrors,
    *,
    child_name: str | None,
    grade: int | None,
    class_name: str | None,
    guardian_name: str | None,
    guardian_phone: str | None,
    hardship_kinds: list[str] | None,
    circumstances: str | None,
    committed: bool | None,
    level: str | None = None,
) -> None:
    """`level`: the school's (SchoolLevel), whose grades the child's must be among."""
    if child_name is not None and not child_name.strip():
        errors.add("child_name", _("Give the child's name."))
    if grade is not None and not 1 <= grade <= 9:
        errors.add("grade", _("The grade is from 1 to 9."))
    elif grade is not None and level in LEVEL_GRADES and grade not in LEVEL_GRADES[level]:
        allowed = LEVEL_GRADES[level]
        errors.add(
            "grade",
            _("At this school the grade is %(first)s to %(last)s.")
            % {"first": allowed[0], "last": allowed[-1]},
        )
    if class_name is not None and not class_name.strip():
        errors.add("class_name", _("Give the child's class."))
    _applicant_problems(
        errors,
        guardian_name=guardian_name,
        guardian_phone=guardian_phone,
        hardship_kinds=hardship_kinds,
        circumstances=circumstances,
    )
    if committed is not None and not committed:
        errors.add("committed", _("The application needs the written commitment."))


@transaction.atomic
def application_submit_public(
    *,
    code: ApplicationCode,
    child_name: str,
    grade: int,
    class_name: str,
    guardian_name: str,
    guardian_relation: str,
    guardian_phone: str,
    hardship_kinds: list[str],
    income_per_capita_fen: int | None,
    circumstances: str,
    committed: bool,
) -> Application:
    """A family's application from the public page: pending until the class teacher confirms it."""
    errors = ValidationErrors()
    public_application_problems(
        errors,
        child_name=child_name,
        grade=grade,
        class_name=class_name,
        guardian_name=guardian_name,
        guardian_phone=guardian_phone,
        hardship_kinds=hardship_kinds,
        circumstances=circumstances,
        committed=committed,
        level=code.school.level,
    )
    errors.raise_if_any()
    code = ApplicationCode.objects.select_for_update().get(pk=code.pk)
    if code.closed_at is not None:
        raise Conflict(_("This application code is closed."))
    return Application.objects.create(
        school_id=code.school_id,
        term_id=code.term_id,
        source=ApplicationSource.FAMILY_PAGE,
        status=ApplicationStatus.PENDING,
        code=code,
        child_name=child_name.strip(),
        grade=grade,
        class_name=class_name.strip(),
        guardian_name=guardian_name.strip(),
        guardian_relation=guardian_relation,
        guardian_phone=guardian_phone.strip(),
        hardship_kinds=sorted(set(hardship_kinds)),
        income_per_capita_fen=income_per_capita_fen,
        circumstances=circumstances.strip(),
        commitment=f"{COMMITMENT_TEXT}（{guardian_name.strip()}）",
    )


# Recorded or confirmed by the class teacher


def _record_indicators(application: Application, student: Student) -> None:
    """The kinds the family declared become indicators of the student, as the family's word."""
    today = timezone.localdate()
    for kind in application.hardship_kinds:
        HardshipIndicator.objects.get_or_create(
            student=student,
            kind=kind,
            source=IndicatorSource.FAMILY_APPLICATION,
            recorded_on=today,
        )


def application_record_problems(
    errors: ValidationErrors,
    *,
    by: User,
    student_id: int | None,
    term_id: int | None,
    guardian_name: str | None,
    guardian_phone: str | None,
    hardship_kinds: list[str] | None,
    circumstances: str | None,
    commitment: str | None,
) -> None:
    _applicant_problems(
        errors,
        guardian_name=guardian_name,
        guardian_phone=guardian_phone,
        hardship_kinds=hardship_kinds,
        circumstances=None,
    )
    identification.assessment_submit_problems(
        errors,
        by=by,
        student_id=student_id,
        term_id=term_id,
        reason=circumstances,
        commitment=commitment,
    )
    # The assessment's `reason` is the application's `circumstances`.
    if "reason" in errors.errors:
        errors.errors["circumstances"] = errors.errors.pop("reason")


@transaction.atomic
def application_record(
    *,
    by: User,
    student_id: int,
    term_id: int,
    guardian_name: str,
    guardian_relation: str,
    guardian_phone: str,
    hardship_kinds: list[str],
    income_per_capita_fen: int | None,
    circumstances: str,
    commitment: str,
) -> Application:
    """The class teacher records a family's application: the assessment is submitted with it."""
    errors = ValidationErrors()
    application_record_problems(
        errors,
        by=by,
        student_id=student_id,
        term_id=term_id,
        guardian_name=guardian_name,
        guardian_phone=guardian_phone,
        hardship_kinds=hardship_kinds,
        circumstances=circumstances,
        commitment=commitment,
    )
    errors.raise_if_any()
    assessment = identification.assessment_submit(
        by=by,
        student_id=student_id,
        term_id=term_id,
        reason=circumstances,
        commitment=commitment,
    )
    application = Application.objects.create(
        school_id=assessment.student.school_id,
        term_id=term_id,
        source=ApplicationSource.CLASS_TEACHER,
        status=ApplicationStatus.CONFIRMED,
        assessment=assessment,
        guardian_name=guardian_name.strip(),
        guardian_relation=guardian_relation,
        guardian_phone=guardian_phone.strip(),
        hardship_kinds=sorted(set(hardship_kinds)),
        income_per_capita_fen=income_per_capita_fen,
        circumstances=circumstances.strip(),
        commitment=commitment.strip(),
        recorded_by=by,
        decided_by=by,
        decided_at=timezone.now(),
    )
    _record_indicators(application, assessment.student)
    return application


def _pending(application: Application) -> Application:
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != ApplicationStatus.PENDING:
        raise Conflict(
            _("The application is “%(status)s”; only a pending one can be confirmed or declined.")
            % {"status": application.get_status_display()}
        )
    return application


def application_confirm_problems(
    errors: ValidationErrors, *, by: User, application: Application, student_id: int | None
) -> None:
    if student_id is None:
        return
    student = Student.objects.filter(pk=student_id, school_id=application.school_id).first()
    if student is None:
        errors.add("student", _("No such student in the application's school."))
        return
    identification.assessment_submit_problems(
        errors,
        by=by,
        student_id=student_id,
        term_id=application.term_id,
        reason=None,
        commitment=None,
    )


@transaction.atomic
def application_confirm(*, by: User, application: Application, student_id: int) -> Application:
    """The class teacher confirms a family's application as one of a student on the roster."""
    application = _pending(application)
    errors = ValidationErrors()
    application_confirm_problems(errors, by=by, application=application, student_id=student_id)
    errors.raise_if_any()
    assessment = identification.assessment_submit(
        by=by,
        student_id=student_id,
        term_id=application.term_id,
        reason=application.circumstances,
        commitment=application.commitment,
    )
    application.status = ApplicationStatus.CONFIRMED
    application.assessment = assessment
    application.decided_by = by
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "assessment", "decided_by", "decided_at"])
    _record_indicators(application, assessment.student)
    return application


@transaction.atomic
def application_decline(*, by: User, application: Application, reason: str) -> Application:
    """Decline a family's application that matches no student, or was sent twice, with why."""
    application = _pending(application)
    if not reason.strip():
        raise DomainError(_("Give the reason for declining."), field="reason")
    application.status = ApplicationStatus.DECLINED
    application.declined_reason = reason.strip()
    application.decided_by = by
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "declined_reason", "decided_by", "decided_at"])
    return application


# The investigation


def check_may_investigate(*, by: User, assessment: Assessment) -> None:
    """409 out of order (with the actions that would work), 403 for a role that may not:
    before the body is read. The rule is `assessment_rules.check_action`'s."""
    check_action(
        assessment=assessment,
        action=Action.INVESTIGATE,
        by=by,
        today=timezone.localdate(),
    )


def investigation_problems(
    errors: ValidationErrors,
    *,
    assessment: Assessment,
    investigated_on: date | None,
    investigators: str | None,
    findings: str | None,
    visited_on: date | None,
    visit_session_id: int | None,
) -> TutoringSession | None:
    today = timezone.localdate()
    applied_on = timezone.localdate(assessment.created_at)
    if investigated_on is not None and not applied_on <= investigated_on <= today:
        errors.add(
            "investigated_on",
            _("The investigation is dated from the application (%(start)s) to today.")
            % {"start": applied_on},
        )
    if investigators is not None and not investigators.strip():
        errors.add("investigators", _("Name who investigated."))
    if findings is not None and not findings.strip():
        errors.add("findings", _("Give the investigation's findings."))
    session = None
    if visited_on is None and visit_session_id is None:
        # A logged home visit can be named only where there is one: otherwise the day.
        logged = TutoringSession.objects.filter(
            kind=SessionKind.HOME_VISIT, pairing__student_id=assessment.student_id
        ).exists()
        errors.add(
            "visited_on",
            _("An investigation needs its home visit: give the day of the visit or its session.")
            if logged
            else _("An investigation needs its home visit: give the day of the visit."),
        )
    if visited_on is not None and visited_on > today:
        errors.add("visited_on", _("The home visit cannot be in the future."))
    if visit_session_id is not None:
        session = TutoringSession.objects.filter(
            pk=visit_session_id,
            kind=SessionKind.HOME_VISIT,
            pairing__student_id=assessment.student_id,
        ).first()
        if session is None:
            errors.add("visit_session", _("No such home visit of this student."))
    return session


@transaction.atomic
def investigation_record(
    *,
    by: User,
    assessment: Assessment,
    investigated_on: date,
    investigators: str,
    findings: str,
    visited_on: date | None = None,
    visit_session_id: int | None = None,
) -> Investigation:
    """Record the class teacher's investigation and its home visit; the assessment moves on."""
    assessment = Assessment.objects.select_related("student").get(pk=assessment.pk)
    check_may_investigate(by=by, assessment=assessment)
    errors = ValidationErrors()
    session = investigation_problems(
        errors,
        assessment=assessment,
        investigated_on=investigated_on,
        investigators=investigators,
        findings=findings,
        visited_on=visited_on,
        visit_session_id=visit_session_id,
    )
    errors.raise_if_any()
    try:
        with transaction.atomic():
            investigation = Investigation.objects.create(
                assessment=assessment,
                investigated_on=investigated_on,
                investigators=investigators.strip(),
                findings=findings.strip(),
                visited_on=visited_on if session is None else (visited_on or session.date),
                visit_session=session,
                recorded_by=by,
            )
    except IntegrityError:
        raise Conflict(_("This application has been investigated already.")) from None
    identification.assessment_review(by=by, assessment=assessment, note=findings.strip())
    return investigation
