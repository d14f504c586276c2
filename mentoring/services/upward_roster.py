"""The upward roster (名册上报): a school's or a district's approved students of a term, in the
county's columns, as XLSX or CSV.

Columns, in the county's order and words: 序号, 学校, 年级, 班级, 学生姓名, 性别,
身份证号, 家庭住址, 困难类型, 认定档次, 监护人, 联系电话, 备注.

- the ID number and the guardian's phone are masked: Bangfu never stores the
  whole ID number, and the county's form accepts the masked one from a school;
- 家庭住址 is the village or community on record (Bangfu keeps no street address);
- 困难类型 lists the hardship kinds on the student's record, the family's
  declared ones included, or the government list's category;
- students found not in hardship are not listed: the roster reports whom the
  school supports.

The export is for administrators only and is recorded in the access log by
the API, with every student it names.
"""

import csv
import io
from dataclasses import dataclass

import openpyxl
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from mentoring.models import (
    ApplicationSource,
    Assessment,
    AssessmentRoute,
    AssessmentStatus,
    HardshipIndicator,
    HardshipKind,
    School,
    StudentRecord,
    Term,
)
from mentoring.outcomes import NOT_IN_HARDSHIP
from mentoring.services.applications import mask_phone
from mentoring.services.identification import tier_name

COLUMNS = [
    "序号",
    "学校",
    "年级",
    "班级",
    "学生姓名",
    "性别",
    "身份证号",
    "家庭住址",
    "困难类型",
    "认定档次",
    "监护人",
    "联系电话",
    "备注",
]
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
# Cells starting with these run as formulas in a spreadsheet: text is prefixed with '.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class UpwardRoster:
    title: str
    rows: list[list]
    student_ids: list[int]


def approved_for_roster(*, term: Term, schools: QuerySet[School]) -> QuerySet[Assessment]:
    record = StudentRecord.objects.filter(student=OuterRef("student"), term=OuterRef("term"))
    return (
        Assessment.objects.filter(
            term=term, status=AssessmentStatus.APPROVED, student__school__in=schools
        )
        .exclude(tier=NOT_IN_HARDSHIP)
        .annotate(
            grade=Subquery(record.values("grade")[:1]),
            class_name=Subquery(record.values("class_name")[:1]),
        )
        .select_related("student__school", "term__district", "application")
        .prefetch_related(
            Prefetch(
                "student__indicators",
                queryset=HardshipIndicator.objects.order_by("kind"),
                to_attr="roster_indicators",
            ),
        )
        .order_by("student__school__code", "grade", "class_name", "student__student_number")
    )


def _kinds(assessment: Assessment) -> str:
    kinds = {indicator.kind for indicator in assessment.student.roster_indicators}
    if assessment.government_category:
        kinds.add(assessment.government_category)
    ordered = [kind for kind in HardshipKind.values if kind in kinds]
    return "、".join(str(HardshipKind(kind).label) for kind in ordered)


def _remark(assessment: Assessment) -> str:
    if assessment.route == AssessmentRoute.GOVERNMENT_LIST:
        return _("Identified from a government list")
    application = getattr(assessment, "application", None)
    if application is None:
        return _("Proposed by the school")
    if application.source == ApplicationSource.FAMILY_PAGE:
        return _("Applied by the family online")
    return _("Applied by the family")


def upward_roster(*, term: Term, schools: QuerySet[School], title: str) -> UpwardRoster:
    """The roster's rows, in Chinese whatever the requester's language: it goes to the county."""
    rows = []
    student_ids = []
    with translation.override("zh-hans"):
        for number, assessment in enumerate(
            approved_for_roster(term=term, schools=schools), start=1
        ):
            student = assessment.student
            application = getattr(assessment, "application", None)
            guardian = student.guardian_name or (application.guardian_name if application else "")
            phone = student.guardian_phone or (application.guardian_phone if application else "")
            rows.append(
                [
                    number,
                    student.school.name,
                    assessment.grade,
                    assessment.class_name,
                    student.name,
                    student.get_gender_display(),
                    student.id_masked,
                    student.village,
                    _kinds(assessment),
                    tier_name(assessment.term.district, assessment.tier),
                    guardian,
                    mask_phone(phone) if phone else "",
                    _remark(assessment),
                ]
            )
            student_ids.append(student.pk)
    return UpwardRoster(title=title, rows=rows, student_ids=student_ids)


def _cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


def to_csv(roster: UpwardRoster) -> bytes:
    """UTF-8 with a byte-order mark, which Excel needs to show Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in roster.rows:
        writer.writerow([_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(roster: UpwardRoster) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "名册"
    sheet.append([roster.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(COLUMNS)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in roster.rows:
        sheet.append([_cell(value) for value in row])
    widths = [6, 24, 6, 10, 12, 6, 22, 20, 30, 12, 12, 14, 18]
    for position, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = width
    sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
