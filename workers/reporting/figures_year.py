"""The year report's figures: its terms' aid figures added up. Plain data in, plain data out,
no Django.

Each term comes as its term report composes it (`workers.reporting.figures.compose`),
so a year's money and awards (人次) are exactly the sum of its terms' reports.
Students aided (人数) are the one figure that cannot be added: a student aided
in both terms is one student, so they come counted once over the year
(`workers.reporting.collect_year.aided_in_year`), and are at most the sum of
the terms'.
"""

from core.money import fen, yuan
from donations.money_words import AMOUNTS, FUND_GROUPS, money_figures
from workers.reporting.arithmetic import add_up

YEAR = "year"
AID_SUMS = ("awards", "amount_fen", "paid_fen")


def _aid_fen(figures: dict) -> dict:
    """A term's aid figures (awards, yuan) as sums that add up: awards and fen."""
    return {
        "awards": figures["awards"],
        "amount_fen": fen(figures["amount"]),
        "paid_fen": fen(figures["paid"]),
    }


def _aid_yuan(students: int, sums: dict) -> dict:
    return {
        "students": students,
        "awards": sums.get("awards", 0),
        "amount": yuan(sums.get("amount_fen", 0)),
        "paid": yuan(sums.get("paid_fen", 0)),
    }


def _money_fen(figures: dict, names=AMOUNTS) -> dict:
    return {name: fen(figures[name]) for name in names if figures.get(name) is not None}


def _add_by_source(target: dict, by_source: dict) -> None:
    for source, amount in by_source.items():
        target[source] = target.get(source, 0) + fen(amount)


def _project(row: dict) -> dict:
    return {
        "code": row["code"],
        "name": row["name"],
        "source": row["source"],
        "fund_group": row["fund_group"],
        "shared_with_other_schools": False,
        "sums": {},
        "allocated_by_source": {},
        "received_by_source": {},
        "by_term": {},
    }


def compose(*, school_year: str, terms: list[dict], aided: dict) -> dict:
    """The year's figures from its terms' figures (in order) and the year's distinct students.

    `aided` is what `collect_year.aided_in_year` returns. The result is JSON-ready.
    """
    first = terms[0]
    codes = [school["code"] for school in first["schools"]]
    total, schools = {}, {code: {} for code in codes}
    groups = {group: {} for group in FUND_GROUPS}
    everything, by_source, projects, by_term = {}, {}, {}, []
    for term in terms:
        aid, code_of_term = term["aid"], term["term"]["code"]
        funds = aid["funds"]
        add_up(total, _aid_fen(aid["total"]), AID_SUMS)
        for code, figures in aid["schools"].items():
            add_up(schools.setdefault(code, {}), _aid_fen(figures), AID_SUMS)
        for group in FUND_GROUPS:
            add_up(groups[group], _money_fen(funds[group]), AMOUNTS)
        add_up(everything, _money_fen(funds["all"]), AMOUNTS)
        for source, money in funds["by_source"].items():
            add_up(
                by_source.setdefault(source, {}),
                _money_fen(money, ("allocated", "received")),
                money,
            )
        for row in aid["projects"]:
            project = projects.setdefault(row["code"], _project(row))
            project["shared_with_other_schools"] |= row["shared_with_other_schools"]
            money = {**_money_fen(row), "awards": row["total"]["awards"]}
            add_up(project["sums"], money, money)
            _add_by_source(project["allocated_by_source"], row["allocated_by_source"])
            _add_by_source(project["received_by_source"], row["received_by_source"])
            project["by_term"][code_of_term] = {
                "students": row["total"]["students"],
                "awards": row["total"]["awards"],
                **{name: row[name] for name in AMOUNTS},
            }
        by_term.append(
            {
                "term": code_of_term,
                **_aid_yuan(aid["total"]["students"], _aid_fen(aid["total"])),
                "allocated": funds["all"]["allocated"],
                "received": funds["all"]["received"],
            }
        )
    project_rows = []
    for code in sorted(projects):
        project = projects[code]
        sums = project.pop("sums")
        project_rows.append(
            {
                **project,
                "students": aided["projects"].get(code, 0),
                "awards": sums.get("awards", 0),
                **money_figures(sums),
                "allocated_by_source": {
                    s: yuan(v) for s, v in sorted(project.pop("allocated_by_source").items())
                },
                "received_by_source": {
                    s: yuan(v) for s, v in sorted(project.pop("received_by_source").items())
                },
            }
        )
    all_funds = {name: yuan(everything.get(name, 0)) for name in AMOUNTS}
    return {
        "kind": YEAR,
        "school_year": school_year,
        "project_names": {
            code: name for term in terms for code, name in term.get("project_names", {}).items()
        },
        "terms": [term["term"] for term in terms],
        "scope": first["scope"],
        "district": first["district"],
        "schools": first["schools"],
        "aid": {
            "total": _aid_yuan(aided["students"], total),
            "schools": {
                code: _aid_yuan(aided["schools"].get(code, 0), sums)
                for code, sums in schools.items()
            },
            "projects": project_rows,
            "by_term": by_term,
            "funds": {
                "shared_projects": sorted(
                    p["code"] for p in project_rows if p["shared_with_other_schools"]
                ),
                **{group: money_figures(sums) for group, sums in groups.items()},
                "all": all_funds,
                "by_source": {
                    source: {name: yuan(money.get(name, 0)) for name in ("allocated", "received")}
                    for source, money in by_source.items()
                },
            },
        },
        "headline": {
            "terms": len(terms),
            "aided_students": aided["students"],
            "awards": total.get("awards", 0),
            **all_funds,
        },
    }


def is_year(data: dict) -> bool:
    return data.get("kind") == YEAR
