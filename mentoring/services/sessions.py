"""Tutoring sessions: what a pairing's mentor did, and when.

Only the pairing's mentor logs a session. The mentor may correct or delete it
within `EDIT_WINDOW` of logging it; after that only an administrator of the
student's school may, so that a record the weekly tracking has counted does
not quietly change. The audit history records who made each change.
"""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, NotPermitted, ValidationErrors, checked
from core.permissions import is_active_account
from mentoring.models import (
    Pairing,
    PairingStatus,
    SessionKind,
    Subject,
    TutoringSession,
    User,
)
from mentoring.selectors.accounts import schools_administered_by
from mentoring.selectors.scoping import MENTOR_VISIBLE_STATUSES, pairings_visible_to
from mentoring.services.visit_plans import visit_link, visit_refulfil, visit_unlink
from mentoring.signals import session_changed

EDIT_WINDOW = timedelta(days=7)
MAX_CONTENT_LENGTH = 5000
CHANGEABLE_FIELDS = {"date", "minutes", "subject", "kind", "content"}


def unknown_pairing_error() -> DomainError:
    # The same answer for a pairing that does not exist and for one outside
    # the user's scope, so that no id reveals another teacher's mentee.
    return DomainError(_("Unknown pairing."), field="pairing")


def check_session_fields(
    errors: ValidationErrors,
    *,
    pairing: Pairing | None,
    day: date | None,
    minutes: int | None,
    subject: str | None,
    kind: str | None,
    content: str | None,
) -> None:
    """The rules about one session, each added to `errors` on the field it concerns.

    Every field is checked, so that one answer names all that is wrong. A
    value None is not checked (left out, or refused already by the caller);
    the date is checked against the pairing and its term only when the
    pairing is known.
    """
    if kind is not None and kind not in SessionKind.values:
        errors.add("kind", _("Unknown session kind."))
    if subject and subject not in Subject.values:
        errors.add("subject", _("Unknown subject."))
    elif subject is not None and not subject and kind == SessionKind.TUTORING:
        errors.add("subject", _("A tutoring session needs its subject."))
    if minutes is not None and not 1 <= minutes <= 600:
        errors.add("minutes", _("Minutes must be between 1 and 600."))
    if content is not None:
        if not content.strip():
            errors.add("content", _("Describe what was done."))
        elif len(content) > MAX_CONTENT_LENGTH:
            errors.add(
                "content",
                _("Keep the content within %(n)d characters.") % {"n": MAX_CONTENT_LENGTH},
            )
    if day is not None:
        problem = _date_problem(pairing, day)
        if problem:
            errors.add("date", problem)


def _date_problem(pairing: Pairing | None, day: date) -> str | None:
    # Sessions happen in China; "today" is the school's local date.
    if day > timezone.localdate():
        return _("A session cannot be dated in the future.")
    if pairing is None:
        return None
    term = pairing.term
    if not term.contains(day) and not _in_holiday_work(pairing, day):
        if pairing.holiday_until is not None:
            return _(
                "The date must fall inside the term or its holiday work, which ends on %(date)s."
            ) % {"date": pairing.holiday_until.isoformat()}
        return _("The date must fall inside the term.")
    if day < pairing.started_on:
        return _("The date cannot precede the start of the pairing.")
    if pairing.ended_on is not None and day > pairing.ended_on:
        return _("The date cannot follow the end of the pairing.")
    return None


def _in_holiday_work(pairing: Pairing, day: date) -> bool:
    """A day after the term that the pairing's holiday work covers (`Pairing.holiday_until`)."""
    until = pairing.holiday_until
    return until is not None and pairing.term.end_date < day <= until


def session_log_problems(
    errors: ValidationErrors,
    *,
    by: User,
    pairing_id: int | None,
    day: date | None,
    minutes: int | None,
    kind: str | None,
    content: str | None,
    subject: str | None = "",
) -> Pairing | None:
    """Add to `errors` everything wrong with logging this session; answers the pairing.

    `session_log` calls it, and so does a view whose own validation refused
    some fields, with the others, so that one answer names them all. A user
    who is not the pairing's mentor is refused outright (403), not listed.
    """
    pairing = None
    if pairing_id is not None:
        pairing = _pairing_for_log(by, pairing_id)
        if pairing is None:
            errors.add_error(unknown_pairing_error())
        elif pairing.mentor.user_id != by.pk:
            raise NotPermitted(_("Only the pairing's mentor logs its sessions."), field="pairing")
        elif pairing.status != PairingStatus.ACTIVE:
            errors.add("pairing", _("Sessions are logged for active pairings only."))
    check_session_fields(
        errors,
        pairing=pairing,
        day=day,
        minutes=minutes,
        subject=subject,
        kind=kind,
        content=content,
    )
    return pairing


