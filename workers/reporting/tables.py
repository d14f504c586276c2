"""The report's figures laid out as titled tables, the one layout every format renders.

XLSX writes one sheet per section, CSV one block per table, HTML one table
per table; all read the same rows, so the formats cannot disagree. Numbers
stay numbers (int, or Decimal for money and shares) so that spreadsheets
can add them up; labels are translated in the active language.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from donations.models import FundSource
from donations.money_words import AMOUNTS, FUND_GROUPS, GOVERNMENT, SOCIAL
from mentoring.models import MentorKind, SchoolLevel

TEN_THOUSAND = Decimal(10_000)


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    # Rows from this index on are totals (rendered bold).
    total_from: int | None = None
    note: str = ""


@dataclass
class Section:
    key: str
    title: str
    tables: list[Table]


def number(value):
    """A figure from the JSON as a number for a cell: '11.16' → Decimal, None stays None."""
    if value is None or isinstance(value, int):
        return value
    return Decimal(value)


def wan(value):
    """Yuan as 万元 with four places, the unit bureau tables use."""
    if value is None:
        return None
    return Decimal(value) / TEN_THOUSAND


def _school_names(data) -> dict[str, str]:
    return {school["code"]: school["name"] for school in data["schools"]}


def _levels(data) -> dict[str, str]:
    return {school["code"]: school["level"] for school in data["schools"]}


def _level_label(level: str) -> str:
    return str(dict(SchoolLevel.choices).get(level, level))


def in_source_order(sources) -> list[str]:
    """Sources from central down to society, whatever order the stored JSON kept them in."""
    order = FundSource.values
    return sorted(sources, key=lambda s: (order.index(s) if s in order else len(order), s))


def _source_label(source: str) -> str:
    return str(dict(FundSource.choices).get(source, source))


def _tier_names(data) -> dict[str, str]:
    return {tier["code"]: tier["name"] for tier in data["tiers"]}


def _per_school_rows(data, section_schools, total, cells):
    names = _school_names(data)
    rows = [[names.get(code, code), *cells(figures)] for code, figures in section_schools.items()]
    rows.append([_("Total"), *cells(total)])
    return rows


def money_labels() -> dict[str, str]:
    """The label of each money word (donations.money_words), the same in every table and card."""
    return {
        "allocated": _("Allocated (yuan)"),
        "received": _("Received (yuan)"),
        "awarded": _("Awarded (yuan)"),
        "paid": _("Paid (yuan)"),
        "arrival_rate": _("Arrival rate: received ÷ allocated (%)"),
        "payout_rate": _("Payout rate: paid ÷ awarded (%)"),
    }


def fund_group_labels() -> dict[str, str]:
    return {
        GOVERNMENT: _("Government funds"),
        SOCIAL: _("Social funds (donations)"),
        "all": _("All funds"),
    }


def group_label(group: str, name: str) -> str:
    """'Government funds: Paid (yuan)': one money word of one fund group."""
    return _("%(group)s: %(figure)s") % {
        "group": fund_group_labels()[group],
        "figure": money_labels()[name],
    }


def summary(data) -> Section:
    h, comparison = data["headline"], data["comparison"]
    labels = [
        ("enrolment", _("Students enrolled")),
        ("boarding", _("Boarding students")),
        ("aided_students", _("Students aided")),
        ("aid_awards", _("Awards")),
        ("aided_share", _("Share of enrolment aided (%)")),
        *((name, group_label("all", name)) for name in AMOUNTS),
        *(
            (f"{group}_{name}", group_label(group, name))
            for group in FUND_GROUPS
            for name in (*AMOUNTS, "arrival_rate", "payout_rate")
        ),
        ("pairings", _("Mentoring pairs")),
        ("compliance_share", _("Pair-weeks meeting the weekly target (%)")),
        ("sessions", _("Sessions logged")),
        ("home_visits", _("Home visits")),
        ("donations", _("Donations received (yuan)")),
    ]
    table = Table(_("Summary"), [_("Figure"), _("This term"), _("Previous term"), _("Change")])
    for key, label in labels:
        compared = comparison.get(key, {})
        table.rows.append(
            [
                label,
                number(h[key]),
                number(compared.get("previous")),
                number(compared.get("change")),
            ]
        )
    money = money_labels()
    sources = Table(_("Funds by source"), [_("Source"), money["allocated"], money["received"]])
    by_source = data["aid"]["funds"]["by_source"]
    for source in in_source_order(by_source):
        amounts = by_source[source]
        sources.rows.append(
            [_source_label(source), number(amounts["allocated"]), number(amounts["received"])]
        )
    sources.total_from = len(sources.rows)
    sources.rows.append([_("All sources"), number(h["allocated"]), number(h["received"])])
    names = _school_names(data)
    by_school = Table(
        _("Schools against the previous term"),
        [
            _("School"),
            _("Students enrolled"),
            _("Change"),
            _("Students aided"),
            _("Change"),
            _("Share of enrolment aided (%)"),
            _("Change"),
            _("Mentoring pairs"),
            _("Change"),
            _("Sessions logged"),
            _("Change"),
        ],
    )
    for code, figures in data.get("comparison_by_school", {}).items():
        row = [names.get(code, code)]
        for name in ("enrolment", "aided_students", "aided_share", "pairings", "sessions"):
            row += [number(figures[name]["current"]), number(figures[name]["change"])]
        by_school.rows.append(row)
    return Section("summary", _("Summary"), [table, sources, by_school])


def enrolment(data) -> Section:
    levels = [level for level, _label in SchoolLevel.choices]
    section = data["enrolment"]

    def cells(f):
        return [f["students"], *[f["by_level"].get(level, 0) for level in levels], f["boarding"]]

    table = Table(
        _("Enrolment"),
        [_("School"), _("Students"), *[_level_label(lv) for lv in levels], _("Boarding")],
        _per_school_rows(data, section["schools"], section["total"], cells),
    )
    table.total_from = len(table.rows) - 1
    return Section("enrolment", _("Enrolment"), [table])


def identification(data) -> Section:
    tiers = _tier_names(data)
    section = data["identification"]

    def cells(f):
        return [
            f["applications"],
            f["government_list"],
            f["approved"],
            *[f["approved_by_tier"].get(code, 0) for code in tiers],
            f["not_in_hardship"],
            f["rejected"],
            f["in_progress"],
            f["objections_raised"],
            f["objections_answered"],
        ]

    table = Table(
        _("Identification"),
        [
            _("School"),
            _("Applications"),
            _("From government lists"),
            _("Approved"),
            *tiers.values(),
            _("Not in hardship"),
            _("Rejected"),
            _("In progress"),
            _("Objections raised"),
            _("Objections answered"),
        ],
        _per_school_rows(data, section["schools"], section["total"], cells),
    )
    table.total_from = len(table.rows) - 1
    return Section("identification", _("Identification"), [table])


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
    columns = [
        _("Education stage"),
        _("Aid project"),
        _("Awarded (10,000 yuan)"),
        _("Students"),
        _("Awards"),
    ]
    for label in labels.values():
        columns += [
            f"{label} {_('Awarded (10,000 yuan)')}",
            f"{label} {_('Students')}",
            f"{label} {_('Awards')}",
        ]
    columns.append(_("Remarks"))
    table = Table(_("Summary of aid (district bureau table)"), columns)
    totals = {"amount": Decimal(0), "students": 0, "awards": 0}
    category_totals = {c: {"amount": Decimal(0), "students": 0, "awards": 0} for c in labels}
    for row in data["aid"].get("bureau", []):
        cells = [
            _level_label(row["level"]),
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
    names, levels = _school_names(data), _levels(data)
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
    for project in section["projects"]:
        for code, f in project["schools"].items():
            awards.rows.append(
                [
                    _level_label(levels.get(code, "")),
                    project["name"],
                    names.get(code, code),
                    wan(f["amount"]),
                    number(f["amount"]),
                    f["students"],
                    f["awards"],
                    number(f["share_of_enrolment"]),
                    number(f["paid"]),
                    number(f["average_days_to_payment"]),
                    f["left_out"],
                ]
            )
    awards.total_from = len(awards.rows)
    for code, f in section["schools"].items():
        awards.rows.append(
            [
                _level_label(levels.get(code, "")),
                _("All projects"),
                names.get(code, code),
                wan(f["amount"]),
                number(f["amount"]),
                f["students"],
                f["awards"],
                number(f["share_of_enrolment"]),
                number(f["paid"]),
                number(f["average_days_to_payment"]),
                f["left_out"],
            ]
        )
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
                    _source_label(source),
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
        ) % {"projects": ", ".join(f["shared_projects"])}
    reasons = {
        "quota_full": _("Quota full"),
        "no_quota": _("No places for the school"),
        "funds_exhausted": _("Funds exhausted"),
        "duplicate_aid": _("Already aided for this purpose"),
        "no_standard": _("No standard for the student"),
    }
    left_out = Table(
        _("Eligible students left unfunded"), [_("Aid project"), _("Reason"), _("Students")]
    )
    for project in section["projects"]:
        for reason, count in project["left_out_by_reason"].items():
            left_out.rows.append([project["name"], str(reasons.get(reason, reason)), count])
    return Section("aid", _("Aid"), [bureau(data), awards, funds, left_out])


def _mentor_kind_label(kind: str) -> str:
    return str(dict(MentorKind.choices).get(kind, kind))


def mentoring(data) -> Section:
    section = data["mentoring"]

    def cells(f):
        return [
            f["pairings_by_kind"]["academic"],
            f["pairings_by_kind"]["care"],
            f["sessions"],
            f["minutes"],
            f["home_visits"],
            f["pair_weeks"],
            f["pair_weeks_met"],
            number(f["compliance_share"]),
            f["party_teachers_with_mentee"],
            f["party_teachers"],
            f["leaders_sponsoring"],
            f["needing_mentor"],
            f["without_mentor"],
            f["struggling_with_scores"],
            f["struggling_scores_rose"],
        ]

    pairs = Table(
        _("Mentoring"),
        [
            _("School"),
            _("Academic pairs"),
            _("Care pairs"),
            _("Sessions"),
            _("Minutes"),
            _("Home visits"),
            _("Pair-weeks"),
            _("Pair-weeks met"),
            _("Weekly target met (%)"),
            _("Party-member teachers with a mentee"),
            _("Party-member teachers"),
            _("Leaders sponsoring a student"),
            _("Students needing a mentor"),
            _("Of them without one"),
            _("Struggling students with scores"),
            _("Of them whose scores rose"),
        ],
        _per_school_rows(data, section["schools"], section["total"], cells),
    )
    pairs.total_from = len(pairs.rows) - 1
    mentors = Table(_("Mentors by kind"), [_("Kind"), _("Mentors"), _("With at least one mentee")])
    for kind, counts in section["total"]["mentors_by_kind"].items():
        mentors.rows.append([_mentor_kind_label(kind), counts["mentors"], counts["with_mentee"]])
    branches = Table(
        _("By party branch"),
        [
            _("Party branch"),
            _("Mentors"),
            _("Party-member teachers with a mentee"),
            _("Leaders sponsoring a student"),
            _("Pairs"),
            _("Sessions"),
            _("Minutes"),
            _("Home visits"),
            _("Weekly target met (%)"),
        ],
    )
    for name, f in section["party_branches"].items():
        branches.rows.append(
            [
                name or _("No party branch"),
                f["mentors"],
                f.get("party_teachers_with_mentee", 0),
                f.get("leaders_sponsoring", 0),
                f["pairings"],
                f["sessions"],
                f["minutes"],
                f["home_visits"],
                number(f["compliance_share"]),
            ]
        )
    weeks = Table(
        _("Weekly compliance over the term"),
        [_("Week starting"), _("Pair-weeks"), _("Met"), _("Met (%)")],
        [[w["week"], w["weeks"], w["met"], number(w["share"])] for w in section["weeks"]],
    )
    return Section("mentoring", _("Mentoring"), [pairs, mentors, branches, weeks])


def donations(data) -> Section:
    section = data["donations"]
    donors = Table(
        _("Money by donor"),
        [_("Donor"), _("Donated (yuan)"), _("Contributions"), _("Aid projects")],
        [
            [
                d["donor"] or _("Anonymous"),
                number(d["amount"]),
                d["contributions"],
                ", ".join(d["projects"]),
            ]
            for d in section["by_donor"]
        ],
    )
    donors.rows.append([_("Total"), number(section["money"]), section["contributions"], ""])
    donors.total_from = len(donors.rows) - 1
    projects = Table(
        _("Money by project"),
        [_("Aid project"), _("Donated (yuan)"), _("Contributions")],
        [
            [code, number(p["amount"]), p["contributions"]]
            for code, p in section["by_project"].items()
        ],
    )
    pledges = section["pledges"]
    pledge_table = Table(
        _("Pledges due this term"),
        [_("Fulfilled"), _("Overdue"), _("Open"), _("Cancelled")],
        [[pledges["fulfilled"], pledges["overdue"], pledges["open"], pledges["cancelled"]]],
    )
    items = Table(
        _("Items"),
        [
            _("Item"),
            _("Unit"),
            _("Received"),
            _("Value received (yuan)"),
            _("Given"),
            _("Value given (yuan)"),
        ],
        [
            [
                i["name"],
                i["unit"],
                i["received"],
                number(i["received_value"]),
                i["given"],
                number(i["given_value"]),
            ]
            for i in section["items"]
        ],
    )
    return Section("donations", _("Donations"), [donors, projects, pledge_table, items])


def problems(data) -> Section:
    section = data["problems"]

    def cells(f):
        return [
            f["duplicate_aid_refused"],
            f["late_awards"],
            number(f["late_amount"]),
            f["unpaid_awards"],
            f["missed_streaks"],
            f["longest_streak"],
            f["unanswered_objections"],
        ]

    table = Table(
        _("What went wrong"),
        [
            _("School"),
            _("Duplicate aid refused"),
            _("Late payments"),
            _("Late amount (yuan)"),
            _("Awards not yet paid"),
            _("Pairs missing weeks in a row"),
            _("Longest streak (weeks)"),
            _("Objections not answered"),
        ],
        _per_school_rows(data, section["schools"], section["total"], cells),
    )
    table.total_from = len(table.rows) - 1
    if not section["duplicate_aid_recorded"]:
        table.note = _(
            "Duplicate aid refused counts the refusals of allocation runs; an award refused "
            "by hand is answered to the administrator but not recorded."
        )
    return Section("problems", _("What went wrong"), [table])


def details(data) -> Section | None:
    """The records behind the problems, with links: only in the administrators' version."""
    if "details" not in data:
        return None
    d = data["details"]
    awards = Table(
        _("Late or unpaid awards"),
        [
            _("Award"),
            _("School"),
            _("Aid project"),
            _("Awarded (yuan)"),
            _("Late since"),
            _("Link"),
        ],
        [
            [
                a["award"],
                a["school"],
                a["project"],
                Decimal(a["amount_fen"]) / 100,
                a["late_since"] or "",
                a["link"],
            ]
            for a in d["late_or_unpaid_awards"]
        ],
    )
    objections = Table(
        _("Objections not answered"),
        [_("Objection"), _("School"), _("Filed at"), _("Link")],
        [
            [o["objection"], o["school"], o["filed_at"][:10], o["link"]]
            for o in d["unanswered_objections"]
        ],
    )
    streaks = Table(
        _("Pairs missing weeks in a row"),
        [_("Pair"), _("School"), _("Longest streak (weeks)"), _("Link")],
        [[s["pairing"], s["school"], s["longest"], s["link"]] for s in d["missed_streaks"]],
    )
    left_out = Table(
        _("Eligible students left unfunded"),
        [_("Student"), _("School"), _("Aid project"), _("Reason"), _("Link")],
        [[s["student"], s["school"], s["project"], s["reason"], s["link"]] for s in d["left_out"]],
    )
    return Section("details", _("Records"), [awards, objections, streaks, left_out])


def sections(data) -> list[Section]:
    built = [
        summary(data),
        enrolment(data),
        identification(data),
        aid(data),
        mentoring(data),
        donations(data),
        problems(data),
        details(data),
    ]
    return [section for section in built if section is not None]
