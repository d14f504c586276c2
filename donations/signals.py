"""Events of the donations app. Whoever posts money in the background (workers/) listens."""

from django.dispatch import Signal

# Sent inside the transaction that records a contribution; `contribution_id`
# and `by` (the user who recorded it) are the arguments.
contribution_received = Signal()
