"""Fault tests: Bangfu on a private, production-shaped stack whose services they break.

    pytest tests/faults                 # the quick scenarios (CI): worker children
                                        # killed mid-job, tasks delivered twice
    pytest tests/faults -m soak         # every scenario that stops, freezes or
                                        # restarts a service (also in `make soak`)

Each scenario writes its table (status codes seen, rows before and after,
what a clean run adds, seconds to recover) to var/faults/<scenario>.md.
Needs redis-server and PostgreSQL 15's binaries (initdb, pg_ctl); as root,
PostgreSQL runs as the postgres user. BANGFU_FAULTS_KEEP=<dir> keeps the
private cluster and its seeded county between runs; BANGFU_FAULTS_SETTLE
is how long a scenario waits for its jobs to end (600 s).
"""
