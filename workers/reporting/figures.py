"""The term report's arithmetic: plain data in, plain data out, no Django.

`compose` turns the rows that `workers.reporting.collect` read (lists of
dicts, one per group of an aggregate query) into the report's figures: per
school and in total, shares with two decimals rounded half-up, money as yuan
strings with two places, and the comparison with the previous term. Keys of
per-school figures are school codes, so the figures read the same in JSON,
XLSX and HTML. Nothing here rounds through a float.
"""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from core.money import fen, yuan
from donations.money_words import (
    AMOUNTS,
    FUND_GROUPS,
    fund_group,
    money_figures,
    share,
)
from mentoring.outcomes import NOT_IN_HARDSHIP
from workers.reporting.arithmetic import add_up, change
from workers.reporting.figures_aid import aid_section
from workers.reporting.figures_committees import committee_section

APPROVED = "approved"
REJECTED = "rejected"
__all__ = ["share", "yuan"]


def _per_school(schools: list[dict]) -> dict[int, str]:
    return {school["id"]: school["code"] for school in schools}


# Sections ---------------------------------------------------------------------------------


def _enrolment(raw, codes):
    schools = {code: {"students": 0, "boarding": 0, "by_level": {}} for code in codes.values()}
    total = {"students": 0, "boarding": 0, "by_level": {}}
    for row in raw["enrolment"]:
        for target in (schools[codes[row["school"]]], total):
            target["students"] += row["students"]
            if row["boarding"]:
                target["boarding"] += row["students"]
            level = target["by_level"]
            level[row["level"]] = level.get(row["level"], 0) + row["students"]
    return {"schools": schools, "total": total}


def _identification(raw, codes, tiers):
    def empty():
        return {
            "applications": 0,
            "government_list": 0,
            "approved": 0,
            "approved_by_tier": {tier: 0 for tier in tiers},
            "not_in_hardship": 0,
            "rejected": 0,
            "in_progress": 0,
            "objections_raised": 0,
            "objections_answered": 0,
        }

    schools = {code: empty() for code in codes.values()}
    total = empty()
    for row in raw["assessments"]:
        n = row["n"]
        for target in (schools[codes[row["school"]]], total):
            if row["route"] == "government_list":
                target["government_list"] += n
            else:
                target["applications"] += n
            if row["status"] == APPROVED:
                if row["tier"] == NOT_IN_HARDSHIP:
                    target["not_in_hardship"] += n
                else:
                    target["approved"] += n
                    by_tier = target["approved_by_tier"]
                    by_tier[row["tier"]] = by_tier.get(row["tier"], 0) + n
            elif row["status"] == REJECTED:
                target["rejected"] += n
            else:
                target["in_progress"] += n
    for row in raw["objections"]:
        for target in (schools[codes[row["school"]]], total):
            target["objections_raised"] += row["raised"]
            target["objections_answered"] += row["answered"]
    return {"schools": schools, "total": total}


# The categories of a bureau's summary table, from the government list a student is on.
MENTORING_SUMS = ("pairings", "academic", "care", "sessions", "minutes", "home_visits")


def _mentoring_figures(sums: dict) -> dict:
    return {
        "pairings": sums.get("pairings", 0),
        "pairings_by_kind": {
            "academic": sums.get("academic", 0),
            "care": sums.get("care", 0),
        },
        "sessions": sums.get("sessions", 0),
        "minutes": sums.get("minutes", 0),
        "home_visits": sums.get("home_visits", 0),
        "pair_weeks": sums.get("weeks", 0),
        "pair_weeks_met": sums.get("met", 0),
        "compliance_share": share(sums.get("met", 0), sums.get("weeks", 0)),
    }


