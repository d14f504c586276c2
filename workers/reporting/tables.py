"""The report's figures laid out as titled tables, the one layout every format renders.

XLSX writes one sheet per section, CSV one block per table, HTML one table
per table; all read the same rows, so the formats cannot disagree. Numbers
stay numbers (int, or Decimal for money and shares) so that spreadsheets
can add them up; labels are translated in the active language.
"""

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from donations.money_words import AMOUNTS, FUND_GROUPS
from mentoring.models import MentorKind, SchoolLevel
from workers.reporting.figures import COMPLAINT_FIGURES
from workers.reporting.layout import (
    CENT,
    Section,
    Table,
    group_label,
    in_source_order,
    level_label,
    money_labels,
    number,
    per_school_rows,
    project_name,
    reason_labels,
    school_names,
    source_label,
    tier_names,
)
from workers.reporting.tables_aid import aid
from workers.reporting.tables_committees import committees


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
    # The first term has nothing to compare with: the header says so once, and the
    # previous-term and change columns are left out rather than filled with dashes.
    compared_with = data.get("previous_term") is not None
    columns = [_("Figure"), _("This term")]
    if compared_with:
        columns += [_("Previous term"), pgettext("report column", "Change")]
    table = Table(_("Summary"), columns)
    for key, label in labels:
        compared = comparison.get(key, {})
        row = [label, number(h[key])]
        if compared_with:
            row += [number(compared.get("previous")), number(compared.get("change"))]
        table.rows.append(row)
    money = money_labels()
    sources = Table(_("Funds by source"), [_("Source"), money["allocated"], money["received"]])
    by_source = data["aid"]["funds"]["by_source"]
    for source in in_source_order(by_source):
        amounts = by_source[source]
        sources.rows.append(
            [source_label(source), number(amounts["allocated"]), number(amounts["received"])]
        )
    sources.total_from = len(sources.rows)
    sources.rows.append([_("All sources"), number(h["allocated"]), number(h["received"])])
    if not compared_with:
        return Section("summary", _("Summary"), [table, sources])
    names = school_names(data)
    by_school = Table(
        _("Schools against the previous term"),
        [
            _("School"),
            _("Students enrolled"),
            pgettext("report column", "Change"),
            _("Students aided"),
            pgettext("report column", "Change"),
            _("Share of enrolment aided (%)"),
            pgettext("report column", "Change"),
            _("Mentoring pairs"),
            pgettext("report column", "Change"),
            _("Sessions logged"),
            pgettext("report column", "Change"),
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
        [_("School"), _("Students"), *[level_label(lv) for lv in levels], _("Boarding")],
        per_school_rows(data, section["schools"], section["total"], cells),
    )
    table.total_from = len(table.rows) - 1
    return Section("enrolment", _("Enrolment"), [table])


def identification(data) -> Section:
    tiers = tier_names(data)
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
        per_school_rows(data, section["schools"], section["total"], cells),
    )
    table.total_from = len(table.rows) - 1
    return Section("identification", _("Identification"), [table])


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
        per_school_rows(data, section["schools"], section["total"], cells),
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
                ", ".join(project_name(data, code) for code in d["projects"]),
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
            [project_name(data, code), number(p["amount"]), p["contributions"]]
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
    if data["scope"] == "school":
        # Only what reached the school (collect_money.donation_rows): a principal signs for it.
        donors.note = _(
            "This school's report counts only the donations to its own aid projects, those "
            "whose awards this term are all this school's. Donations to projects shared with "
            "other schools are the district's and are counted in the district's report."
        )
        items.note = _(
            "Items are donated into the district's stock, not to a school: this report counts "
            "the items given to this school's students. The items received are counted in the "
            "district's report."
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
        per_school_rows(data, section["schools"], section["total"], cells),
    )
    table.total_from = len(table.rows) - 1
    if not section["duplicate_aid_recorded"]:
        table.note = _(
            "Duplicate aid refused counts the refusals of allocation runs; an award refused "
            "by hand is answered to the administrator but not recorded."
        )
    return Section("problems", _("What went wrong"), [table])


def details(data) -> Section | None:
    """The records behind the problems, by name (`workers.reports.details_in_words`): only in
    the administrators' files, and on paper only as an annex the administrator asks for."""
    if "details" not in data:
        return None
    d = data["details"]
    awards = Table(
        _("Late or unpaid awards"),
        [
            _("Student"),
            _("School"),
            _("Aid project"),
            _("Awarded (yuan)"),
            _("Status"),
            _("Late since"),
        ],
        [
            [
                a["student"],
                a["school"],
                a["project"],
                (Decimal(a["amount_fen"]) / 100).quantize(CENT),
                a["status"],
                a["late_since"] or "",
            ]
            for a in d["late_or_unpaid_awards"]
        ],
    )
    objections = Table(
        _("Objections not answered"),
        [_("Student"), _("School"), _("Filed on")],
        [[o["student"], o["school"], o["filed_on"]] for o in d["unanswered_objections"]],
    )
    streaks = Table(
        _("Pairs missing weeks in a row"),
        [_("Student"), _("Mentor"), _("School"), _("Longest streak (weeks)")],
        [[s["student"], s["mentor"], s["school"], s["longest"]] for s in d["missed_streaks"]],
    )
    reasons = reason_labels()
    left_out = Table(
        _("Eligible students left unfunded"),
        [_("Student"), _("School"), _("Aid project"), _("Reason")],
        [
            [s["student"], s["school"], s["project"], reasons.get(s["reason"], s["reason"])]
            for s in d["left_out"]
        ],
    )
    return Section("details", _("Records"), [awards, objections, streaks, left_out])


def complaints(data) -> Section | None:
    """Complaints from the published line: received in the term, answered by their due day."""
    section = data.get("complaints")
    if section is None:
        return None
    names = {"district": _("District bureau")}

    def cells(f):
        return [f[name] for name in COMPLAINT_FIGURES]

    rows = [
        [names.get(code) or school_names(data).get(code, code), *cells(figures)]
        for code, figures in section["schools"].items()
    ]
    rows.append([_("Total"), *cells(section["total"])])
    table = Table(
        _("Complaints"),
        [
            _("School"),
            _("Received"),
            _("Answered in time"),
            _("Answered late"),
            _("Open, not yet due"),
            _("Open past the due day"),
        ],
        rows,
    )
    table.total_from = len(table.rows) - 1
    table.note = _(
        "Complaints received in the term through the complaint line printed on every public "
        "notice; each is due to be answered within the district's working days."
    )
    return Section("complaints", _("Complaints"), [table])


def sections(data) -> list[Section]:
    built = [
        summary(data),
        enrolment(data),
        identification(data),
        aid(data),
        committees(data),
        mentoring(data),
        donations(data),
        problems(data),
        complaints(data),
        details(data),
    ]
    return [section for section in built if section is not None]
