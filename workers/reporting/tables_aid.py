"""The report's aid section as tables: projects, funds by source and group, the bureau's table."""

from decimal import Decimal

from django.utils.translation import gettext as _

from donations.money_words import AMOUNTS, FUND_GROUPS
from workers.reporting.layout import (
    Section,
    Table,
    fund_group_labels,
    in_source_order,
    level_label,
    money_labels,
    number,
    project_name,
    reason_labels,
    school_levels,
    school_names,
    source_label,
    wan,
)


def _category_labels() -> dict[str, str]:
    return {
        "poverty": _("Poverty-alleviated households (incl. monitored)"),
        "dibao": _("Minimum living allowance"),
        "tekun": _("Extreme poverty support"),
        "orphan": _("Orphans (incl. de facto unsupported)"),
        "disabled": _("Disabled students and children of disabled parents"),
        "disabled_soldier": _("Children of disabled soldiers"),
        "martyr": _("Children of martyrs"),
        "other": _("Other"),
    }


def bureau(data) -> Table:
    """The district's summary table: stage, project, 万元, 人数, 人次, then each category."""
    labels = _category_labels()
    figures = [_("Awarded (10,000 yuan)"), _("Students"), _("Awards")]
    columns = [_("Education stage"), _("Aid project"), *figures]
    for label in labels.values():
        columns += [f"{label} {name}" for name in figures]
    columns.append(_("Remarks"))
    table = Table(_("Summary of aid (district bureau table)"), columns)
    # The form's two header rows: each category over its amount, students and awards.
    under = [_("Amount"), _("Students"), _("Awards")]
    table.groups = [
        (None, columns[:2]),
        (_("All categories"), under),
        *((label, under) for label in labels.values()),
        (None, [_("Remarks")]),
    ]
    totals = {"amount": Decimal(0), "students": 0, "awards": 0}
    category_totals = {c: {"amount": Decimal(0), "students": 0, "awards": 0} for c in labels}
    for row in data["aid"].get("bureau", []):
        cells = [
            level_label(row["level"]),
            row["project_name"],
            wan(row["amount"]),
            row["students"],
            row["awards"],
        ]
        totals["amount"] += Decimal(row["amount"])
        totals["students"] += row["students"]
        totals["awards"] += row["awards"]
        for code in labels:
            figures = row["categories"][code]
            cells += [wan(figures["amount"]), figures["students"], figures["awards"]]
            category_totals[code]["amount"] += Decimal(figures["amount"])
            category_totals[code]["students"] += figures["students"]
            category_totals[code]["awards"] += figures["awards"]
        table.rows.append([*cells, ""])
    table.total_from = len(table.rows)
    total = [_("Total"), "", wan(totals["amount"]), totals["students"], totals["awards"]]
    for code in labels:
        figures = category_totals[code]
        total += [wan(figures["amount"]), figures["students"], figures["awards"]]
    table.rows.append([*total, ""])
    table.note = _(
        "Categories follow the government list a student was identified from; students "
        "identified by application count under Other. A student in two projects counts in "
        "each project's row, so the Students column adds up to more than the students aided."
    )
    return table


