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

from mentoring.errors import DomainError, NotPermitted
from mentoring.models import (
    Pairing,
    PairingStatus,
    SessionKind,
    Subject,
    TutoringSession,
    User,
)
from mentoring.selectors.accounts import schools_administered_by
from mentoring.selectors.scoping import pairings_visible_to
from mentoring.signals import session_changed

EDIT_WINDOW = timedelta(days=7)
MAX_CONTENT_LENGTH = 5000
CHANGEABLE_FIELDS = {"date", "minutes", "subject", "kind", "content"}


def unknown_pairing_error() -> DomainError:
    # The same answer for a pairing that does not exist and for one outside
    # the user's scope, so that no id reveals another teacher's mentee.
    return DomainError(_("Unknown pairing."), field="pairing")


def _check_fields(
    *, pairing: Pairing, day: date, minutes: int, subject: str, kind: str, content: str
) -> None:
    """The rules about one session, each reported on the field it concerns."""
    if kind not in SessionKind.values:
        raise DomainError(_("Unknown session kind."), field="kind")
    if subject and subject not in Subject.values:
        raise DomainError(_("Unknown subject."), field="subject")
    if kind == SessionKind.TUTORING and not subject:
        raise DomainError(_("A tutoring session needs its subject."), field="subject")
    if not 1 <= minutes <= 600:
        raise DomainError(_("Minutes must be between 1 and 600."), field="minutes")
    if not content.strip():
        raise DomainError(_("Describe what was done."), field="content")
    if len(content) > MAX_CONTENT_LENGTH:
        raise DomainError(
            _("Keep the content within %(n)d characters.") % {"n": MAX_CONTENT_LENGTH},
            field="content",
        )
    # Sessions happen in China; "today" is the school's local date.
    if day > timezone.localdate():
        raise DomainError(_("A session cannot be dated in the future."), field="date")
    if not pairing.term.contains(day):
        raise DomainError(_("The date must fall inside the term."), field="date")
    if day < pairing.started_on:
        raise DomainError(_("The date cannot precede the start of the pairing."), field="date")
    if pairing.ended_on is not None and day > pairing.ended_on:
        raise DomainError(_("The date cannot follow the end of the pairing."), field="date")


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
    """Log a session for an active pairing; only the pairing's mentor may."""
    pairing = pairings_visible_to(by).select_related("term", "mentor").filter(pk=pairing_id).first()
    if pairing is None:
        raise unknown_pairing_error()
    if pairing.mentor.user_id != by.pk:
        raise NotPermitted(_("Only the pairing's mentor logs its sessions."), field="pairing")
    if pairing.status != PairingStatus.ACTIVE:
        raise DomainError(_("Sessions are logged for active pairings only."), field="pairing")
    _check_fields(
        pairing=pairing, day=day, minutes=minutes, subject=subject, kind=kind, content=content
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


@transaction.atomic
def session_update(*, by: User, session: TutoringSession, **fields) -> TutoringSession:
    """Correct a session; the rules are checked on the session as it would be."""
    unknown = set(fields) - CHANGEABLE_FIELDS
    if unknown:
        raise DomainError(_("This field cannot be changed here."), field=sorted(unknown)[0])
    session = (
        TutoringSession.objects.select_for_update(of=("self",))
        .select_related("pairing__term", "pairing__mentor", "pairing__student")
        .get(pk=session.pk)
    )
    _check_may_change(by=by, session=session)
    day_before = session.date
    for name, value in fields.items():
        setattr(session, name, value)
    _check_fields(
        pairing=session.pairing,
        day=session.date,
        minutes=session.minutes,
        subject=session.subject,
        kind=session.kind,
        content=session.content,
    )
    session.content = session.content.strip()
    session.save()
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
    session.delete()
    session_changed.send(sender=TutoringSession, pairing_id=pairing_id, days=[day], by=by)
