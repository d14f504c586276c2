"""The term report's aid figures: awards, payments and funds per project, school and fund group,
and the bureau's table by level and category. Plain data in, plain data out, no Django.

Part of `workers.reporting.figures.compose`.
"""

from collections import defaultdict

from core.money import yuan
from donations.money_words import FUND_GROUPS, fund_group, funds_counted, money_figures, share
from workers.reporting.arithmetic import add_up, average

SOURCES = ("central", "provincial", "county", "school", "social")
BUREAU_CATEGORY = {
    "registered_poverty": "poverty",
    "monitored_household": "poverty",
    "dibao": "dibao",
    "tekun": "tekun",
    "orphan": "orphan",
    "both_parents_deceased": "orphan",
    "disabled_student": "disabled",
    "disabled_parent": "disabled",
    "disabled_soldier_child": "disabled_soldier",
    "martyr_child": "martyr",
}
BUREAU_CATEGORIES = (
    "poverty",
    "dibao",
    "tekun",
    "orphan",
    "disabled",
    "disabled_soldier",
    "martyr",
    "other",
)
LEVELS = ("preschool", "primary", "junior_middle")


def _bureau(raw, projects) -> list[dict]:
    """Aid by level and project, split by category: the layout of a district's summary table."""
    levels = {school["id"]: school["level"] for school in raw["schools"]}
    sums = defaultdict(lambda: {"all": {}, **{c: {} for c in BUREAU_CATEGORIES}})
    for row in raw.get("award_categories", []):
        key = (levels[row["school"]], row["project"])
        category = BUREAU_CATEGORY.get(row["category"] or "", "other")
        for target in (sums[key]["all"], sums[key][category]):
            add_up(target, row, ("students", "awards", "amount_fen"))

    def figures(counts):
        return {
            "amount": yuan(counts.get("amount_fen", 0)),
            "students": counts.get("students", 0),
            "awards": counts.get("awards", 0),
        }

    rows = []
    order = {level: n for n, level in enumerate(LEVELS)}
    for (level, project), counts in sorted(
        sums.items(), key=lambda item: (order.get(item[0][0], 9), projects[item[0][1]]["code"])
    ):
        rows.append(
            {
                "level": level,
                "project": projects[project]["code"],
                "project_name": projects[project]["name"],
                **figures(counts["all"]),
                "categories": {c: figures(counts[c]) for c in BUREAU_CATEGORIES},
            }
        )
    return rows


AWARD_SUMS = ("students", "awards", "amount_fen", "paid_awards", "unpaid_awards", "unpaid_fen")
PAYMENT_SUMS = ("payments", "paid_fen", "days_total")


# Allocation reasons that do not make a student "left out": the project has no places for
# the student's school at all (donations.services.allocation NO_QUOTA).
NOT_LEFT_OUT = frozenset({"no_quota"})


def _aid_figures(sums: dict, enrolment: int | None) -> dict:
    figures = {
        "students": sums.get("students", 0),
        "awards": sums.get("awards", 0),
        "amount": yuan(sums.get("amount_fen", 0)),
        "paid": yuan(sums.get("paid_fen", 0)),
        "unpaid_awards": sums.get("unpaid_awards", 0),
        "unpaid": yuan(sums.get("unpaid_fen", 0)),
        "payments": sums.get("payments", 0),
        "average_days_to_payment": average(sums.get("days_total", 0), sums.get("payments", 0)),
        "longest_days_to_payment": sums.get("days_max"),
        "left_out": sums.get("left_out", 0),
    }
    if enrolment is not None:
        figures["share_of_enrolment"] = share(figures["students"], enrolment)
    if sums.get("no_quota"):
        figures["no_quota"] = True
    return figures


def own_projects(raw) -> set[int] | None:
    """The projects whose money a school's report counts as its schools' own; None for the
    district's report, where every project's money counts.

    Of the projects the report shows (an award, a payment or a student left out
    in its schools), those whose awards of the term in the whole district are
    all its schools' (`funds_counted`). Their allocated, received and donated
    money is the schools'; a project shared with other schools is the
    district's. The aid section's funds and the collected donations
    (`collect.term_rows`) are both scoped by this one answer.
    """
    if raw.get("scope") != "school":
        return None
    school_ids = {school["id"] for school in raw["schools"]}
    own_awards = defaultdict(int)
    for row in raw["awards"]:
        own_awards[row["project"]] += row["awards"]
    shown = (
        set(own_awards)
        | {row["project"] for row in raw["payments"]}
        | {row["project"] for row in raw["left_out"] if row["school"] in school_ids}
    )
    district_awards = {row["project"]: row["awards"] for row in raw.get("project_awards", [])}
    return {
        pid
        for pid in shown
        if funds_counted(
            whole_district=False,
            district_awards=district_awards.get(pid, 0),
            own_awards=own_awards[pid],
        )
    }


