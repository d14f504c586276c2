"""What `make demo` tells the person who ran it: in sentences, in Chinese and then in English.

The figures of the term are the term report's own (`written_summary` of the
issued report), so the demo never prints a number the report contradicts;
the accounts are named with the page each one opens at `/`
(`mentoring.web.start.page_for`), and what waits in the console
(`console_lines`) is counted by the selectors the console lists it with. No
child is named: only schools, staff and donors.
"""

from collections.abc import Callable

from django.db.models import Count, Q
from django.utils import translation
from django.utils.translation import gettext as _

from mentoring.models import (
    ApplicationStatus,
    AssessmentStatus,
    Membership,
    Mentor,
    Role,
    StudentRecord,
)
from mentoring.web.start import page_for
from workers.demo_county import ACCOUNTS, DEMO_PASSWORD, County
from workers.reporting.document import written_summary

SITE = "http://127.0.0.1:8000"
# The administrator the console's waiting work is announced for: it administers every school.
CONSOLE_ACCOUNT = "district_admin"
# The console's pages for the waiting work. Starting identification (the families'
# pending applications) is its own page.
IDENTIFICATION_PATH = "/console/identification/"
IDENTIFICATION_START_PATH = "/console/identification/start/"
MATCH_RUN_PATH = "/console/matching/%(run)s/"
LANGUAGES = ("zh-hans", "en")


def both(render: Callable[[], str]) -> list[str]:
    """The sentence in Chinese, then in English (once when the two read the same)."""
    lines = []
    for language in LANGUAGES:
        with translation.override(language):
            line = render()
        if line not in lines:
            lines.append(line)
    return lines


def county_lines(county: County) -> list[str]:
    term = county.term
    schools = list(
        StudentRecord.objects.filter(term=term)
        .values("student__school__name")
        .annotate(students=Count("pk"), struggling=Count("pk", filter=Q(struggling=True)))
        .order_by("student__school__code")
    )
    students = sum(row["students"] for row in schools)
    mentors = Mentor.objects.filter(schools__district=county.district).distinct().count()
    lines = both(
        lambda: (
            _(
                "%(district)s, %(term)s: %(schools)s schools, %(students)s students, "
                "%(mentors)s mentors."
            )
            % {
                "district": county.district.name,
                "term": term.label,
                "schools": len(schools),
                "students": f"{students:,}",
                "mentors": mentors,
            }
        )
    )
    for row in schools:
        lines += [
            "  " + line
            for line in both(
                lambda row=row: (
                    _(
                        "%(school)s: %(students)s students, %(struggling)s of them struggling "
                        "in a subject."
                    )
                    % {
                        "school": row["student__school__name"],
                        "students": row["students"],
                        "struggling": row["struggling"],
                    }
                )
            )
        ]
    return lines


def report_lines(report, data: dict, files) -> list[str]:
    """The term report's written summary, in both languages, and where its files are."""
    lines = []
    for language in LANGUAGES:
        with translation.override(language):
            lines.append(
                _("So far this term, as the term report (version %(version)s) says:")
                % {"version": report.version}
            )
            lines += ["  " + paragraph for paragraph in written_summary(data)]
    lines += both(lambda: _("The report's files:"))
    lines += [f"  {path}" for path in files]
    return lines


def account_lines(county: County) -> list[str]:
    """Each demo account: who it is, and the page it opens after signing in at `/`."""
    lines = both(
        lambda: (
            _("Demo accounts (password %(password)s), each with its own page:")
            % {"password": DEMO_PASSWORD}
        )
    )
    schools: dict[int, list[str]] = {}
    for membership in (
        Membership.objects.filter(user__in=county.accounts.values())
        .select_related("school")
        .order_by("school__code")
    ):
        schools.setdefault(membership.user_id, []).append(membership.school.name)
    for username, role, codes, _name in ACCOUNTS:
        user = county.accounts[username]
        whole_district = role == "administrator" and len(codes) > 1
        where = county.district.name if whole_district else "、".join(schools.get(user.pk, []))
        page = SITE + page_for(user)
        for line in both(
            lambda user=user, role=role, where=where, page=page: (
                _("%(username)s, %(name)s, %(role)s of %(where)s: %(page)s")
                % {
                    "username": user.username,
                    "name": user.get_full_name() or user.username,
                    "role": _role_name(role),
                    "where": where,
                    "page": page,
                }
            )
        ):
            lines.append("  " + line)
    return lines


def _role_name(role: str) -> str:
    label = str(Role(role).label)
    return label.lower() if translation.get_language() == "en" else label