def _mentoring(raw, codes):
    school_sums = {code: {} for code in codes.values()}
    total = {}
    branches = defaultdict(dict)
    for row in raw["pairings"]:
        code = codes[row["school"]]
        counts = {"pairings": row["pairings"], row["kind"]: row["pairings"]}
        add_up(school_sums[code], counts, counts)
        add_up(total, counts, counts)
    for row in raw["branch_pairings"]:
        counts = {"pairings": row["pairings"], row["kind"]: row["pairings"]}
        add_up(branches[row["branch"]], counts, counts)
        branch = branches[row["branch"]]
        branch.setdefault("mentors", 0)
    for row in raw["branch_mentors"]:
        for name in ("mentors", "party_teachers_with_mentee", "leaders_sponsoring"):
            branches[row["branch"]][name] = row.get(name, 0)
    for row in raw["sessions"]:
        counts = {name: row[name] or 0 for name in ("sessions", "minutes", "home_visits")}
        for target in (school_sums[codes[row["school"]]], total, branches[row["branch"]]):
            add_up(target, counts, counts)
    weeks = defaultdict(lambda: {"weeks": 0, "met": 0})
    for row in raw["compliance"]:
        for target in (
            school_sums[codes[row["school"]]],
            total,
            branches[row["branch"]],
            weeks[row["week"]],
        ):
            add_up(target, row, ("weeks", "met"))

    mentors = {code: {} for code in codes.values()}
    for row in raw["mentors"]:
        mentors[codes[row["school"]]][row["kind"]] = {
            "mentors": row["mentors"],
            "with_mentee": row["with_mentee"],
        }
    mentors_total = {
        row["kind"]: {"mentors": row["mentors"], "with_mentee": row["with_mentee"]}
        for row in raw["mentors_total"]
    }
    sponsoring = {codes[row["school"]]: row["leaders"] for row in raw["sponsoring"]}
    needs = {code: {"needing_mentor": 0, "without_mentor": 0} for code in codes.values()}
    needs_total = {"needing_mentor": 0, "without_mentor": 0}
    for row in raw["enrolment"]:
        for target in (needs[codes[row["school"]]], needs_total):
            add_up(target, row, ("needing_mentor", "without_mentor"))
    scores = {code: {"students": 0, "rose": 0} for code in codes.values()}
    scores_total = {"students": 0, "rose": 0}
    for row in raw["scores"]:
        for target in (scores[codes[row["school"]]], scores_total):
            add_up(target, row, ("students", "rose"))

    def school_figures(code, sums):
        figures = _mentoring_figures(sums)
        figures["mentors_by_kind"] = mentors[code]
        figures["party_teachers_with_mentee"] = (
            mentors[code].get("party_teacher", {}).get("with_mentee", 0)
        )
        figures["party_teachers"] = mentors[code].get("party_teacher", {}).get("mentors", 0)
        figures["leaders_sponsoring"] = sponsoring.get(code, 0)
        figures.update(needs[code])
        figures["struggling_with_scores"] = scores[code]["students"]
        figures["struggling_scores_rose"] = scores[code]["rose"]
        return figures

    total_figures = _mentoring_figures(total)
    total_figures["mentors_by_kind"] = mentors_total
    total_figures["party_teachers_with_mentee"] = mentors_total.get("party_teacher", {}).get(
        "with_mentee", 0
    )
    total_figures["party_teachers"] = mentors_total.get("party_teacher", {}).get("mentors", 0)
    total_figures["leaders_sponsoring"] = raw["sponsoring_total"]
    total_figures.update(needs_total)
    total_figures["struggling_with_scores"] = scores_total["students"]
    total_figures["struggling_scores_rose"] = scores_total["rose"]
    branch_figures = {}
    for name, sums in sorted(branches.items()):
        figures = _mentoring_figures(sums)
        figures["mentors"] = sums.get("mentors", 0)
        figures["party_teachers_with_mentee"] = sums.get("party_teachers_with_mentee", 0)
        figures["leaders_sponsoring"] = sums.get("leaders_sponsoring", 0)
        branch_figures[name] = figures
    return {
        "schools": {code: school_figures(code, sums) for code, sums in school_sums.items()},
        "total": total_figures,
        # Mentors without a party branch are grouped under "".
        "party_branches": branch_figures,
        "weeks": [
            {"week": week, **counts, "share": share(counts["met"], counts["weeks"])}
            for week, counts in sorted(weeks.items())
        ],
    }