def _pairing_for_log(by: User, pairing_id: int) -> Pairing | None:
    """The pairing with this id if `by` sees it, with its term, mentor and student.

    Nearly always the user is the pairing's mentor: their own pairings (the
    mentor's branch of `pairings_visible_to`) are read first by a plain query,
    without the scope's subquery of administered schools, which cost more to
    build than the whole rest of the lookup. Any other pairing goes through
    the full scope, so that what is visible is exactly as before.
    """
    related = ("term", "mentor", "student")
    if is_active_account(by):
        own = (
            Pairing.objects.select_related(*related)
            .filter(pk=pairing_id, mentor__user=by, status__in=MENTOR_VISIBLE_STATUSES)
            .order_by()  # one row by its key: no need of the default ordering's joins
            .first()
        )
        if own is not None:
            return own
    return pairings_visible_to(by).select_related(*related).filter(pk=pairing_id).first()


@transaction.atomic
def session_log(
    *,
    by: User,
    pairing_id: int,
    day: date,
    minutes: int,
    kind: str,
    content: str,
    subject: str = "",
) -> TutoringSession:
    """Log a session for an active pairing; only the pairing's mentor may.

    Every field is checked before anything is written; all that is wrong is
    refused in one `FieldErrors`.
    """
    pairing = checked(
        session_log_problems,
        by=by,
        pairing_id=pairing_id,
        day=day,
        minutes=minutes,
        kind=kind,
        content=content,
        subject=subject,
    )
    session = TutoringSession.objects.create(
        pairing=pairing,
        date=day,
        minutes=minutes,
        subject=subject,
        kind=kind,
        content=content.strip(),
        logged_by=by,
    )
    # A home visit fulfils its entry of the school's home-visit plan.
    visit_link(session=session, new=True)
    session_changed.send(sender=TutoringSession, pairing_id=pairing.pk, days=[day], by=by)
    return session


def _check_may_change(*, by: User, session: TutoringSession) -> None:
    """An administrator of the school always may; the mentor within the edit window."""
    school_id = session.pairing.student.school_id
    if schools_administered_by(by).filter(pk=school_id).exists():
        return
    if session.pairing.mentor.user_id == by.pk:
        if timezone.now() - session.created_at <= EDIT_WINDOW:
            return
        raise NotPermitted(
            _(
                "A session can be changed by its mentor within 7 days of logging it; "
                "ask an administrator of the school."
            )
        )
    raise NotPermitted(_("Only the pairing's mentor or an administrator changes a session."))


def session_update_problems(
    errors: ValidationErrors, *, by: User, session: TutoringSession, fields: dict
) -> tuple[TutoringSession, date]:
    """Add to `errors` everything wrong with changing `session` so.

    Answers the session changed (not saved), and the date it had.

    The rules are checked on the session as it would be. A user who may not
    change it is refused outright (403). `session_update` calls it, and so
    does a view whose own validation refused some fields, with the others.
    """
    for name in sorted(set(fields) - CHANGEABLE_FIELDS):
        errors.add(name, _("This field cannot be changed here."))
    _check_may_change(by=by, session=session)
    day_before = session.date
    for name, value in fields.items():
        if name in CHANGEABLE_FIELDS:
            setattr(session, name, value)
    check_session_fields(
        errors,
        pairing=session.pairing,
        day=session.date,
        minutes=session.minutes,
        subject=session.subject,
        kind=session.kind,
        content=session.content,
    )
    return session, day_before


@transaction.atomic
def session_update(*, by: User, session: TutoringSession, **fields) -> TutoringSession:
    """Correct a session; every rule is checked on the session as it would be, all at once."""
    session = (
        TutoringSession.objects.select_for_update(of=("self",))
        .select_related("pairing__term", "pairing__mentor", "pairing__student")
        .get(pk=session.pk)
    )
    session, day_before = checked(session_update_problems, by=by, session=session, fields=fields)
    session.content = session.content.strip()
    session.save()
    visit_link(session=session)
    # A session moved to another week changes both weeks' figures.
    session_changed.send(
        sender=TutoringSession,
        pairing_id=session.pairing_id,
        days=sorted({day_before, session.date}),
        by=by,
    )
    return session


@transaction.atomic
def session_delete(*, by: User, session: TutoringSession) -> None:
    session = (
        TutoringSession.objects.select_for_update(of=("self",))
        .select_related("pairing__mentor", "pairing__student")
        .get(pk=session.pk)
    )
    _check_may_change(by=by, session=session)
    pairing_id, day = session.pairing_id, session.date
    freed = visit_unlink(session=session)
    session.delete()
    visit_refulfil(freed)
    session_changed.send(sender=TutoringSession, pairing_id=pairing_id, days=[day], by=by)
