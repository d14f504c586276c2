"""The matching model: who mentors whom, as a min-cost flow.

`solver`, `candidates` and `run_inputs` are pure Python, without Django, tested
and benchmarked without a database. `problem` (a run's inputs read as plain
data) and `writer` (the proposal's bulk SQL) are the run's two ends at the
database; the lifecycle that uses them is `mentoring.services.match_runs`.
"""

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
