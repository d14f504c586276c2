"""The users of the API load benchmark, for locust (run by bench/api.py, not by hand).

Each user takes its account from the plan that bench/api.py wrote (the JSON
file named by BENCH_API_PLAN): an access token minted beforehand, so that no
login (a deliberately slow password hash) falls inside the measured time,
and the ids it works on. BENCH_API_WAIT is the mean think time in seconds
(0: each user sends its next request as soon as the answer arrives). The
requests themselves are bench/api_requests.py's.
"""

import itertools
import json
import os
import sys
import uuid
from pathlib import Path

import gevent
from locust import FastHttpUser, between, constant, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api_requests as requests

with open(os.environ["BENCH_API_PLAN"]) as plan_file:
    PLAN = json.load(plan_file)
WAIT = float(os.environ.get("BENCH_API_WAIT", "1"))


def think():
    return between(WAIT / 2, WAIT * 3 / 2) if WAIT > 0 else constant(0)


class Account(FastHttpUser):
    abstract = True
    wait_time = think()
    role = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Each kind of user takes the plan's accounts in turn, from the first.
        cls.counter = itertools.count()

    def on_start(self):
        if self.role:
            accounts = PLAN[self.role]
            # One account per user while there are enough, then round again.
            self.account = accounts[next(type(self).counter) % len(accounts)]
            token = self.account["token"]
            self.headers = {**requests.PROXY_HEADERS, "Authorization": f"Bearer {token}"}
        else:
            self.account, self.headers = None, dict(requests.PROXY_HEADERS)

    def send(self, build):
        method, path, name, body = build(self.account)
        headers = self.headers
        if method == "POST":
            # As a client that may retry sends it (core.idempotency).
            headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
        expected = 201 if method == "POST" else 200
        with self.client.request(
            method, path, json=body, headers=headers, name=name, catch_response=True
        ) as answer:
            if answer.status_code != expected:
                answer.failure(f"{answer.status_code}: {(answer.text or '')[:300]}")


class OneRequest(Account):
    """A user that sends one request over and over: `build` (bench/api_requests.py)."""

    abstract = True
    build = None

    @task
    def one(self):
        self.send(type(self).build)


class Floor(OneRequest):
    """The floor: a constant through gunicorn, the middleware and DRF (bench/urls.py)."""

    weight = 2
    build = staticmethod(requests.floor)


class AuthFloor(OneRequest):
    """The least an authenticated request costs (bench/urls.py): a bound, not a target."""

    weight = 1
    role = "teachers"
    build = staticmethod(requests.auth_floor)


class WriteFloor(OneRequest):
    """The least an authenticated write costs (bench/urls.py): a bound, not a target."""

    weight = 1
    role = "teachers"
    build = staticmethod(requests.write_floor)


class Me(OneRequest):
    """The authenticated floor: a teacher reads its own account (`GET me/`)."""

    weight = 2
    role = "teachers"
    build = staticmethod(requests.me)


class Teacher(Account):
    """A teacher reads its mentees, and logs a session with one of them now and then."""

    weight = 6
    role = "teachers"

    @task(3)
    def mentees(self):
        self.send(requests.mentees)

    @task(1)
    def log_session(self):
        self.send(requests.log_session)


class SessionLogger(OneRequest):
    """Only logging sessions: bench/api.py's throughput phase runs this class alone."""

    role = "teachers"
    build = staticmethod(requests.log_session)


class Administrator(OneRequest):
    """A school administrator pages through its students (50 a page, with their records)."""

    weight = 1
    role = "administrators"
    build = staticmethod(requests.students)


class Donor(OneRequest):
    """A donor pledges money to the district's project, in two instalments."""

    weight = 1
    role = "donors"
    build = staticmethod(requests.pledge)


# gevent's timers count from the time its loop last looked at the clock; under
# a loaded machine importing locust and this file can take longer than a short
# phase, and locust's --run-time would then end the phase as soon as it began.
gevent.get_hub().loop.update_now()