def _donations(raw):
    by_donor = defaultdict(lambda: {"amount_fen": 0, "contributions": 0, "projects": set()})
    by_project = defaultdict(lambda: {"amount_fen": 0, "contributions": 0})
    for row in raw["donations"]:
        name = None if row["anonymous"] else row["donor_name"]
        key = ("", "anonymous") if row["anonymous"] else (row["donor_name"], row["donor_kind"])
        donor = by_donor[key]
        donor["name"], donor["kind"] = name, None if row["anonymous"] else row["donor_kind"]
        add_up(donor, row, ("amount_fen", "contributions"))
        donor["projects"].add(row["project_code"])
        add_up(by_project[row["project_code"]], row, ("amount_fen", "contributions"))
    money_total = sum(d["amount_fen"] for d in by_donor.values())
    donors = sorted(by_donor.values(), key=lambda d: (-d["amount_fen"], d["name"] or ""))
    pledges = defaultdict(int)
    for row in raw["pledges"]:
        pledges[row["status"]] += row["n"]
    unit_value = {}
    items = []
    for row in raw["items_received"]:
        unit_value[row["item"]] = (row["all_value_fen"], row["all_quantity"])
    given = defaultdict(int)
    for row in raw["items_given"]:
        given[row["item"]] += row["quantity"]
    names = {row["item"]: row for row in raw["items_received"]}
    for item in sorted(set(names) | set(given), key=lambda i: names.get(i, {}).get("name", "")):
        value, quantity = unit_value.get(item, (0, 0))
        received = names.get(item, {})
        # Items given are valued at the average value per unit of all items of the kind received.
        given_value = (
            int((Decimal(value) * given[item] / quantity).quantize(1, ROUND_HALF_UP))
            if quantity
            else 0
        )
        items.append(
            {
                "name": received.get("name", ""),
                "unit": received.get("unit", ""),
                "received": received.get("quantity", 0),
                "received_value": yuan(received.get("value_fen", 0)),
                "given": given[item],
                "given_value": yuan(given_value),
            }
        )
    return {
        "money": yuan(money_total),
        "contributions": sum(d["contributions"] for d in by_donor.values()),
        "by_donor": [
            {
                "donor": d["name"],
                "kind": d["kind"],
                "anonymous": d["name"] is None,
                "amount": yuan(d["amount_fen"]),
                "contributions": d["contributions"],
                "projects": sorted(d["projects"]),
            }
            for d in donors
        ],
        "by_project": {
            code: {"amount": yuan(p["amount_fen"]), "contributions": p["contributions"]}
            for code, p in sorted(by_project.items())
        },
        "pledges": {
            "fulfilled": pledges.get("fulfilled", 0),
            "overdue": pledges.get("overdue", 0),
            "open": pledges.get("pledged", 0) + pledges.get("partly_received", 0),
            "cancelled": pledges.get("cancelled", 0),
        },
        "items": items,
    }


def _problems(raw, codes):
    def empty():
        return {
            "duplicate_aid_refused": 0,
            "late_awards": 0,
            "late_amount_fen": 0,
            "unpaid_awards": 0,
            "missed_streaks": 0,
            "longest_streak": 0,
            "unanswered_objections": 0,
        }

    schools = {code: empty() for code in codes.values()}
    total = empty()
    for row in raw["awards"]:
        for target in (schools[codes[row["school"]]], total):
            target["late_awards"] += row["late"]
            target["late_amount_fen"] += row["late_fen"]
            target["unpaid_awards"] += row["unpaid_awards"]
    if raw.get("refusals_recorded"):
        for row in raw["refusals"]:
            code = codes.get(row["school"])
            if code is not None:
                schools[code]["duplicate_aid_refused"] += row["refused"]
                total["duplicate_aid_refused"] += row["refused"]
    else:  # a snapshot from before refusals were recorded: allocation runs only
        for row in raw["left_out"]:
            code = codes.get(row["school"])
            if code is not None and row["reason"] == "duplicate_aid":
                schools[code]["duplicate_aid_refused"] += 1
                total["duplicate_aid_refused"] += 1
    for row in raw["streaks"]:
        for target in (schools[codes[row["school"]]], total):
            target["missed_streaks"] += row["pairings"]
            target["longest_streak"] = max(target["longest_streak"], row["longest"] or 0)
    for row in raw["objections"]:
        for target in (schools[codes[row["school"]]], total):
            target["unanswered_objections"] += row["raised"] - row["answered"]
    for figures in [*schools.values(), total]:
        figures["late_amount"] = yuan(figures.pop("late_amount_fen"))
    return {
        "schools": schools,
        "total": total,
        # Refusals are recorded (donations.AidRefusal), by hand or by allocation.
        "duplicate_aid_recorded": raw.get("refusals_recorded", False),
    }


