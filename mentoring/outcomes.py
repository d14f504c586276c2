"""Words of an identification's outcome, defined once.

The identification service writes them, the matching inputs and the term
report read them. Pure Python: the report's arithmetic imports it without
Django (import-linter, pyproject.toml).
"""

# The outcome 不困难: the student applied and was found not to be in hardship. It
# stands where a tier code of the district would.
NOT_IN_HARDSHIP = "not_in_hardship"
