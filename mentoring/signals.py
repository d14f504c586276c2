"""Events of the mentoring app. Whoever keeps figures up to date in the background listens.

The mentoring app never imports `workers`; `workers.receivers` connects to
these signals and starts the background work after the transaction commits.
"""

from django.dispatch import Signal

# Sent inside the transaction that logs, edits or deletes a tutoring session.
# Arguments: `pairing_id`, `days` (the session's date, and for an edit that
# moves it, its date before the edit too) and `by` (the user who changed it).
# Which stored weeks the change concerns is this app's answer
# (`mentoring.selectors.compliance_refresh.compliance_refresh_due`), not the listener's.
session_changed = Signal()

# Sent inside the transaction that records a match run (`match_run_start`).
# Arguments: `run` (the MatchRun, whose `job` the receiver sets), `schools`
# (the run's schools) and `by` (the administrator who started it).
match_run_started = Signal()

# Sent by the weekly check once it has stored the reminders of a missed week
# (`mentoring.services.compliance.compliance_check`), inside the caller's
# transaction if there is one. Arguments: `term_id` and `week` (the Monday of
# the week the reminders are about). Their e-mails go out apart from the check
# (`mentoring.services.compliance_reminders.reminders_mail`), after commit.
reminders_stored = Signal()
