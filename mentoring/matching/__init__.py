"""The matching model: who mentors whom, as a min-cost flow. Pure Python, no Django."""

from mentoring.matching.solver import (
    Candidate,
    MatchInput,
    MatchResult,
    MentorSlot,
    Pair,
    ShortMentor,
    StudentNeed,
    UnmatchedStudent,
    solve,
)

__all__ = [
    "Candidate",
    "MatchInput",
    "MatchResult",
    "MentorSlot",
    "Pair",
    "ShortMentor",
    "StudentNeed",
    "UnmatchedStudent",
    "solve",
]
