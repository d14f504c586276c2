"""The lists a school prints and exports (issue 16): who may export which, and what each shows.

One rule for every list, the donations app's awards and payments included:

- **The public-notice sheet** (公示, to post on the school's board): anyone with
  a role in the school; every name masked, for every reader, as on the board.
- **The approved list** (认定名单): the school's administrators, teachers and
  volunteers. A name is whole only where the reader may read the student's
  record (`students_visible_to`: an administrator's school, a mentor's own
  mentees); everyone else on the list is masked (`mentoring.names.mask_name`).
- **The roster** (名册): the students the reader may read, so whole names.
- **Awards and payments** of a project: the school's administrators.
- Donors and supervisors get the notice sheet only: a supervisor reads
  counts and never records, a donor never sees a child's name without the
  guardian's consent (DESIGN §1).

ID numbers appear only in their stored masked form (the last four digits), and
only beside a whole name. Each list is read in a fixed number of queries.
"""

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from core.documents import Column, Kind, ListDocument, printed_at
from core.permissions import is_active_account
from mentoring.models import (
    AssessmentRoute,
    District,
    Gender,
    Role,
    School,
    SchoolLevel,
    StudentRecord,
    Term,
    User,
    term_label,
)
from mentoring.names import mask_name
from mentoring.selectors.identification import public_notices
from mentoring.selectors.school_year import hardship_identifications
from mentoring.selectors.scoping import students_visible_to
from mentoring.services.applications import mask_phone
from mentoring.services.identification import tier_name

NOTICE, APPROVED, ROSTER, AWARDS, PAYMENTS = "notice", "approved", "roster", "awards", "payments"
# The roles of a school that may export each list of its students.
LIST_ROLES = {
    NOTICE: frozenset(Role.values),
    # The approved list says how each child was identified (a government list: 低保, orphans,
    # disability) and their tier: for the school's administrators only, never for teachers or
    # volunteers, who may see only their own mentees.
    APPROVED: frozenset({Role.ADMINISTRATOR}),
    ROSTER: frozenset({Role.ADMINISTRATOR, Role.TEACHER, Role.VOLUNTEER}),
    AWARDS: frozenset({Role.ADMINISTRATOR}),
    PAYMENTS: frozenset({Role.ADMINISTRATOR}),
}


def list_schools(user: User, kind: str) -> QuerySet[School]:
    """The schools whose list of `kind` the user may export (every school for a platform admin)."""
    if not is_active_account(user):
        return School.objects.none()
    if user.is_superuser:
        return School.objects.all()
    return School.objects.filter(
        memberships__user=user, memberships__role__in=LIST_ROLES[kind]
    ).distinct()


def may_export(user: User, kind: str) -> bool:
    """Whether the user may export the list of `kind` of some school (else 403, before reading)."""
    return list_schools(user, kind).exists()


def with_whole_name(queryset: QuerySet, user: User, *, student: str = "student") -> QuerySet:
    """`queryset` annotated `name_whole`: whether the reader may read the student's record, and
    so their whole name and masked ID number, in the same query."""
    visible = students_visible_to(user).filter(pk=OuterRef(student))
    return queryset.annotate(name_whole=Exists(visible))


def shown_name(name: str, whole: bool) -> str:
    return name if whole else mask_name(name)


def issuer_of(schools: list[School], district: District) -> str:
    """The issuing unit: the school for one school's list, else the district's bureau."""
    if len(schools) == 1:
        return schools[0].name
    return _("%(district)s Education Bureau") % {"district": district.name}


def _where(schools: list[School], district: District) -> str:
    return schools[0].name if len(schools) == 1 else district.name


def _term_record(field: str, *, student: str = "student", term: str = "term"):
    record = StudentRecord.objects.filter(student=OuterRef(student), term=OuterRef(term))
    return Subquery(record.values(field)[:1])


def _common_header(term: Term | None, count: int) -> list[tuple[str, str]]:
    header = [(_("Term"), term_label(term.code))] if term is not None else []
    return [*header, (_("Students listed"), f"{count:,}"), (_("Printed"), printed_at())]