COMPLAINT_FIGURES = ("received", "answered_in_time", "answered_late", "open", "overdue")
# The key of the district's own complaints (made to the bureau, not to a school).
DISTRICT_OWN = "district"


def _complaints(raw, codes):
    """Complaints per school (and the district's own), with a total; None for a report built
    before complaints were recorded."""
    if "complaints" not in raw:
        return None
    schools = {code: dict.fromkeys(COMPLAINT_FIGURES, 0) for code in codes.values()}
    total = dict.fromkeys(COMPLAINT_FIGURES, 0)
    for row in raw["complaints"]:
        code = DISTRICT_OWN if row["school"] is None else codes.get(row["school"])
        if code is None:
            continue
        target = schools.setdefault(code, dict.fromkeys(COMPLAINT_FIGURES, 0))
        for name in COMPLAINT_FIGURES:
            target[name] += row[name]
            total[name] += row[name]
    return {"schools": schools, "total": total}


MONEY_COMPARED = ("allocated", "received", "awarded", "paid")
RATES = ("arrival_rate", "payout_rate")
HEADLINE_COMPARED = (
    "enrolment",
    "aided_students",
    "aided_share",
    *MONEY_COMPARED,
    *(f"{group}_{name}" for group in FUND_GROUPS for name in (*MONEY_COMPARED, *RATES)),
    "pairings",
    "compliance_share",
    "sessions",
    "home_visits",
    "donations",
)


def _headline(data) -> dict:
    aid, funds, mentoring = data["aid"]["total"], data["aid"]["funds"], data["mentoring"]["total"]
    headline = {
        "enrolment": data["enrolment"]["total"]["students"],
        "boarding": data["enrolment"]["total"]["boarding"],
        "aided_students": aid["students"],
        "aid_awards": aid["awards"],
        "aided_share": aid["share_of_enrolment"],
        # All funds, government and social together: amounts only, no rate.
        **funds["all"],
        "allocated_by_source": {
            s: m["allocated"] for s, m in funds["by_source"].items() if m["allocated"] != "0.00"
        },
        "received_by_source": {
            s: m["received"] for s, m in funds["by_source"].items() if m["received"] != "0.00"
        },
        "pairings": mentoring["pairings"],
        "compliance_share": mentoring["compliance_share"],
        "sessions": mentoring["sessions"],
        "home_visits": mentoring["home_visits"],
        "donations": data["donations"]["money"],
    }
    for group in FUND_GROUPS:
        for name, value in funds[group].items():
            headline[f"{group}_{name}"] = value
    return headline


def compose(raw: dict, previous: dict | None = None) -> dict:
    """The report's figures from this term's rows, compared with the previous term's if given.

    `raw` is what `collect.term_rows` returns; `previous` the same for the
    previous term (or None). The result is JSON-ready.
    """
    codes = _per_school(raw["schools"])
    tiers = [tier["code"] for tier in raw["tiers"]]
    data = {
        "term": raw["term"],
        "previous_term": previous["term"] if previous else None,
        "scope": raw["scope"],
        "district": raw["district"],
        "schools": [{k: school[k] for k in ("code", "name", "level")} for school in raw["schools"]],
        "tiers": raw["tiers"],
        "project_names": raw.get("project_names", {}),
    }
    data["enrolment"] = _enrolment(raw, codes)
    data["identification"] = _identification(raw, codes, tiers)
    data["aid"] = aid_section(raw, codes, data["enrolment"])
    data["mentoring"] = _mentoring(raw, codes)
    data["donations"] = _donations(raw)
    data["problems"] = _problems(raw, codes)
    data["complaints"] = _complaints(raw, codes)
    data["committees"] = committee_section(raw)
    data["headline"] = _headline(data)
    before = compose(previous) if previous else None
    data["comparison"] = {
        name: {
            "current": data["headline"][name],
            "previous": before["headline"][name] if before else None,
            "change": change(data["headline"][name], before["headline"][name]) if before else None,
        }
        for name in HEADLINE_COMPARED
    }
    data["comparison_by_school"] = _compare_schools(data, before)
    return data


