"""Direct identification (认定) from a government list: its students proposed, without notice.

A list (rows of an ID number and a category, as the bureau writes it) is
checked whole before anything is written; each
matched student of the administrator's schools gets a hardship indicator and,
unless already assessed this term, an assessment in `proposed` that follows
the workflow of `mentoring.services.identification`.

The tier is stated, never assumed. A bureau's list says who is in hardship
(低保, 特困, orphans...), not which of the district's tiers each student is
in: that is the identification's decision, and the living subsidy pays
hardship and special hardship at different rates. So each row takes the tier
of its own tier column (档次: the tier's code or its name, e.g. 特别困难), or
else the tier stated for the whole list; a row with neither is refused by
its row number, with every other bad row, and nothing is written.
"""

import csv
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from core.errors import Conflict, DomainError, ValidationErrors
from mentoring import idnumbers
from mentoring.models import (
    Assessment,
    AssessmentEvent,
    AssessmentRoute,
    AssessmentStatus,
    HardshipIndicator,
    HardshipKind,
    IndicatorSource,
    Student,
    StudentRecord,
    Term,
    User,
)
from mentoring.selectors.accounts import schools_administered_by
from mentoring.selectors.school_year import carried_identifications
from mentoring.services.identification import TRANSITIONS, Action
from mentoring.services.need_score import need_score
from mentoring.services.roster_columns import HARDSHIP_WORDS
from mentoring.services.students import id_number_problem

MAX_GOVERNMENT_LIST_ROWS = 20_000
# Keeps each `IN (...)` well below SQLite's limit on query parameters.
_MATCH_BATCH = 5_000

ID_NUMBER_HEADERS = {"id_number", "身份证号码", "身份证号"}
CATEGORY_HEADERS = {"category", "类别", "贫困类型"}
TIER_HEADERS = {"tier", "档次", "困难档次", "认定档次", "困难等级"}
# Each column as the page and its errors name it: by its Chinese header, as the roster import
# names its columns (the code, also accepted as a header, is what the API's errors name).
COLUMN_HEADERS = {"id_number": "身份证号码", "category": "类别", "tier": "档次"}
# Lists arrive with the category as the bureau writes it.
CATEGORY_ALIASES = {
    "低保": HardshipKind.DIBAO,
    "特困": HardshipKind.TEKUN,
    "特困供养": HardshipKind.TEKUN,
    "五保": HardshipKind.TEKUN,
    "孤儿": HardshipKind.ORPHAN,
    "事实无人抚养": HardshipKind.ORPHAN,
    "残疾": HardshipKind.DISABLED_STUDENT,
    "残疾学生": HardshipKind.DISABLED_STUDENT,
    "脱贫户": HardshipKind.REGISTERED_POVERTY,
    "建档立卡": HardshipKind.REGISTERED_POVERTY,
    "监测户": HardshipKind.MONITORED_HOUSEHOLD,
    "烈士子女": HardshipKind.MARTYR_CHILD,
    "残疾军人子女": HardshipKind.DISABLED_SOLDIER_CHILD,
}
# The words a roster's 贫困类型 takes are a category here too; each category is named, in
# an error, by the roster template's word for it, its code in brackets.
CATEGORY_WORDS = {**HARDSHIP_WORDS, **CATEGORY_ALIASES}
CATEGORY_NAMES = {kind: word for word, kind in reversed(HARDSHIP_WORDS.items())}


@dataclass(frozen=True)
class GovernmentListRow:
    row: int
    id_number: str
    category: str
    # The row's own tier (code or name); blank: the tier stated for the list.
    tier: str = ""


@dataclass
class GovernmentListResult:
    rows: int = 0
    matched: int = 0
    created: int = 0
    already_assessed: int = 0
    unmatched: list[dict] = field(default_factory=list)
    assessment_ids: list[int] = field(default_factory=list)


