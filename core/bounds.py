"""The widest integers the database holds, for input checks that must never reach it.

Every id is a `BigAutoField`: a signed 64-bit integer on PostgreSQL and SQLite
alike. A larger number passed on to the database fails there (OverflowError on
SQLite, "out of range" on PostgreSQL), so every integer of a request is checked
against these bounds before any query runs.
"""

BIGINT_MAX = 2**63 - 1
BIGINT_MIN = -BIGINT_MAX
