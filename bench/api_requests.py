"""The requests of the API load benchmark, shared by its locust users and its warm-up.

Plain Python (no locust import, which patches the standard library with
gevent): each function takes a plan account (bench/api.py) and returns the
method, path, operation name and JSON body of one request.
"""

import random
from datetime import date, timedelta

# Sent by the TLS-ending reverse proxy before a production deployment
# (config.settings.production's SECURE_PROXY_SSL_HEADER).
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "Accept-Language": "en"}


def floor(_account=None):
    return "GET", "/bench/floor/", "floor", None


def me(_account):
    """The authenticated floor: the caller's own account (bearer token, one user, its roles)."""
    return "GET", "/api/v1/me/", "floor: me", None


def auth_floor(_account):
    """The least an authenticated request costs: the bearer token checked, a constant returned."""
    return "GET", "/bench/floor/auth/", "floor: auth", None


def write_floor(_account):
    """The least an authenticated write costs: the token checked, one row inserted and committed."""
    return "POST", "/bench/floor/write/", "floor: write", {}


def mentees(_account):
    return "GET", "/api/v1/students/", "teacher: mentees", None


def log_session(account):
    pairing = random.choice(account["pairings"])
    first = date.fromisoformat(pairing["since"])
    day = first + timedelta(days=random.randrange((date.today() - first).days + 1))
    body = {
        "pairing": pairing["id"],
        "date": day.isoformat(),
        "minutes": 45,
        "subject": "math",
        "kind": "tutoring",
        "content": "分数加减法练习, 订正作业",
    }
    return "POST", "/api/v1/sessions/", "teacher: log session", body


def students(account):
    page = random.randint(1, account["pages"])
    return "GET", f"/api/v1/students/?page={page}", "admin: students", None


def pledge(account):
    today = date.today()
    body = {
        "kind": "money",
        "schedule": "instalments",
        "project": account["project"],
        "instalments": [
            {"due_on": (today + timedelta(days=30)).isoformat(), "amount": "500.00"},
            {"due_on": (today + timedelta(days=120)).isoformat(), "amount": "500.00"},
        ],
    }
    return "POST", "/api/v1/pledges/", "donor: pledge", body


# Operation -> (plan role, request); the order of bench/api.py's table.
OPERATIONS = {
    "floor": (None, floor),
    "floor: auth": ("teachers", auth_floor),
    "floor: me": ("teachers", me),
    "floor: write": ("teachers", write_floor),
    "teacher: mentees": ("teachers", mentees),
    "teacher: log session": ("teachers", log_session),
    "admin: students": ("administrators", students),
    "donor: pledge": ("donors", pledge),
}
