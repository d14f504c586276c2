"""The need score (higher is needier) that ranks approved students for aid and matching."""

from collections.abc import Iterable

from mentoring.models import HardshipIndicator, HardshipKind, StudentRecord, Term

# Need score (higher is needier), used to rank approved students; DESIGN §2.2
# forbids taking turns, so the rank comes from circumstances alone:
#
#   need_score = sum of the points of each distinct indicator kind
#              + income points: 40 for no income, one point fewer for every
#                full 250 yuan of yearly income per person, never below 0
#                (10,000 yuan or more a year per person gives 0).
#
# Every indicator on the student's record counts, whenever it was recorded,
# and one known from several sources counts once. An unknown income
# gives no income points: the score rewards evidence, not missing data.
INDICATOR_POINTS = {
    HardshipKind.TEKUN: 40,
    HardshipKind.ORPHAN: 40,
    HardshipKind.BOTH_PARENTS_DECEASED: 40,
    HardshipKind.DIBAO: 30,
    HardshipKind.REGISTERED_POVERTY: 25,
    HardshipKind.MONITORED_HOUSEHOLD: 25,
    HardshipKind.DISABLED_STUDENT: 25,
    HardshipKind.MARTYR_CHILD: 25,
    HardshipKind.DISABLED_SOLDIER_CHILD: 20,
    HardshipKind.DISABLED_PARENT: 20,
    HardshipKind.LONG_TERM_ILLNESS: 20,
    HardshipKind.PARENT_DECEASED: 15,
    HardshipKind.DISASTER: 15,
    HardshipKind.OTHER: 5,
}
INCOME_POINTS_MAX = 40
INCOME_FEN_PER_POINT = 25_000


def need_score(*, kinds: Iterable[str], income_per_capita_fen: int | None) -> int:
    indicator_points = sum(INDICATOR_POINTS.get(kind, 0) for kind in set(kinds))
    if income_per_capita_fen is None:
        return indicator_points
    income_points = max(0, INCOME_POINTS_MAX - income_per_capita_fen // INCOME_FEN_PER_POINT)
    return indicator_points + income_points


def need_score_of(*, student_id: int, term: Term) -> int:
    kinds = HardshipIndicator.objects.filter(student_id=student_id).values_list("kind", flat=True)
    income = (
        StudentRecord.objects.filter(student_id=student_id, term=term)
        .values_list("income_per_capita_fen", flat=True)
        .first()
    )
    return need_score(kinds=kinds, income_per_capita_fen=income)