def aid(data) -> Section:
    names, levels = school_names(data), school_levels(data)
    section = data["aid"]
    # The layout of a district's summary table: level, project, amount in 万元, 人数, 人次.
    money = money_labels()
    awards = Table(
        _("Aid by project"),
        [
            _("Level"),
            _("Aid project"),
            _("School"),
            _("Awarded (10,000 yuan)"),
            money["awarded"],
            _("Students"),
            _("Awards"),
            _("Share of enrolment (%)"),
            money["paid"],
            _("Average days from award to payment"),
            _("Left out"),
        ],
    )

    def left_out_or_why(code: str, f: dict):
        """The count, or why there is none: the project gives the school no places."""
        if f.get("no_quota") and not f["left_out"]:
            if levels.get(code) == "preschool":
                return _("The kindergarten has no quota for this project")
            return _("The school has no quota for this project")
        return f["left_out"]

    def school_row(project_name: str, code: str, f: dict) -> list:
        return [
            level_label(levels.get(code, "")),
            project_name,
            names.get(code, code),
            wan(f["amount"]),
            number(f["amount"]),
            f["students"],
            f["awards"],
            number(f["share_of_enrolment"]),
            number(f["paid"]),
            number(f["average_days_to_payment"]),
            left_out_or_why(code, f),
        ]

    for project in section["projects"]:
        for code, f in project["schools"].items():
            awards.rows.append(school_row(project["name"], code, f))
    awards.total_from = len(awards.rows)
    for code, f in section["schools"].items():
        awards.rows.append(school_row(_("All projects"), code, f))
    t = section["total"]
    awards.rows.append(
        [
            "",
            _("All projects"),
            _("Total"),
            wan(t["amount"]),
            number(t["amount"]),
            t["students"],
            t["awards"],
            number(t["share_of_enrolment"]),
            number(t["paid"]),
            number(t["average_days_to_payment"]),
            t["left_out"],
        ]
    )
    awards.note = _("A student aided by two projects counts once in Students and twice in Awards.")
    if any(f.get("no_quota") for p in section["projects"] for f in p["schools"].values()):
        awards.note = _("%(sentence)s %(next)s") % {
            "sentence": awards.note,
            "next": _(
                "Children of a school the project gives no places are not counted as left out."
            ),
        }
    groups = fund_group_labels()
    funds = Table(
        _("Funds allocated, received, awarded and paid"),
        [
            _("Aid project"),
            _("Funds"),
            _("Source"),
            *(money[name] for name in (*AMOUNTS, "arrival_rate", "payout_rate")),
        ],
    )
    for project in section["projects"]:
        group = groups[project["fund_group"]]
        sources = in_source_order(
            set(project["allocated_by_source"]) | set(project["received_by_source"])
        )
        # Awards are made and paid by project, not by source: a source's row has
        # its allocated and received only.
        for source in sources:
            funds.rows.append(
                [
                    project["name"],
                    group,
                    source_label(source),
                    number(project["allocated_by_source"].get(source, "0.00")),
                    number(project["received_by_source"].get(source, "0.00")),
                    None,
                    None,
                    None,
                    None,
                ]
            )
        funds.rows.append(
            [
                project["name"],
                group,
                _("All sources"),
                *(number(project[name]) for name in (*AMOUNTS, "arrival_rate", "payout_rate")),
            ]
        )
    f = section["funds"]
    funds.total_from = len(funds.rows)
    for group in FUND_GROUPS:
        funds.rows.append(
            [
                _("Total"),
                groups[group],
                "",
                *(number(f[group][name]) for name in (*AMOUNTS, "arrival_rate", "payout_rate")),
            ]
        )
    # Both groups together: amounts only, a rate over both would mix them.
    funds.rows.append(
        [_("Total"), groups["all"], "", *(number(f["all"][name]) for name in AMOUNTS), None, None]
    )
    funds.note = _(
        "Allocated and received are the project's as a whole; awarded and paid are this "
        "report's schools'. Government and social funds are rated apart."
    )
    if f.get("shared_projects"):
        funds.note = _(
            "Funds are allocated to a project as a whole. Projects shared with other schools "
            "(%(projects)s) show the whole project's allocated and received in their rows and "
            "are left out of this school's allocated and received totals and arrival rates."
        ) % {"projects": ", ".join(project_name(data, code) for code in f["shared_projects"])}
    reasons = reason_labels()
    left_out = Table(
        _("Eligible students left unfunded"), [_("Aid project"), _("Reason"), _("Students")]
    )
    for project in section["projects"]:
        for reason, count in project["left_out_by_reason"].items():
            left_out.rows.append([project["name"], str(reasons.get(reason, reason)), count])
    return Section("aid", _("Aid"), [bureau(data), awards, funds, left_out])