def government_list_rows_from_csv(content: bytes) -> list[GovernmentListRow]:
    """Rows of a CSV with an ID number column, a category column and, optionally, a tier column.

    Row numbers are those a spreadsheet shows: the header is row 1. Files saved
    by Chinese Excel are often GB 18030 rather than UTF-8; both are read.
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")
        except UnicodeDecodeError:
            raise DomainError(_("The file is not UTF-8 or GB 18030 text."), field="file") from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = [cell.strip().lower() for cell in next(reader, [])]
        id_column = next((i for i, h in enumerate(header) if h in ID_NUMBER_HEADERS), None)
        category_column = next((i for i, h in enumerate(header) if h in CATEGORY_HEADERS), None)
        tier_column = next((i for i, h in enumerate(header) if h in TIER_HEADERS), None)
        if id_column is None or category_column is None:
            raise DomainError(
                _(
                    "The file needs a header row with the columns %(id_number)s and "
                    "%(category)s (or id_number and category)."
                )
                % COLUMN_HEADERS,
                field="file",
            )
        rows = []
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_GOVERNMENT_LIST_ROWS:
                raise DomainError(
                    _("A list has at most %(n)s rows.") % {"n": MAX_GOVERNMENT_LIST_ROWS},
                    field="file",
                )
            rows.append(
                GovernmentListRow(
                    row=number,
                    id_number=cells[id_column] if id_column < len(cells) else "",
                    category=cells[category_column] if category_column < len(cells) else "",
                    tier=(
                        cells[tier_column]
                        if tier_column is not None and tier_column < len(cells)
                        else ""
                    ),
                )
            )
    except csv.Error:
        raise DomainError(_("The file is not a readable CSV file."), field="file") from None
    return rows


def _category(value: str) -> str | None:
    value = value.strip()
    if value in HardshipKind.values:
        return value
    return CATEGORY_WORDS.get(value)


def category_choices() -> str:
    """The categories a list may give, each by its Chinese word with its code: 低保 (dibao)…"""
    return "、".join(
        _("%(name)s (%(code)s)") % {"name": CATEGORY_NAMES[kind], "code": kind}
        for kind in HardshipKind.values
    )


def _validated_rows(
    errors: ValidationErrors,
    rows: list[GovernmentListRow],
    *,
    tiers: dict[str, str] | None,
    list_tier: str | None,
) -> list[tuple[GovernmentListRow, str, str, str]]:
    """Each valid row with its normalised ID number, category and tier; every bad row to `errors`.

    `tiers` maps each of the district's tier codes and names to the code
    (None: the district is unknown, the tiers are not checked); `list_tier`
    is the tier stated for the whole list, for the rows that give none
    (blank: none stated; None: refused already).
    The bad rows are listed under `rows`, each with its number, field and
    message. Error messages never repeat the ID number: an error report is
    often forwarded, printed or pasted into a chat.
    """
    if not rows:
        errors.add("rows", _("The list has no rows."))
        return []
    if len(rows) > MAX_GOVERNMENT_LIST_ROWS:
        errors.add("rows", _("A list has at most %(n)s rows.") % {"n": MAX_GOVERNMENT_LIST_ROWS})
        return []
    valid, problems = [], []
    for row in rows:
        try:
            number = idnumbers.validate(row.id_number)
        except idnumbers.InvalidIdNumber as exc:
            reason = id_number_problem(exc)
            problems.append({"row": row.row, "field": "id_number", "message": str(reason)})
            number = None
        category = _category(row.category)
        if category is None:
            problems.append(
                {
                    "row": row.row,
                    "field": "category",
                    "message": _("Unknown category; use one of: %(kinds)s.")
                    % {"kinds": category_choices()},
                }
            )
        tier = _row_tier(problems, row, tiers=tiers, list_tier=list_tier)
        if number and category and tier:
            valid.append((row, number, category, tier))
    for problem in problems:
        errors.add(
            "rows", problem, extra={"detail": _("The list has errors; nothing was written.")}
        )
    return valid


def _row_tier(
    problems: list[dict],
    row: GovernmentListRow,
    *,
    tiers: dict[str, str] | None,
    list_tier: str | None,
) -> str | None:
    """The row's tier code, from its own tier column or the list's; None (and a problem) if none."""
    if tiers is None:
        return None
    given = row.tier.strip()
    if given:
        if given not in tiers:
            problems.append(
                {
                    "row": row.row,
                    "field": "tier",
                    "message": _("Unknown tier; this district's tiers are: %(tiers)s.")
                    % {"tiers": ", ".join(dict.fromkeys(tiers.values()))},
                }
            )
            return None
        return tiers[given]
    if list_tier is None:
        return None
    if list_tier:
        return list_tier
    problems.append(
        {
            "row": row.row,
            "field": "tier",
            "message": _(
                "No tier: give this row a tier (档次) or state the tier for the whole list."
            ),
        }
    )
    return None


def government_list_import_problems(
    errors: ValidationErrors,
    *,
    by: User,
    term_id: int | None,
    rows: list[GovernmentListRow] | None,
    tier: str | None = "",
) -> tuple[Term | None, list[tuple[GovernmentListRow, str, str, str]]]:
    """Add to `errors` everything wrong with this list; answers the term and the valid rows.

    Every field and every row is checked, so one answer names them all; an
    input given as None is not checked (left out, or refused already). The
    tier stated for the list (`tier`) may be blank when every row gives its own.
    """
    term = None
    if term_id is not None:
        term = (
            Term.objects.select_related("district")
            .filter(pk=term_id, district__schools__in=schools_administered_by(by))
            .distinct()
            .first()
        )
        if term is None:
            errors.add("term", _("No such term in your district."))
    tiers = None
    # None: the list's tier was refused (here or by the serializer), so the
    # rows without a tier of their own are not refused a second time.
    list_tier = tier
    if term is not None:
        district = term.district
        tiers = {t["name"]: t["code"] for t in district.tiers} | {
            code: code for code in district.tier_codes
        }
        if tier and tier not in district.tier_codes:
            errors.add(
                "tier",
                _("Unknown tier; this district's tiers are: %(tiers)s.")
                % {"tiers": ", ".join(district.tier_codes)},
            )
            list_tier = None
    valid = (
        _validated_rows(errors, rows, tiers=tiers, list_tier=list_tier) if rows is not None else []
    )
    return term, valid


@transaction.atomic
def government_list_import(
    *, by: User, term_id: int, rows: list[GovernmentListRow], tier: str = ""
) -> GovernmentListResult:
    """Identify the students on a government list directly, without public notice.

    Each matched student of the administrator's schools gets a hardship
    indicator from the list and, unless already assessed this term, an
    assessment in `proposed` that an administrator then approves. Posting the
    same list again creates nothing. Students of schools `by` does not
    administer are never matched, so the answer cannot reveal where they are.
    """
    errors = ValidationErrors()
    term, valid = government_list_import_problems(
        errors, by=by, term_id=term_id, rows=rows, tier=tier
    )
    errors.raise_if_any()
    administered = schools_administered_by(by)
    district = term.district

    hashes = {
        number: idnumbers.keyed_hash(number, key=settings.ID_HASH_KEY)
        for _row, number, _category, _tier in valid
    }
    students_by_hash: dict[str, list[int]] = {}
    unique_hashes = sorted(set(hashes.values()))
    schools = administered.filter(district=district)
    for start in range(0, len(unique_hashes), _MATCH_BATCH):
        # Only students on this term's roster: identification is per term.
        matches = (
            Student.objects.filter(
                school__in=schools,
                id_hash__in=unique_hashes[start : start + _MATCH_BATCH],
                records__term=term,
            )
            .values_list("pk", "id_hash")
            .distinct()
            .order_by("pk")
        )
        for student_id, id_hash in matches:
            students_by_hash.setdefault(id_hash, []).append(student_id)
    matched_ids = sorted({pk for ids in students_by_hash.values() for pk in ids})

    # A student identified earlier in the school year is identified still: the list
    # changes nothing for them (a change is a re-check, with its public notice).
    assessed = set(
        Assessment.objects.filter(term=term, student_id__in=matched_ids).values_list(
            "student_id", flat=True
        )
    ) | set(
        carried_identifications(term)
        .filter(student_id__in=matched_ids)
        .values_list("student_id", flat=True)
    )
    # A list posted again on another day does not add the same facts again.
    known = set(
        HardshipIndicator.objects.filter(
            student_id__in=matched_ids,
            source=IndicatorSource.GOVERNMENT_LIST,
            recorded_on__gte=term.start_date,
        ).values_list("student_id", "kind")
    )

    today = timezone.localdate()
    result = GovernmentListResult(rows=len(rows))
    new_indicators, new_assessments = [], {}
    for row, number, category, tier in valid:
        student_ids = students_by_hash.get(hashes[number], [])
        if not student_ids:
            result.unmatched.append({"row": row.row, "id_masked": idnumbers.mask(number)})
            continue
        result.matched += 1
        for student_id in student_ids:
            if (student_id, category) not in known:
                known.add((student_id, category))
                new_indicators.append(
                    HardshipIndicator(
                        student_id=student_id,
                        kind=category,
                        source=IndicatorSource.GOVERNMENT_LIST,
                        recorded_on=today,
                        # Data, not a message: it stays as written whatever the reader's language.
                        note=f"政府名单第{row.row}行",
                    )
                )
            if student_id in assessed:
                result.already_assessed += 1
                continue
            assessed.add(student_id)
            new_assessments[student_id] = Assessment(
                student_id=student_id,
                term=term,
                route=AssessmentRoute.GOVERNMENT_LIST,
                status=AssessmentStatus.PROPOSED,
                tier=tier,
                government_category=category,
                created_by=by,
            )

    try:
        with transaction.atomic():
            bulk_create_with_history(new_indicators, HardshipIndicator, default_user=by)
            _score(new_assessments, term=term)
            created = bulk_create_with_history(
                list(new_assessments.values()), Assessment, default_user=by
            )
    except IntegrityError:
        # The same list posted twice at the same moment: one of them wins.
        raise Conflict(
            _("Another import for this term ran at the same time; post the list again.")
        ) from None
    transition = TRANSITIONS[(None, Action.GOVERNMENT_LIST)]
    AssessmentEvent.objects.bulk_create(
        AssessmentEvent(
            assessment=assessment,
            action=transition.action,
            from_status="",
            to_status=transition.target,
            by=by,
        )
        for assessment in created
    )
    result.created = len(created)
    result.assessment_ids = sorted(assessment.pk for assessment in created)
    return result


def _score(assessments: dict[int, Assessment], *, term: Term) -> None:
    """Set the need score of new assessments in two queries, whatever their number."""
    kinds: dict[int, list[str]] = {student_id: [] for student_id in assessments}
    for student_id, kind in HardshipIndicator.objects.filter(
        student_id__in=list(assessments)
    ).values_list("student_id", "kind"):
        kinds[student_id].append(kind)
    incomes = dict(
        StudentRecord.objects.filter(student_id__in=list(assessments), term=term).values_list(
            "student_id", "income_per_capita_fen"
        )
    )
    for student_id, assessment in assessments.items():
        assessment.need_score = need_score(
            kinds=kinds[student_id], income_per_capita_fen=incomes.get(student_id)
        )
