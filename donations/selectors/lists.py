"""The awards and the payments of one aid project, per school, as lists to print and export.

Who may export them is the rule of `mentoring.selectors.lists` (the schools'
administrators); the rows are those `awards_visible_to` and
`disbursements_visible_to` give the reader, so nothing outside their schools
is ever listed. Each list is read in a fixed number of queries, whatever its rows.
"""

from collections import defaultdict

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.documents import Column, Kind, ListDocument, printed_at
from core.money import yuan_amount as yuan
from donations.models import AidProject, AwardStatus, PaymentMethod
from donations.selectors.scoping import awards_visible_to, disbursements_visible_to
from mentoring.models import School, StudentRecord, Term, User, person_name, term_label
from mentoring.selectors.lists import issuer_of


def _record(field: str, *, student: str, term: str):
    record = StudentRecord.objects.filter(student=OuterRef(student), term=OuterRef(term))
    return Subquery(record.values(field)[:1])


def _where(project: AidProject, schools: list[School]) -> str:
    return schools[0].name if len(schools) == 1 else project.district.name


def _header(project: AidProject, term: Term | None, count: int) -> list[tuple[str, str]]:
    header = [(_("Aid project"), project.name)]
    if term is not None:
        header.append((_("Term"), term_label(term.code)))
    return [*header, (_("Students listed"), f"{count:,}"), (_("Printed"), printed_at())]


def _school_totals(rows: list[dict], amounts: tuple[str, ...]) -> list[list]:
    """A total row per school, in the rows' order, then the grand total: the school, the
    count, each amount."""
    by_school: dict[str, dict] = defaultdict(lambda: {"count": 0, **dict.fromkeys(amounts, 0)})
    for row in rows:
        sums = by_school[row["school"]]
        sums["count"] += 1
        for name in amounts:
            sums[name] += row[name]
    grand = {"count": len(rows), **{name: sum(r[name] for r in rows) for name in amounts}}
    out = [
        (_("Subtotal: %(school)s") % {"school": school}, sums) for school, sums in by_school.items()
    ]
    return [*out, (_("Total"), grand)]


def awards_list(
    *, user: User, project: AidProject, schools: list[School], term: Term | None
) -> ListDocument:
    """The awards of `project` in `schools` (one term, or all), by school, grade and class."""
    awards = awards_visible_to(user).filter(project=project, student__school__in=schools)
    if term is not None:
        awards = awards.filter(term=term)
    rows = list(
        awards.exclude(status=AwardStatus.CANCELLED)
        .annotate(
            grade=_record("grade", student="student", term="term"),
            class_name=_record("class_name", student="student", term="term"),
        )
        .values(
            "student",
            "student__name",
            "student__id_masked",
            "student__school__name",
            "term__code",
            "amount_fen",
            "paid_fen",
            "status",
            "grade",
            "class_name",
        )
        .order_by("student__school__code", "grade", "class_name", "student__name", "pk")
    )
    for row in rows:
        row["school"] = row["student__school__name"]
    statuses = dict(AwardStatus.choices)
    columns = [
        Column(_("No.")),
        Column(_("School")),
        Column(_("Grade"), Kind.COUNT),
        Column(_("Class")),
        Column(_("Name")),
        Column(_("ID number (masked)")),
        Column(_("Term")),
        Column(_("Awarded (yuan)"), Kind.MONEY),
        Column(_("Paid (yuan)"), Kind.MONEY),
        Column(_("Status")),
    ]
    body = [
        [
            str(n),
            row["school"],
            row["grade"],
            row["class_name"] or "",
            row["student__name"],
            row["student__id_masked"],
            term_label(row["term__code"]),
            yuan(row["amount_fen"]),
            yuan(row["paid_fen"]),
            str(statuses.get(row["status"], row["status"])),
        ]
        for n, row in enumerate(rows, start=1)
    ]
    totals = [
        [
            "",
            label,
            "",
            "",
            ngettext("%(count)s student", "%(count)s students", sums["count"])
            % {"count": f"{sums['count']:,}"},
            "",
            "",
            yuan(sums["amount_fen"]),
            yuan(sums["paid_fen"]),
            "",
        ]
        for label, sums in _school_totals(rows, ("amount_fen", "paid_fen"))
    ]
    return ListDocument(
        title=_("%(where)s %(project)s award list")
        % {"where": _where(project, schools), "project": project.name},
        issuer=issuer_of(schools, project.district),
        columns=columns,
        rows=body + totals,
        total_from=len(body),
        header=_header(project, term, len(rows)),
        builder=user.display_name,
        student_ids=[row["student"] for row in rows],
    )


