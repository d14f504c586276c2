"""The weekly check's reminders: the mentor hears of a missed week, administrators of a streak.

Each reminder has a key unique per recipient (it names the pairing and the
week), inserted with ON CONFLICT DO NOTHING, so no reminder is stored twice;
a week the records later show met resolves its reminders.
"""

import datetime
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_noop

from core.bulk import array_literal
from core.jobs import Progress
from mentoring.models import Membership, Notification, NotificationKind, Role
from mentoring.school_weeks import WeekResult, week_label
from mentoring.services.notifications import both_languages_filler, notifications_send_pending
from mentoring.streaks import STREAK_WEEKS

# Administrators hear of a pairing once it has missed this many weeks in a row.
ESCALATE_AFTER = STREAK_WEEKS  # the report's streak: administrators hear of it too
# The weekly check's reminders: the mentor's of a missed week, the administrators' of a streak.
REMINDER_KINDS = (NotificationKind.MISSED_WEEK, NotificationKind.MISSED_STREAK)


@dataclass(frozen=True)
class CheckedPairing:
    """A pairing as the check reads it, with what its reminders need."""

    pk: int
    started_on: datetime.date
    ended_on: datetime.date | None
    student_id: int
    student_name: str
    school_id: int
    school_name: str
    mentor_id: int
    mentor_user_id: int
    mentor_name: str
    # The last row stored before the weeks being checked, which the streak continues.
    seed_week: datetime.date | None
    seed_streak: int


def reminder_keys(pairing_id: int, label: str) -> list[str]:
    """The keys of the reminders about one pairing's week (`reminders_store` writes them)."""
    return [f"missed_week:{pairing_id}:{label}", f"missed_streak:{pairing_id}:{label}"]


def reminders_resolve_sql(weeks: str) -> str:
    """`reminders_resolve` as an UPDATE for PostgreSQL, of the met rows of the relation `weeks`.

    `weeks` (a table or a WITH query of the caller's statement) has the
    columns pairing_id, week_start and met; the keys are `reminder_keys`'
    (the week's label is its ISO year and week). Parameters: %(now)s, %(kinds)s.
    """
    label = "to_char(w.week_start, 'IYYY-\"W\"IW')"
    keys = ", ".join(
        f"'{kind}:' || w.pairing_id || ':' || {label}"
        for kind in (NotificationKind.MISSED_WEEK, NotificationKind.MISSED_STREAK)
    )
    return (
        f"UPDATE {Notification._meta.db_table} n SET resolved_at = %(now)s "  # noqa: S608  # nosec B608
        f"FROM (SELECT unnest(ARRAY[{keys}]) AS key FROM {weeks} w WHERE w.met) k "
        "WHERE n.key = k.key AND n.kind = ANY(%(kinds)s) AND n.resolved_at IS NULL RETURNING 1"
    )


def reminders_resolve(met_weeks: list[tuple[int, datetime.date]]) -> None:
    """Mark resolved the open reminders of weeks the records now show met (SQLite's check;
    PostgreSQL's does it in its statement, `reminders_resolve_sql`).

    Called with the rows the check writes (those that changed) as met, so a
    session logged late into a reminded week resolves its reminders, the
    mentor's and the administrators', in the refresh after its commit. A
    resolved reminder no longer counts as unread (Notification.UNREAD).
    """
    keys = [
        key
        for pairing_id, monday in met_weeks
        for key in reminder_keys(pairing_id, week_label(monday))
    ]
    if not keys:
        return
    Notification.objects.filter(
        kind__in=REMINDER_KINDS, key__in=keys, resolved_at__isnull=True
    ).update(resolved_at=timezone.now())


# The reminders' texts, translated once per check (`both_languages_filler`).
MISSED_WEEK_TEXT = (
    gettext_noop("No tutoring logged in week %(week)s"),
    gettext_noop(
        "Dear %(mentor)s,\n\nno tutoring session with %(student)s was logged in week "
        "%(week)s (%(monday)s to %(sunday)s). If it took place, please log it; "
        "otherwise please meet your student this week."
    ),
)
STREAK_TEXT = (
    gettext_noop("%(student)s: %(n)d weeks without tutoring"),
    gettext_noop(
        "%(student)s (%(school)s) has had no tutoring session for %(n)d weeks in a row, "
        "up to week %(week)s. The mentor is %(mentor)s. Please follow up with them."
    ),
)


