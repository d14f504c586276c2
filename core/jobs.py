"""What the apps share about background jobs, without knowing the app that runs them.

A long domain service reports how far it has come through a `Progress`
callback (0 to 100), which the job's task records; the service knows
nothing of jobs.
"""

from collections.abc import Callable

Progress = Callable[[int], None]
