"""Settings of the API load benchmark (bench/api.py): production's, plus the floors' URLs.

Everything is `config.settings.production` (DEBUG off, JSON only, Redis
cache and broker, PostgreSQL), with three changes only a benchmark wants:

- `ROOT_URLCONF` adds `bench/floor/`, a bare DRF endpoint returning a
  constant: the least a request through gunicorn, Django's middleware and
  DRF can cost; and two bounds, `bench/floor/auth/` and
  `bench/floor/write/`, the least an authenticated request and an
  authenticated write can cost (bench/urls.py). They exist only here, never
  in production's URLs;
- the tasks that requests publish (a session logged in an already-checked
  week refreshes its compliance row) go to a queue of the benchmark's own,
  which no worker reads and the benchmark deletes at the end, so that no
  worker elsewhere picks up a task about rows of the benchmark's database;
- the cache keys carry their own prefix, for the same reason.
"""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
CELERY_TASK_DEFAULT_QUEUE = "bench-api"
CACHES["default"]["KEY_PREFIX"] = "bench-api"  # noqa: F405
