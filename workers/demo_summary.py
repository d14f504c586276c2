"""What `make demo` tells the person who ran it: in sentences, in Chinese and then in English.

The figures of the term are the term report's own (`written_summary` of the
issued report), so the demo never prints a number the report contradicts;
the accounts are named with the page each one opens at `/`
(`mentoring.web.start.page_for`). No child is named: only schools, staff and
donors.
"""

from collections.abc import Callable

from django.db.models import Count, Q
from django.utils import translation
from django.utils.translation import gettext as _

from mentoring.models import Membership, Mentor, Role, StudentRecord
from mentoring.web.start import page_for
from workers.demo_county import ACCOUNTS, DEMO_PASSWORD, County
from workers.reporting.document import written_summary

SITE = "http://127.0.0.1:8000"
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
