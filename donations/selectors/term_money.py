"""A term's money per project as an administrator of some schools reads it: one home for the
console's home and aid pages, by the term report's rules (`donations.money_words`).

- The projects are those `projects_visible_to` lists in the term's district
  that concern the schools read: all of them for the whole district; for
  some schools, a project that awarded their students this term, gives one
  of them places (a quota) this term, or, giving no school places, admits the
  level of one of them. A kindergarten-only project is not a primary
  school's.
- Awarded, paid and late awards are the schools' own (`awards_visible_to`,
  `paid_fen_by_project`).
- Allocated and received belong to a project as a whole. They count in the
  schools' totals only where `funds_counted` says so, as in the term report;
  a project shared with other schools carries them as the district's
  (`shared`), shown so labelled and left out of the totals.

A fixed number of queries, whatever the number of projects or awards.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum

from donations.models import (
    AidProject,
    Award,
    AwardStatus,
    FundSource,
    ProjectFunding,
    ProjectQuota,
)
from donations.money_words import AMOUNTS, FUND_GROUPS, fund_group, funds_counted
from donations.selectors.scoping import awards_visible_to, paid_fen_by_project, projects_visible_to
from mentoring.models import School


@dataclass
class ProjectMoney:
    """One project's figures for the schools read, in fen."""

    project: AidProject
    allocated: int = 0
    received: int = 0
    awarded: int = 0
    paid: int = 0
    awards: int = 0
    late: int = 0
    # Allocated by source (e.g. 18,900 provincial + 9,100 county), fen.
    allocated_by_source: dict[str, int] = field(default_factory=dict)
    # Allocated and received are the district's, not counted for the schools read.
    shared: bool = False
    # No award of the term anywhere in the district yet (so `shared` with nobody so far).
    unawarded: bool = False


@dataclass
class TermMoney:
    whole_district: bool
    projects: list[ProjectMoney]
    # Per fund group (money_words.FUND_GROUPS), the four amounts as counted.
    groups: dict[str, dict[str, int]]


def _concerns(project, *, own_awards: int, quota_schools: set, levels: set) -> bool:
    if own_awards:
        return True
    if quota_schools is not None:
        return bool(quota_schools)
    return not project.levels or bool(set(project.levels) & levels)


def term_money(user, *, term, school_ids: list[int], project_id: int | None = None) -> TermMoney:
    """The term's money per project for `user` reading `school_ids`; see the module's contract.

    `project_id` narrows to one project (a project's page), which is then
    listed whether it concerns the schools or not (its page was asked for).
    """
    projects = projects_visible_to(user).filter(district=term.district_id)
    if project_id is not None:
        projects = projects.filter(pk=project_id)
    projects = {project.pk: project for project in projects.order_by("code")}
    in_district = School.objects.filter(district_id=term.district_id)
    whole_district = not in_district.exclude(pk__in=school_ids).exists()
    levels = set(in_district.filter(pk__in=school_ids).values_list("level", flat=True))
    awards = Award.objects.filter(term=term, project__in=projects).exclude(
        status=AwardStatus.CANCELLED
    )
    district_awards = dict(awards.values_list("project").annotate(n=Count("pk")).order_by())
    own = {
        row["project"]: row
        for row in awards_visible_to(user)
        .filter(term=term, project__in=projects, student__school__in=school_ids)
        .exclude(status=AwardStatus.CANCELLED)
        .values("project")
        .annotate(
            n=Count("pk"),
            fen=Sum("amount_fen"),
            late=Count("pk", filter=Q(status=AwardStatus.AWARDED, late_since__isnull=False)),
        )
        .order_by()
    }
    paid = paid_fen_by_project(user, term=term, projects=projects, school_ids=school_ids)
    quotas: dict[int, set] = {}
    for pk, school in ProjectQuota.objects.filter(term=term, project__in=projects).values_list(
        "project", "school"
    ):
        quotas.setdefault(pk, set())
        if school in school_ids:
            quotas[pk].add(school)
    funding = ProjectFunding.objects.filter(term=term, project__in=projects)
    allocated: dict[int, dict[str, int]] = {}
    for pk, source, fen in funding.values_list("project", "source", "amount_fen"):
        allocated.setdefault(pk, {})[source] = fen
    received = dict(
        funding.values_list("project").annotate(fen=Sum("entries__amount_fen")).order_by()
    )
    groups = {group: dict.fromkeys(AMOUNTS, 0) for group in FUND_GROUPS}
    rows = []
    for pk, project in projects.items():
        mine = own.get(pk, {})
        own_awards = mine.get("n", 0)
        if not (
            whole_district
            or project_id is not None
            or _concerns(
                project, own_awards=own_awards, quota_schools=quotas.get(pk), levels=levels
            )
        ):
            continue
        by_source = allocated.get(pk, {})
        row = ProjectMoney(
            project=project,
            allocated=sum(by_source.values()),
            received=received.get(pk) or 0,
            awarded=mine.get("fen") or 0,
            paid=paid.get(pk, 0),
            awards=own_awards,
            late=mine.get("late", 0),
            allocated_by_source={s: by_source[s] for s in FundSource.values if s in by_source},
            unawarded=not district_awards.get(pk, 0),
            shared=not (
                (whole_district or own_awards)
                and funds_counted(
                    whole_district=whole_district,
                    district_awards=district_awards.get(pk, 0),
                    own_awards=own_awards,
                )
            ),
        )
        rows.append(row)
        sums = groups[fund_group(project.source)]
        sums["awarded"] += row.awarded
        sums["paid"] += row.paid
        if not row.shared:
            sums["allocated"] += row.allocated
            sums["received"] += row.received
    return TermMoney(whole_district=whole_district, projects=rows, groups=groups)