def aid_section(raw, codes, enrolment):
    projects = {p["id"]: p for p in raw["projects"]}
    per_project = defaultdict(lambda: defaultdict(dict))  # project -> school code -> sums
    project_sums = defaultdict(dict)
    school_sums = {code: {} for code in codes.values()}
    total_sums = {}
    for row in raw["awards"]:
        code = codes[row["school"]]
        for target in (per_project[row["project"]][code], project_sums[row["project"]]):
            add_up(target, row, AWARD_SUMS)
        # A student aided by two projects counts once in 人数: `aided` says how many.
        add_up(school_sums[code], row, ("awards", "amount_fen", "unpaid_awards", "unpaid_fen"))
        add_up(total_sums, row, ("awards", "amount_fen", "unpaid_awards", "unpaid_fen"))
    for row in raw["aided"]:
        add_up(school_sums[codes[row["school"]]], row, ("students",))
        add_up(total_sums, row, ("students",))
    for row in raw["payments"]:
        code = codes[row["school"]]
        targets = (
            per_project[row["project"]][code],
            project_sums[row["project"]],
            school_sums[code],
            total_sums,
        )
        for target in targets:
            add_up(target, row, PAYMENT_SUMS)
            target["days_max"] = max(target.get("days_max") or 0, row["days_max"] or 0)
    left_out_reasons = defaultdict(lambda: defaultdict(int))
    for row in raw["left_out"]:
        code = codes.get(row["school"])
        if code is None:
            continue
        if row["reason"] in NOT_LEFT_OUT:
            # The project gives the school no places (the kindergarten in a primary school
            # project): its children were never in the running, so they are not counted as
            # left out; the school's row says why instead of showing a number.
            per_project[row["project"]][code]["no_quota"] = True
            continue
        left_out_reasons[row["project"]][row["reason"]] += 1
        for target in (per_project[row["project"]][code], project_sums[row["project"]]):
            target["left_out"] = target.get("left_out", 0) + 1
        for target in (school_sums[code], total_sums):
            target["left_out"] = target.get("left_out", 0) + 1

    allocated = defaultdict(dict)
    for row in raw["funding"]:
        allocated[row["project"]][row["source"]] = row["allocated_fen"]
    received = defaultdict(dict)
    for row in raw["received"]:
        received[row["project"]][row["source"]] = row["received_fen"]

    in_scope = set(per_project) | set(left_out_reasons)
    if raw.get("scope") == "district":
        in_scope |= set(allocated) | set(received)
    # A project's money is allocated to the project, not to a school: a school
    # report counts it only for projects whose awards are all the school's.
    own = own_projects(raw)
    shared = set() if own is None else in_scope - own
    # Money words (donations.money_words): awarded and paid are this report's
    # schools'; allocated and received are the project's, so a school report
    # leaves a shared project's out of its totals.
    groups = {group: {} for group in FUND_GROUPS}
    by_source = {}
    rows = []
    for project_id in sorted(in_scope, key=lambda pid: projects[pid]["code"]):
        project = projects[project_id]
        alloc, got = allocated.get(project_id, {}), received.get(project_id, {})
        money = {
            "allocated": sum(alloc.values()),
            "received": sum(got.values()),
            "awarded": project_sums.get(project_id, {}).get("amount_fen", 0),
            "paid": project_sums.get(project_id, {}).get("paid_fen", 0),
        }
        group = fund_group(project["source"])
        counted = money if project_id not in shared else {**money, "allocated": 0, "received": 0}
        add_up(groups[group], counted, counted)
        if project_id not in shared:
            for source in set(alloc) | set(got):
                of_source = by_source.setdefault(source, {"allocated": 0, "received": 0})
                of_source["allocated"] += alloc.get(source, 0)
                of_source["received"] += got.get(source, 0)
        rows.append(
            {
                "shared_with_other_schools": project_id in shared,
                "code": project["code"],
                "name": project["name"],
                "source": project["source"],
                "fund_group": group,
                "purpose": project["purpose"],
                **money_figures(money),
                "allocated_by_source": {s: yuan(v) for s, v in sorted(alloc.items())},
                "received_by_source": {s: yuan(v) for s, v in sorted(got.items())},
                "schools": {
                    code: _aid_figures(sums, enrolment["schools"][code]["students"])
                    for code, sums in sorted(per_project[project_id].items())
                },
                "total": _aid_figures(project_sums[project_id], None),
                "left_out_by_reason": dict(sorted(left_out_reasons[project_id].items())),
            }
        )
    everything = {}
    for sums in groups.values():
        add_up(everything, sums, sums)
    return {
        "projects": rows,
        "bureau": _bureau(raw, projects),
        "schools": {
            code: _aid_figures(sums, enrolment["schools"][code]["students"])
            for code, sums in school_sums.items()
        },
        "total": _aid_figures(total_sums, enrolment["total"]["students"]),
        "funds": {
            # Projects shared with other schools: their allocated and received are
            # the district's, left out of a school's totals and rates (see each row).
            "shared_projects": sorted(projects[pid]["code"] for pid in shared),
            # Government and social funds apart, each with its own rates; the
            # amounts of both together, without a rate that would mix them.
            **{group: money_figures(sums) for group, sums in groups.items()},
            "all": {
                name: yuan(everything.get(name, 0))
                for name in ("allocated", "received", "awarded", "paid")
            },
            "by_source": {
                source: {"allocated": yuan(m["allocated"]), "received": yuan(m["received"])}
                for source, m in sorted(
                    by_source.items(),
                    key=lambda item: SOURCES.index(item[0]) if item[0] in SOURCES else 99,
                )
            },
        },
    }
