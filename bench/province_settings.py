"""Settings of bench/province.py's Celery workers: the project's, on a queue of the bench's own.

The province's task sends its counties' tasks from inside the worker, to the
default queue: here the bench's, which no other worker reads, so that no worker
elsewhere picks up a task about rows of the benchmark's database.
"""

from config.settings.base import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = "bench-province"
