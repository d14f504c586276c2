"""A missed streak, defined once: how many checked weeks missed in a row make one.

From then the weekly check notifies the school's administrators, the
compliance figures count the student as on a streak, and the term report
lists the pair. Pure Python, so that any of them may import it.
"""

STREAK_WEEKS = 2