def with_money_words(data: dict) -> dict:
    """A version issued before the money words (a copy), read as one issued after them.

    Issued versions are never rewritten, so an older one is given what the
    readers now expect, from its own figures: each project's fund group,
    awarded and paid (this report's schools', as its totals were), the fund
    groups' sums and rates, and the headline's. A current version is returned
    as it is.
    """
    if "all" in data["aid"].get("funds", {}):
        return data
    projects = data["aid"]["projects"]
    data = {**data, "aid": {**data["aid"]}, "headline": {**data["headline"]}}
    shared = set(data["aid"].get("funds", {}).get("shared_projects", []))
    groups = {group: {} for group in FUND_GROUPS}
    rows = []
    for project in projects:
        money = {
            "allocated": fen(project.get("allocated", "0.00")),
            "received": fen(project.get("received", "0.00")),
            "awarded": fen(project["total"]["amount"]),
            "paid": fen(project["total"]["paid"]),
        }
        group = fund_group(project.get("source", ""))
        counted = (
            money if project["code"] not in shared else {**money, "allocated": 0, "received": 0}
        )
        add_up(groups[group], counted, counted)
        rows.append({**project, "fund_group": group, **money_figures(money)})
    everything = {}
    for sums in groups.values():
        add_up(everything, sums, sums)
    by_source = data["aid"].get("funds", {}).get("by_source", {})
    data["aid"]["projects"] = rows
    data["aid"]["funds"] = {
        "shared_projects": sorted(shared),
        **{group: money_figures(sums) for group, sums in groups.items()},
        "all": {name: yuan(everything.get(name, 0)) for name in AMOUNTS},
        "by_source": by_source,
    }
    data["headline"] = _headline(data)
    return data


SCHOOL_COMPARED = (
    ("enrolment", lambda d, code: d["enrolment"]["schools"][code]["students"]),
    ("aided_students", lambda d, code: d["aid"]["schools"][code]["students"]),
    ("aided_share", lambda d, code: d["aid"]["schools"][code]["share_of_enrolment"]),
    ("awarded", lambda d, code: d["aid"]["schools"][code]["amount"]),
    ("pairings", lambda d, code: d["mentoring"]["schools"][code]["pairings"]),
    ("sessions", lambda d, code: d["mentoring"]["schools"][code]["sessions"]),
    (
        "compliance_share",
        lambda d, code: d["mentoring"]["schools"][code]["compliance_share"],
    ),
)


def _compare_schools(data: dict, before: dict | None) -> dict:
    """Each school's main figures against its own in the previous term, where it had any."""
    compared = {}
    for school in data["schools"]:
        code = school["code"]
        had = before is not None and code in before["enrolment"]["schools"]
        compared[code] = {}
        for name, read in SCHOOL_COMPARED:
            current = read(data, code)
            previous = read(before, code) if had else None
            compared[code][name] = {
                "current": current,
                "previous": previous,
                "change": change(current, previous),
            }
    return compared


def money_check(raw: dict) -> list[str]:
    """Where the report's money and the ledger's disagree; an empty list when they agree.

    Three checks, per project: what the report counts as paid equals what the
    ledger took out for those payments (net of any reversal of them); the
    donations the report counts equal the ledger's entries for them; and each
    fund account's balance equals the sum of its ledger.
    """
    problems = []
    projects = {p["id"]: p["code"] for p in raw["projects"]}
    paid = defaultdict(lambda: [0, 0])
    for row in raw["payments"]:
        paid[row["project"]][0] += row["paid_fen"]
        paid[row["project"]][1] += row["ledger_fen"]
    for project, (report_fen, ledger_fen) in sorted(paid.items()):
        if report_fen != -ledger_fen:
            problems.append(
                f"{projects.get(project, project)}: paid {yuan(report_fen)} in the report, "
                f"{yuan(-ledger_fen)} out of the ledger"
            )
    for row in raw["donation_ledger"]:
        if row["amount_fen"] != row["ledger_fen"]:
            problems.append(
                f"{projects.get(row['project'], row['project'])}: donations "
                f"{yuan(row['amount_fen'])} in the report, {yuan(row['ledger_fen'])} in the ledger"
            )
    for row in raw["accounts"]:
        if row["balance_fen"] != row["ledger_fen"]:
            problems.append(
                f"{projects.get(row['project'], row['project'])}: account balance "
                f"{yuan(row['balance_fen'])}, ledger sum {yuan(row['ledger_fen'])}"
            )
    return problems