def serve_lines() -> list[str]:
    return both(
        lambda: (
            _(
                "Start the server with `make serve`, open %(site)s/ and sign in with an account "
                "above; the API's documentation is at %(site)s/api/docs/."
            )
            % {"site": SITE}
        )
    )


def console_waiting(county: County) -> dict:
    """What waits for `CONSOLE_ACCOUNT` in the console's term, counted as the console lists it.

    The identification queue (`assessments_visible_to`) by its open states, the
    ended notices apart from those still running, the families' pending
    applications (`applications_visible_to`), and the proposed match run
    (`workers.demo_term.waiting_match_run`).
    """
    from django.utils import timezone

    from mentoring.models import Objection
    from mentoring.selectors.applications import applications_visible_to
    from mentoring.selectors.identification import assessments_visible_to
    from workers.demo_term import waiting_match_run

    user = county.accounts[CONSOLE_ACCOUNT]
    today = timezone.localdate()
    queue = assessments_visible_to(user).filter(term=county.term)
    counts = dict(queue.values_list("status").annotate(n=Count("pk")).order_by())
    ended = queue.filter(status=AssessmentStatus.PUBLICIZED, notice_ends_on__lt=today)
    objected = Objection.objects.filter(assessment__in=ended, answered_at__isnull=True)
    run = waiting_match_run(county)
    return {
        "user": user,
        "term": county.term,
        "counts": {status: counts.get(status, 0) for status in AssessmentStatus.values},
        "ended": ended.count(),
        "objected": objected.values("assessment").distinct().count(),
        "running": counts.get(AssessmentStatus.PUBLICIZED, 0) - ended.count(),
        "applications": applications_visible_to(user)
        .filter(term=county.term, status=ApplicationStatus.PENDING)
        .count(),
        "run": run,
        "run_pairs": run.proposed_pairs.count() if run is not None else 0,
    }


def console_lines(county: County) -> list[str]:
    """What waits for the administrator in the console, and where, in Chinese then English."""
    waiting = console_waiting(county)
    user, counts = waiting["user"], waiting["counts"]
    lines = both(
        lambda: (
            _(
                "Waiting in the console for %(username)s (%(name)s, password %(password)s), "
                "%(term)s:"
            )
            % {
                "username": user.username,
                "name": user.get_full_name() or user.username,
                "password": DEMO_PASSWORD,
                "term": waiting["term"].label,
            }
        )
    )
    queue = SITE + IDENTIFICATION_PATH
    sentences = [
        lambda: (
            _(
                "Identification: %(submitted)s applications await the class teacher's "
                "investigation, %(investigated)s the class review group, %(class_reviewed)s "
                "the school review and %(school_reviewed)s their public notice: %(url)s"
            )
            % {
                "submitted": counts[AssessmentStatus.SUBMITTED],
                "investigated": counts[AssessmentStatus.INVESTIGATED],
                "class_reviewed": counts[AssessmentStatus.CLASS_REVIEWED],
                "school_reviewed": counts[AssessmentStatus.SCHOOL_REVIEWED],
                "url": queue,
            }
        ),
        lambda: (
            _(
                "Approval: %(ended)s public notices have ended (%(objected)s of them with an "
                "objection to answer first) and %(listed)s students of a government list await "
                "approval; %(running)s notices are still running: %(url)s"
            )
            % {
                "ended": waiting["ended"],
                "objected": waiting["objected"],
                "listed": counts[AssessmentStatus.PROPOSED],
                "running": waiting["running"],
                "url": queue,
            }
        ),
        lambda: (
            _(
                "Starting identification: %(applications)s families' applications from the "
                "public page await confirmation against the roster: %(url)s"
            )
            % {
                "applications": waiting["applications"],
                "url": SITE + IDENTIFICATION_START_PATH,
            }
        ),
    ]
    run = waiting["run"]
    if run is not None:
        sentences.append(
            lambda: (
                _(
                    "Matching: run #%(run)s of %(schools)s proposes %(pairs)s pairs, each with "
                    "its reasons; change a pair, then approve the run: %(url)s"
                )
                % {
                    "run": run.pk,
                    "schools": "、".join(
                        run.schools.order_by("code").values_list("name", flat=True)
                    ),
                    "pairs": waiting["run_pairs"],
                    "url": SITE + MATCH_RUN_PATH % {"run": run.pk},
                }
            )
        )
    for sentence in sentences:
        lines += ["  " + line for line in both(sentence)]
    return lines
