"""What makes the report a document an official signs: who issues it, for which term or year,
when and by whom it was built (in local time), the page counter, and the written summary a
bureau puts above its tables (学期资助工作总结), all in the active language.
"""

import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from core.documents import css_string, page_counter_css
from mentoring.models import school_year_label, term_label
from workers.reporting.figures_year import is_year

# The page furniture is every printed document's (core.documents); the report names it here too.
__all__ = ["css_string", "page_counter_css", "term_label"]


def money(value) -> str:
    """Yuan as a bureau writes them: thousands separated, two decimals."""
    return "—" if value is None else f"{Decimal(value):,.2f}"


def percent(value) -> str:
    """A share as a bureau writes it: "8.54%", no space before the sign."""
    return "—" if value is None else f"{Decimal(value):,}%"


def count(value) -> str:
    return f"{value:,}"


def issuer(data) -> str:
    """The issuing unit (填报单位): the school for a school's report, else the district's bureau."""
    if data["scope"] == "school":
        return data["schools"][0]["name"]
    return _("%(district)s Education Bureau") % {"district": data["district"]["name"]}


def period(data) -> str:
    """The term's or the school year's name: "2026年秋季学期", "2025—2026学年"."""
    if is_year(data):
        return school_year_label(data["school_year"])
    return term_label(data["term"]["code"])


def local_time(value: str | None) -> str:
    """A stored UTC timestamp as the reader's clock shows it (the project's time zone)."""
    if not value:
        return ""
    moment = timezone.localtime(datetime.datetime.fromisoformat(value))
    return _("%(time)s Beijing time") % {"time": moment.strftime("%Y-%m-%d %H:%M")}


def local_date(value: str | None) -> str:
    """The local day of a stored UTC timestamp: 23:30 UTC is already the next day in Beijing."""
    if not value:
        return ""
    return timezone.localdate(datetime.datetime.fromisoformat(value)).isoformat()


def builder(data) -> str:
    """The person who built the version, by name (reports built before names were kept: login)."""
    return data.get("built_by_name") or data.get("built_by") or ""


def _join(parts: list[str]) -> str:
    """Items one after the other, as the language separates them ("；" in Chinese)."""
    joined = parts[0]
    for item in parts[1:]:
        joined = _("%(list)s; %(item)s") % {"list": joined, "item": item}
    return joined


def _problems(data) -> str:
    total = data["problems"]["total"]
    parts = []
    if total["late_awards"]:
        parts.append(
            _("%(count)s awards paid late or overdue (%(amount)s yuan)")
            % {"count": count(total["late_awards"]), "amount": money(total["late_amount"])}
        )
    if total["unpaid_awards"]:
        parts.append(_("%(count)s awards not yet paid") % {"count": count(total["unpaid_awards"])})
    if total["missed_streaks"]:
        parts.append(
            _("%(count)s pairs missing weeks in a row (the longest %(weeks)s weeks)")
            % {"count": count(total["missed_streaks"]), "weeks": total["longest_streak"]}
        )
    if total["unanswered_objections"]:
        parts.append(
            _("%(count)s objections not answered")
            % {"count": count(total["unanswered_objections"])}
        )
    if total["duplicate_aid_refused"]:
        parts.append(
            _("%(count)s duplicate awards refused")
            % {"count": count(total["duplicate_aid_refused"])}
        )
    complaints = (data.get("complaints") or {}).get("total") or {}
    if complaints.get("overdue"):
        parts.append(
            _("%(count)s complaints open past their due day")
            % {"count": count(complaints["overdue"])}
        )
    if not parts:
        return _("No problems were found.")
    return _("Problems found: %(problems)s.") % {"problems": _join(parts)}


def written_summary(data) -> list[str]:
    """The term's summary in sentences, each figure as its table has it; empty for a year."""
    if is_year(data):
        return []
    h = data["headline"]
    where = data["schools"][0]["name"] if data["scope"] == "school" else data["district"]["name"]
    paragraphs = [
        _(
            "In the %(term)s, %(where)s had %(enrolment)s students enrolled; %(aided)s of them "
            "were aided (%(awards)s awards), %(share)s of enrolment."
        )
        % {
            "term": period(data),
            "where": where,
            "enrolment": count(h["enrolment"]),
            "aided": count(h["aided_students"]),
            "awards": count(h["aid_awards"]),
            "share": percent(h["aided_share"]),
        }
    ]
    funds = _(
        "Aid funds allocated: %(allocated)s yuan, of which %(received)s yuan arrived; "
        "awarded %(awarded)s yuan, of which %(paid)s yuan paid."
    ) % {name: money(h[name]) for name in ("allocated", "received", "awarded", "paid")}
    arrival, payout = h["government_arrival_rate"], h["government_payout_rate"]
    if arrival is not None and payout is not None:
        rates = _(
            "Government funds arrived at %(arrival)s of the allocation and %(payout)s of "
            "the awards were paid."
        ) % {"arrival": percent(arrival), "payout": percent(payout)}
        # Two sentences one after the other: a space in English, none in Chinese.
        funds = _("%(sentence)s %(next)s") % {"sentence": funds, "next": rates}
    paragraphs.append(funds)
    if h["pairings"]:
        paragraphs.append(
            _(
                "%(pairings)s mentoring pairs logged %(sessions)s sessions and %(visits)s home "
                "visits; %(share)s of pair-weeks met the weekly target."
            )
            % {
                "pairings": count(h["pairings"]),
                "sessions": count(h["sessions"]),
                "visits": count(h["home_visits"]),
                "share": percent(h["compliance_share"]),
            }
        )
    else:
        paragraphs.append(_("No mentoring pairs this term."))
    donations = data["donations"]
    if donations["contributions"]:
        paragraphs.append(
            _("Donations received: %(amount)s yuan in %(count)s contributions.")
            % {"amount": money(donations["money"]), "count": count(donations["contributions"])}
        )
    else:
        paragraphs.append(_("No donations were received this term."))
    paragraphs.append(_problems(data))
    return paragraphs
