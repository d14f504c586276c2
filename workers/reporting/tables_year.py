"""The year report's figures laid out as titled tables, as `workers.reporting.tables` lays out
a term's: every format (HTML, PDF, XLSX, CSV) renders these same rows."""

from django.utils.translation import gettext as _

from donations.money_words import AMOUNTS, FUND_GROUPS
from mentoring.models import term_label
from workers.reporting.layout import (
    Section,
    Table,
    fund_group_labels,
    group_label,
    in_source_order,
    money_labels,
    number,
    per_school_rows,
    project_name,
    source_label,
)


def _aid_columns() -> list[str]:
    money = money_labels()
    return [_("Students aided"), _("Awards"), money["awarded"], money["paid"]]


def _aid_cells(figures) -> list:
    return [
        figures["students"],
        figures["awards"],
        number(figures["amount"]),
        number(figures["paid"]),
    ]


def summary(data) -> Section:
    aid, money = data["aid"], money_labels()
    headline = data["headline"]
    figures = Table(_("Summary"), [_("Figure"), _("School year")])
    figures.rows += [
        [_("Terms"), headline["terms"]],
        [_("Students aided"), headline["aided_students"]],
        [_("Awards"), headline["awards"]],
        *([group_label("all", name), number(headline[name])] for name in AMOUNTS),
    ]
    terms = Table(
        _("The year by term"),
        [_("Term"), *_aid_columns(), money["allocated"], money["received"]],
    )
    for row in aid["by_term"]:
        terms.rows.append(
            [
                term_label(row["term"]),
                *_aid_cells(row),
                number(row["allocated"]),
                number(row["received"]),
            ]
        )
    terms.total_from = len(terms.rows)
    terms.rows.append(
        [
            _("School year"),
            *_aid_cells(aid["total"]),
            number(aid["funds"]["all"]["allocated"]),
            number(aid["funds"]["all"]["received"]),
        ]
    )
    terms.note = _(
        "A student aided in both terms counts once in the year's Students aided; "
        "Awards and money are the terms' added up."
    )
    return Section("summary", _("Summary"), [figures, terms])


def schools(data) -> Section:
    aid = data["aid"]
    table = Table(_("Aid by school"), [_("School"), *_aid_columns()])
    table.rows = per_school_rows(data, aid["schools"], aid["total"], _aid_cells)
    table.total_from = len(table.rows) - 1
    return Section("schools", _("Schools"), [table])


def projects(data) -> Section:
    aid, money = data["aid"], money_labels()
    table = Table(
        _("Aid by project"),
        [
            _("Project"),
            _("Source"),
            *_aid_columns(),
            money["allocated"],
            money["received"],
            money["arrival_rate"],
            money["payout_rate"],
        ],
    )
    for row in aid["projects"]:
        table.rows.append(
            [
                row["name"],
                source_label(row["source"]),
                *_aid_cells({**row, "amount": row["awarded"]}),
                number(row["allocated"]),
                number(row["received"]),
                number(row["arrival_rate"]),
                number(row["payout_rate"]),
            ]
        )
    shared = aid["funds"]["shared_projects"]
    if shared:
        table.note = _(
            "Funds are allocated to a project as a whole. Projects shared with other schools "
            "(%(projects)s) show the whole project's allocated and received in their rows and "
            "are left out of this school's allocated and received totals and arrival rates."
        ) % {"projects": ", ".join(project_name(data, code) for code in shared)}
    groups = fund_group_labels()
    by_group = Table(
        _("Funds by fund group"),
        [
            _("Fund group"),
            *(money[name] for name in AMOUNTS),
            money["arrival_rate"],
            money["payout_rate"],
        ],
    )
    for group in FUND_GROUPS:
        figures = aid["funds"][group]
        by_group.rows.append(
            [
                groups[group],
                *(number(figures[name]) for name in AMOUNTS),
                number(figures["arrival_rate"]),
                number(figures["payout_rate"]),
            ]
        )
    by_group.total_from = len(by_group.rows)
    by_group.rows.append(
        [groups["all"], *(number(aid["funds"]["all"][name]) for name in AMOUNTS), None, None]
    )
    sources = Table(_("Funds by source"), [_("Source"), money["allocated"], money["received"]])
    by_source = aid["funds"]["by_source"]
    for source in in_source_order(by_source):
        sources.rows.append(
            [
                source_label(source),
                number(by_source[source]["allocated"]),
                number(by_source[source]["received"]),
            ]
        )
    sources.total_from = len(sources.rows)
    sources.rows.append(
        [
            _("All sources"),
            number(aid["funds"]["all"]["allocated"]),
            number(aid["funds"]["all"]["received"]),
        ]
    )
    return Section("aid", _("Aid and funds"), [table, by_group, sources])


def sections(data) -> list[Section]:
    return [summary(data), schools(data), projects(data)]
