"""Does a built report add up? Plain data in, a list of failures out, no Django.

`reconcile(data, ledger)` takes a report's figures (what `figures.compose`
built) and the ledger's own sums (`collect_money.ledger_sums`) and names every
figure that fails one of three rules:

- every total equals the sum of its parts: a figure split by school, by
  project, by source, by fund group or by category adds up to the figure it
  splits, and every rate is the one its money words define;
- its money equals the ledger's: received, paid and donated per project (in a
  school's report, donated to its own projects, and no other's);
- 人数 ≤ 人次: nowhere are more students aided than awards made.

An empty list means the report reconciles.
"""

from core.money import fen, yuan
from donations.money_words import AMOUNTS, FUND_GROUPS, arrival_rate, payout_rate

AID_COUNTS = ("students", "awards", "unpaid_awards", "payments", "left_out")
AID_MONEY = ("amount", "paid", "unpaid")
MENTORING_COUNTS = (
    "pairings",
    "sessions",
    "minutes",
    "home_visits",
    "pair_weeks",
    "pair_weeks_met",
)
PROBLEM_COUNTS = (
    "duplicate_aid_refused",
    "late_awards",
    "unpaid_awards",
    "missed_streaks",
    "unanswered_objections",
)


def _value(figure):
    """A figure as a number that adds exactly: money strings in fen, counts as they are."""
    if isinstance(figure, str):
        return fen(figure)
    return figure or 0


class _Failures(list):
    def equal(self, what: str, whole, parts) -> None:
        """`whole` must equal the sum of `parts` (figures of the report, money or counts)."""
        total = sum(_value(part) for part in parts)
        if _value(whole) != total:
            parts_sum = yuan(total) if isinstance(whole, str) else total
            self.append(f"{what}: {whole} is not the sum of its parts, {parts_sum}")

    def same(self, what: str, report, other, where: str) -> None:
        if _value(report) != _value(other):
            self.append(f"{what}: {report} in the report, {other} {where}")

    def at_most(self, what: str, students, awards) -> None:
        if students > awards:
            self.append(f"{what}: {students} students aided (人数) but {awards} awards (人次)")


def _sum_fields(failures, where, total, parts, names):
    for name in names:
        failures.equal(f"{where} {name}", total[name], [part[name] for part in parts])


def _enrolment(failures, data):
    section = data["enrolment"]
    schools = list(section["schools"].values())
    _sum_fields(failures, "enrolment", section["total"], schools, ("students", "boarding"))
    for code, figures in [*section["schools"].items(), ("total", section["total"])]:
        failures.equal(
            f"enrolment {code} students by level", figures["students"], figures["by_level"].values()
        )


def _identification(failures, data):
    section = data["identification"]
    names = [key for key, value in section["total"].items() if isinstance(value, int)]
    _sum_fields(failures, "identification", section["total"], section["schools"].values(), names)


def _aid(failures, data):
    aid = data["aid"]
    total, schools, projects = aid["total"], aid["schools"], aid["projects"]
    _sum_fields(failures, "aid", total, schools.values(), (*AID_COUNTS, *AID_MONEY))
    for code, school in schools.items():
        rows = [p["schools"][code] for p in projects if code in p["schools"]]
        _sum_fields(failures, f"aid {code}", school, rows, ("awards", *AID_MONEY, "payments"))
        # A student aided by two projects counts once: at least as many as any project's,
        # at most their sum.
        in_projects = [r["students"] for r in rows]
        if not max(in_projects, default=0) <= school["students"] <= sum(in_projects):
            failures.append(
                f"aid {code} students: {school['students']} against {in_projects} by project"
            )
    for project in projects:
        where = f"aid {project['code']}"
        _sum_fields(
            failures,
            where,
            project["total"],
            project["schools"].values(),
            ("students", "awards", *AID_MONEY, "payments"),
        )
        failures.same(f"{where} awarded", project["awarded"], project["total"]["amount"], "aided")
        failures.same(f"{where} paid", project["paid"], project["total"]["paid"], "aided")
        for name in ("allocated", "received"):
            failures.equal(f"{where} {name}", project[name], project[f"{name}_by_source"].values())
        _rates(failures, where, project)
        for code, figures in [*project["schools"].items(), ("total", project["total"])]:
            failures.at_most(f"{where} {code}", figures["students"], figures["awards"])
    for code, figures in [*schools.items(), ("total", total)]:
        failures.at_most(f"aid {code}", figures["students"], figures["awards"])
    _bureau(failures, aid)
    _funds(failures, aid)


def _bureau(failures, aid):
    rows = aid["bureau"]
    for name, total_name in (("amount", "amount"), ("awards", "awards")):
        failures.equal(f"bureau table {name}", aid["total"][total_name], [r[name] for r in rows])
    for row in rows:
        where = f"bureau table {row['level']} {row['project']}"
        for name in ("amount", "students", "awards"):
            failures.equal(
                f"{where} {name} by category",
                row[name],
                [figures[name] for figures in row["categories"].values()],
            )
        failures.at_most(where, row["students"], row["awards"])
        for category, figures in row["categories"].items():
            failures.at_most(f"{where} {category}", figures["students"], figures["awards"])


def _rates(failures, where, money):
    amounts = {name: fen(money[name]) for name in AMOUNTS}
    expected = {
        "arrival_rate": arrival_rate(
            received_fen=amounts["received"], allocated_fen=amounts["allocated"]
        ),
        "payout_rate": payout_rate(paid_fen=amounts["paid"], awarded_fen=amounts["awarded"]),
    }
    for name, rate in expected.items():
        if money[name] != rate:
            failures.append(f"{where} {name}: {money[name]} in the report, {rate} by definition")


