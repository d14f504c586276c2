"""The term report's section per village committee: students aided and money, from plain rows.

`committee_section(raw)` takes what `collect_committees.committee_rows`
gave (under `raw["committees"]`) and answers the section, or None when the
district has no project that uses committees (or the report was built
before committees were counted). Every committee of the district has a row,
aided or not; awards of students with no committee on record are counted
apart, so the rows add up to the total.
"""

from core.money import yuan

FIGURES = ("students", "awards", "amount_fen", "paid_fen", "approved")


def _figures(sums: dict) -> dict:
    return {
        "students": sums.get("students", 0),
        "awards": sums.get("awards", 0),
        "amount": yuan(sums.get("amount_fen", 0)),
        "paid": yuan(sums.get("paid_fen", 0)),
        "approved": sums.get("approved", 0),
    }


def committee_section(raw: dict) -> dict | None:
    found = raw.get("committees")
    if not found:
        return None
    sums: dict[int | None, dict] = {c["id"]: {} for c in found["committees"]}
    for row in [*found["rows"], *found["paid"]]:
        target = sums.setdefault(row["committee"], {})
        for name in FIGURES:
            if name in row:
                target[name] = target.get(name, 0) + row[name]
    total = {name: sum(s.get(name, 0) for s in sums.values()) for name in FIGURES}
    return {
        "projects": found["projects"],
        "committees": [
            {
                "code": committee["code"],
                "name": committee["name"],
                "kind": committee["kind"],
                **_figures(sums[committee["id"]]),
            }
            for committee in found["committees"]
        ],
        "without_committee": _figures(sums[None]) if None in sums else None,
        "total": _figures(total),
    }