def _missed_week_params(pairing: CheckedPairing, week: datetime.date) -> dict:
    return {
        "student": pairing.student_name,
        "week": week_label(week),
        "monday": week.isoformat(),
        "sunday": (week + datetime.timedelta(days=6)).isoformat(),
        "mentor": pairing.mentor_name,
    }


def _streak_params(pairing: CheckedPairing, week: datetime.date, streak: int) -> dict:
    return {
        "student": pairing.student_name,
        "school": pairing.school_name,
        "week": week_label(week),
        "mentor": pairing.mentor_name,
        "n": streak,
    }


def reminders_store(
    missed: list[CheckedPairing], last_week: dict[int, WeekResult], week: datetime.date
) -> int:
    """Store the reminders of the missed week; a reminder already stored is left as it is."""
    label = week_label(week)
    missed_week_text = both_languages_filler(*MISSED_WEEK_TEXT)
    notifications = []
    escalated = []
    for pairing in missed:
        subject, body = missed_week_text(_missed_week_params(pairing, week))
        notifications.append(
            Notification(
                recipient_id=pairing.mentor_user_id,
                kind=NotificationKind.MISSED_WEEK,
                key=reminder_keys(pairing.pk, label)[0],
                school_id=pairing.school_id,
                subject=subject,
                body=body,
                data={"pairing": pairing.pk, "week": label, "student": pairing.student_id},
            )
        )
        if last_week[pairing.pk].missed_streak >= ESCALATE_AFTER:
            escalated.append(pairing)
    if escalated:
        streak_text = both_languages_filler(*STREAK_TEXT)
        administrators: dict[int, list[int]] = {}
        for school_id, user_id in Membership.objects.filter(
            role=Role.ADMINISTRATOR,
            user__is_active=True,
            school_id__in={pairing.school_id for pairing in escalated},
        ).values_list("school_id", "user_id"):
            administrators.setdefault(school_id, []).append(user_id)
        for pairing in escalated:
            streak = last_week[pairing.pk].missed_streak
            subject, body = streak_text(_streak_params(pairing, week, streak))
            for user_id in administrators.get(pairing.school_id, []):
                notifications.append(
                    Notification(
                        recipient_id=user_id,
                        kind=NotificationKind.MISSED_STREAK,
                        key=reminder_keys(pairing.pk, label)[1],
                        school_id=pairing.school_id,
                        subject=subject,
                        body=body,
                        data={
                            "pairing": pairing.pk,
                            "week": label,
                            "student": pairing.student_id,
                            "streak": streak,
                        },
                    )
                )
    # The unique (recipient, key) constraint decides, inside the database,
    # which of two concurrent checks stores a reminder; the other's is ignored.
    Notification.objects.bulk_create(notifications, ignore_conflicts=True)
    # A reminder resolved earlier (a session logged late into the week) whose
    # week this check finds missed again (the session deleted or moved away)
    # is open again, and unread: the records say the week was missed after
    # all. Only a check that reminds re-opens one; a refresh never does. It
    # is not e-mailed a second time.
    if notifications and connection.vendor == "postgresql":
        # Each (recipient, key) pair is one probe of the unique index; `key IN (...)`
        # alone is a scan of that index per key (seconds for a county's week).
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Notification._meta.db_table} n SET resolved_at = NULL, read_at = NULL "  # noqa: S608  # nosec B608 (the model's table)
                "FROM unnest(%s::bigint[], %s::text[]) AS k(recipient_id, key) "
                "WHERE n.recipient_id = k.recipient_id AND n.key = k.key "
                "AND n.resolved_at IS NOT NULL",
                [
                    array_literal(n.recipient_id for n in notifications),
                    array_literal(n.key for n in notifications),
                ],
            )
    elif notifications:
        Notification.objects.filter(
            key__in={notification.key for notification in notifications},
            resolved_at__isnull=False,
        ).update(resolved_at=None, read_at=None)
    return len(notifications)


def reminders_mail(*, progress: Progress) -> dict:
    """E-mail the weekly check's reminders not yet mailed, each once: the task the check
    announces (`mentoring.signals.reminders_stored`) after its commit.

    Safe to run twice, or in two workers at once: `notifications_send_pending`
    claims each notification before sending it, so a second run finds nothing
    left. A reminder whose e-mail failed (the mail server away) is unclaimed
    and sent by a later run, for as long as `EMAIL_RETRY_PERIOD`.
    """
    emailed = notifications_send_pending(kinds=REMINDER_KINDS)
    progress(100)
    return {"emailed": emailed}