def _funds(failures, aid):
    funds, projects = aid["funds"], aid["projects"]
    counted = [p for p in projects if not p["shared_with_other_schools"]]
    for group in FUND_GROUPS:
        in_group = [p for p in projects if p["fund_group"] == group]
        for name in ("awarded", "paid"):
            failures.equal(f"{group} funds {name}", funds[group][name], [p[name] for p in in_group])
        for name in ("allocated", "received"):
            failures.equal(
                f"{group} funds {name}",
                funds[group][name],
                [p[name] for p in counted if p["fund_group"] == group],
            )
        _rates(failures, f"{group} funds", funds[group])
    for name in AMOUNTS:
        failures.equal(
            f"all funds {name}", funds["all"][name], [funds[g][name] for g in FUND_GROUPS]
        )
    for name in ("allocated", "received"):
        failures.equal(
            f"all funds {name} by source",
            funds["all"][name],
            [money[name] for money in funds["by_source"].values()],
        )
    failures.same("all funds awarded", funds["all"]["awarded"], aid["total"]["amount"], "aided")
    failures.same("all funds paid", funds["all"]["paid"], aid["total"]["paid"], "aided")


def _mentoring(failures, data):
    section = data["mentoring"]
    total = section["total"]
    _sum_fields(failures, "mentoring", total, section["schools"].values(), MENTORING_COUNTS)
    for code, figures in [*section["schools"].items(), ("total", total)]:
        failures.equal(
            f"mentoring {code} pairings by kind",
            figures["pairings"],
            figures["pairings_by_kind"].values(),
        )
    failures.equal(
        "mentoring pair-weeks by week", total["pair_weeks"], [w["weeks"] for w in section["weeks"]]
    )
    failures.equal(
        "mentoring pair-weeks met by week",
        total["pair_weeks_met"],
        [w["met"] for w in section["weeks"]],
    )


def _donations(failures, data):
    section = data["donations"]
    failures.equal(
        "donations by donor", section["money"], [d["amount"] for d in section["by_donor"]]
    )
    failures.equal(
        "donations by project",
        section["money"],
        [p["amount"] for p in section["by_project"].values()],
    )
    failures.equal(
        "contributions by donor",
        section["contributions"],
        [d["contributions"] for d in section["by_donor"]],
    )


def _problems(failures, data):
    section = data["problems"]
    _sum_fields(
        failures,
        "problems",
        section["total"],
        section["schools"].values(),
        (*PROBLEM_COUNTS, "late_amount"),
    )


def _headline(failures, data):
    headline, funds = data["headline"], data["aid"]["funds"]
    aid = data["aid"]["total"]
    pairs = [
        ("enrolment", data["enrolment"]["total"]["students"]),
        ("aided_students", aid["students"]),
        ("aid_awards", aid["awards"]),
        ("awarded", aid["amount"]),
        ("paid", aid["paid"]),
        ("pairings", data["mentoring"]["total"]["pairings"]),
        ("sessions", data["mentoring"]["total"]["sessions"]),
        ("donations", data["donations"]["money"]),
        *((name, funds["all"][name]) for name in AMOUNTS),
        *(
            (f"{group}_{name}", value)
            for group in FUND_GROUPS
            for name, value in funds[group].items()
        ),
    ]
    for name, value in pairs:
        if headline[name] != value:
            failures.append(f"headline {name}: {headline[name]}, its section says {value}")
    for name in ("allocated", "received"):
        failures.equal(
            f"headline {name} by source", headline[name], headline[f"{name}_by_source"].values()
        )
    for name in AMOUNTS:
        failures.equal(
            f"headline {name} by fund group",
            headline[name],
            [headline[f"{g}_{name}"] for g in FUND_GROUPS],
        )
    failures.at_most("headline", headline["aided_students"], headline["aid_awards"])


def _ledger(failures, data, ledger):
    """Each project's received and paid, and the donations, against the ledger's own sums."""
    projects = data["aid"]["projects"]
    seen = {p["code"] for p in projects}
    for project in projects:
        code = project["code"]
        for name in ("received", "paid"):
            failures.same(
                f"{code} {name}", project[name], yuan(ledger[name].get(code, 0)), "in the ledger"
            )
    # A school's report leaves out projects without an award there, money received or not.
    checked = ("received", "paid") if data["scope"] == "district" else ("paid",)
    for name in checked:
        for code, amount in sorted(ledger[name].items()):
            if code not in seen:
                failures.append(f"{code} {name}: not in the report, {yuan(amount)} in the ledger")
    donated = data["donations"]["by_project"]
    donated_codes = set(ledger["donated"])
    if data["scope"] != "district":
        # A school's report counts the donations to its own projects only (`own_projects`):
        # those must equal the ledger's, and none may be another project's.
        own = {p["code"] for p in projects if not p["shared_with_other_schools"]}
        donated_codes &= own
        for code in sorted(set(donated) - own):
            failures.append(f"{code} donated: in this school's report, not its own project")
    for code in sorted(set(donated) | donated_codes):
        report = donated.get(code, {}).get("amount", "0.00")
        failures.same(
            f"{code} donated", report, yuan(ledger["donated"].get(code, 0)), "in the ledger"
        )


def reconcile(data: dict, ledger: dict) -> list[str]:
    """Every way `data` fails to add up or to agree with `ledger`; empty when it reconciles.

    `ledger` is `collect_money.ledger_sums` for the same term and schools:
    {"received" | "paid" | "donated": {project code: fen}}.
    """
    failures = _Failures()
    _enrolment(failures, data)
    _identification(failures, data)
    _aid(failures, data)
    _mentoring(failures, data)
    _donations(failures, data)
    _problems(failures, data)
    _headline(failures, data)
    _ledger(failures, data, ledger)
    return list(failures)
