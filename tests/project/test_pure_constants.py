"""The words the pure modules spell out are the models' own.

The solver's candidate rules, the report's arithmetic and the money words
import no Django (import-linter), so they cannot import a model's choices and
write their values as plain strings. Each such copy is pinned here to the one
definition, the choices of its model: a value renamed there fails here
instead of silently matching nothing in the report or the solver.
"""

from donations import money_words
from donations.models import FundSource
from mentoring.matching import candidates
from mentoring.models import AssessmentStatus, MentorKind, PairingKind, SchoolLevel
from mentoring.services.mentors import KINDS_WITH_A_MINIMUM
from workers.reporting import figures, figures_aid


def test_the_solvers_pairing_and_mentor_kinds_are_the_models():
    assert (candidates.ACADEMIC, candidates.CARE) == (PairingKind.ACADEMIC, PairingKind.CARE)
    assert set(candidates.KINDS_FOR) == set(PairingKind.values)
    assert set().union(*candidates.KINDS_FOR.values()) == set(MentorKind.values)


def test_the_solver_applies_a_minimum_to_exactly_the_kinds_that_have_one():
    assert set().union(*candidates.MINIMUM_APPLIES.values()) == set(KINDS_WITH_A_MINIMUM)


def test_the_reports_statuses_sources_and_levels_are_the_models_in_their_order():
    assert (figures.APPROVED, figures.REJECTED) == (
        AssessmentStatus.APPROVED,
        AssessmentStatus.REJECTED,
    )
    assert list(figures_aid.SOURCES) == FundSource.values
    assert list(figures_aid.LEVELS) == SchoolLevel.values


def test_societys_money_is_the_social_fund_source():
    assert {FundSource.SOCIAL} == money_words.SOCIAL_SOURCES