def approved_list(*, user: User, term: Term, schools: list[School]) -> ListDocument:
    """The approved list (认定名单) of `schools` for `term`: the identifications in force,
    by school, grade, class and student number."""
    district = term.district
    rows = list(
        with_whole_name(hardship_identifications(term).filter(student__school__in=schools), user)
        .annotate(grade=_term_record("grade"), class_name=_term_record("class_name"))
        .values(
            "student",
            "student__name",
            "student__gender",
            "student__id_masked",
            "student__student_number",
            "student__school__name",
            "student__school__code",
            "tier",
            "route",
            "decided_on",
            "grade",
            "class_name",
            "name_whole",
        )
        .order_by("student__school__code", "grade", "class_name", "student__student_number", "pk")
    )
    genders, routes = dict(Gender.choices), dict(AssessmentRoute.choices)
    columns = [
        Column(_("No.")),
        Column(_("School")),
        Column(_("Grade"), Kind.COUNT),
        Column(_("Class")),
        Column(_("Name")),
        Column(_("Gender")),
        Column(_("ID number (masked)")),
        Column(_("Hardship tier")),
        Column(_("How identified")),
        Column(_("Decided on"), Kind.DATE),
    ]
    return ListDocument(
        title=_("%(where)s %(term)s list of students identified in financial hardship")
        % {"where": _where(schools, district), "term": term_label(term.code)},
        issuer=issuer_of(schools, district),
        columns=columns,
        rows=[
            [
                str(n),
                row["student__school__name"],
                row["grade"],
                row["class_name"] or "",
                shown_name(row["student__name"], row["name_whole"]),
                str(genders.get(row["student__gender"], "")),
                row["student__id_masked"] if row["name_whole"] else "",
                tier_name(district, row["tier"]),
                str(routes.get(row["route"], row["route"])),
                row["decided_on"],
            ]
            for n, row in enumerate(rows, start=1)
        ],
        header=_common_header(term, len(rows)),
        notes=[_("Names are masked where the reader may not read the student's record.")],
        builder=user.display_name,
        student_ids=[row["student"] for row in rows],
    )


def notice_sheet(*, user: User, district: District, schools: list[School]) -> ListDocument:
    """The public notice to post on the board: who is under notice today, names masked."""
    today = timezone.localdate()
    rows = list(
        public_notices(today=today)
        .filter(student__school__in=schools)
        .values(
            "student",
            "student__name",
            "student__school__name",
            "tier",
            "grade",
            "class_name",
            "notice_starts_on",
            "notice_ends_on",
        )
    )
    columns = [
        Column(_("No.")),
        Column(_("School")),
        Column(_("Grade"), Kind.COUNT),
        Column(_("Class")),
        Column(_("Name")),
        Column(_("Hardship tier")),
        Column(_("Notice from"), Kind.DATE),
        Column(_("Notice until"), Kind.DATE),
    ]
    notes = [
        _(
            "Anyone may object during the notice period, to the school or on the complaint "
            "line; every objection is answered."
        )
    ]
    if district.complaint_phone:
        notes.append(_("Complaint line: %(phone)s") % {"phone": district.complaint_phone})
    return ListDocument(
        title=_("%(where)s public notice of students identified in financial hardship")
        % {"where": _where(schools, district)},
        issuer=issuer_of(schools, district),
        columns=columns,
        rows=[
            [
                str(n),
                row["student__school__name"],
                row["grade"],
                row["class_name"] or "",
                mask_name(row["student__name"]),
                tier_name(district, row["tier"]),
                row["notice_starts_on"],
                row["notice_ends_on"],
            ]
            for n, row in enumerate(rows, start=1)
        ],
        header=[
            (_("Date"), today.isoformat()),
            (_("Students listed"), f"{len(rows):,}"),
        ],
        notes=notes,
        builder=user.display_name,
        student_ids=[row["student"] for row in rows],
    )


def roster(*, user: User, term: Term, schools: list[School]) -> ListDocument:
    """The roster of `term` as the reader may read it: administrators their schools' students,
    mentors their own mentees. The guardian's phone is masked like the ID number."""
    district = term.district
    records = list(
        StudentRecord.objects.filter(
            term=term,
            student__school__in=schools,
            student__in=students_visible_to(user),
        )
        .values(
            "student",
            "student__name",
            "student__gender",
            "student__id_masked",
            "student__student_number",
            "student__school__name",
            "student__village",
            "student__guardian_name",
            "student__guardian_phone",
            "level",
            "grade",
            "class_name",
            "boarding",
        )
        .order_by("student__school__code", "grade", "class_name", "student__student_number")
    )
    genders, levels = dict(Gender.choices), dict(SchoolLevel.choices)
    columns = [
        Column(_("No.")),
        Column(_("School")),
        Column(_("Student number")),
        Column(_("Name")),
        Column(_("Gender")),
        Column(_("ID number (masked)")),
        Column(_("Level")),
        Column(_("Grade"), Kind.COUNT),
        Column(_("Class")),
        Column(_("Boarding or day")),
        Column(_("Village or community")),
        Column(_("Guardian")),
        Column(_("Guardian phone (masked)")),
    ]
    return ListDocument(
        title=_("%(where)s %(term)s student roster")
        % {"where": _where(schools, district), "term": term_label(term.code)},
        issuer=issuer_of(schools, district),
        columns=columns,
        rows=[
            [
                str(n),
                row["student__school__name"],
                row["student__student_number"],
                row["student__name"],
                str(genders.get(row["student__gender"], "")),
                row["student__id_masked"],
                str(levels.get(row["level"], row["level"])),
                row["grade"],
                row["class_name"],
                _("Lives at school") if row["boarding"] else _("Lives at home"),
                row["student__village"],
                row["student__guardian_name"],
                mask_phone(row["student__guardian_phone"])
                if row["student__guardian_phone"]
                else "",
            ]
            for n, row in enumerate(records, start=1)
        ],
        header=_common_header(term, len(records)),
        builder=user.display_name,
        student_ids=[row["student"] for row in records],
    )