def payments_list(
    *, user: User, project: AidProject, schools: list[School], term: Term | None
) -> ListDocument:
    """The payments of `project` in `schools` (one term, or all), a reversed one marked."""
    payments = disbursements_visible_to(user).filter(
        award__project=project, award__student__school__in=schools
    )
    if term is not None:
        payments = payments.filter(award__term=term)
    rows = list(
        payments.annotate(
            grade=_record("grade", student="award__student", term="award__term"),
            class_name=_record("class_name", student="award__student", term="award__term"),
        )
        .values(
            "award__student",
            "award__student__name",
            "award__student__id_masked",
            "award__student__school__name",
            "amount_fen",
            "paid_on",
            "method",
            "instalment",
            "reversal",
            "paid_by__first_name",
            "paid_by__last_name",
            "paid_by__username",
            "grade",
            "class_name",
        )
        .order_by("award__student__school__code", "grade", "class_name", "paid_on", "pk")
    )
    for row in rows:
        row["school"] = row["award__student__school__name"]
        # A reversed payment is listed, and counts for nothing in the totals.
        row["standing_fen"] = 0 if row["reversal"] else row["amount_fen"]
    methods = dict(PaymentMethod.choices)
    columns = [
        Column(_("No.")),
        Column(_("School")),
        Column(_("Grade"), Kind.COUNT),
        Column(_("Class")),
        Column(_("Name")),
        Column(_("ID number (masked)")),
        Column(_("Instalment"), Kind.COUNT),
        Column(_("Amount (yuan)"), Kind.MONEY),
        Column(_("Paid on"), Kind.DATE),
        Column(_("Method")),
        Column(_("Paid by")),
        Column(_("Status")),
    ]
    body = [
        [
            str(n),
            row["school"],
            row["grade"],
            row["class_name"] or "",
            row["award__student__name"],
            row["award__student__id_masked"],
            row["instalment"],
            yuan(row["amount_fen"]),
            row["paid_on"],
            str(methods.get(row["method"], row["method"])),
            person_name(row["paid_by__first_name"] or "", row["paid_by__last_name"] or "")
            or row["paid_by__username"]
            or "",
            _("Reversed") if row["reversal"] else _("Paid"),
        ]
        for n, row in enumerate(rows, start=1)
    ]
    totals = [
        [
            "",
            label,
            "",
            "",
            ngettext("%(count)s payment", "%(count)s payments", sums["count"])
            % {"count": f"{sums['count']:,}"},
            "",
            "",
            yuan(sums["standing_fen"]),
            "",
            "",
            "",
            "",
        ]
        for label, sums in _school_totals(rows, ("standing_fen",))
    ]
    return ListDocument(
        title=_("%(where)s %(project)s payment list")
        % {"where": _where(project, schools), "project": project.name},
        issuer=issuer_of(schools, project.district),
        columns=columns,
        rows=body + totals,
        total_from=len(body),
        header=_header(project, term, len({row["award__student"] for row in rows})),
        notes=[_("A reversed payment is listed and left out of the totals.")],
        builder=user.display_name,
        student_ids=[row["award__student"] for row in rows],
    )
