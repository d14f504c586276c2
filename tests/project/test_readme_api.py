"""The README's worked API calls are run as written, so that the README cannot drift (issue 17).

Each ```http block of "Everyday calls, worked" that starts with a method is a
request; the block after it is its answer: the status line, any header shown,
and a JSON body of which every field shown must be in the real answer with
that value (a list with every item). `"$NAME"` in an answer takes the real
value and stands for it in later requests. `Bearer <access of USER>` signs in
as the demo account USER, built here with the demo's codes and password.

The README shows what `make demo` answers, so this world is shaped like the
demo where an answer shows it (teacher_a's three pairings); the lists' counts
it shows are also asked of the real demo by tests/workers/test_demo.py.
"""

import datetime
import json
import re
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from mentoring.models import MentorKind, Role, Subject
from tests.write_world import World
from workers.factories import (
    DistrictFactory,
    MentorFactory,
    PairingFactory,
    SchoolFactory,
    member,
)

README = Path(settings.BASE_DIR) / "README.md"
SECTION = "### Everyday calls, worked"
PASSWORD = "bangfu-demo-2026"
# The day the README's dates are written for: its pledges fall due after it,
# its session happened before it, inside the term.
TODAY = datetime.datetime(2026, 12, 3, 4, 0, tzinfo=datetime.UTC)


def http_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index(SECTION) :]
    section = section[: section.index("\n## ", 1)] if "\n## " in section[1:] else section
    return re.findall(r"```http\n(.*?)```", section, flags=re.S)


def exchanges() -> list[tuple[str, str]]:
    blocks = http_blocks()
    pairs = []
    for request, answer in zip(blocks[::2], blocks[1::2], strict=True):
        assert not request.startswith("HTTP/"), request
        assert answer.startswith("HTTP/1.1 "), answer
        pairs.append((request, answer))
    return pairs


def _split(block: str) -> tuple[str, dict, str]:
    head, _, body = block.partition("\n\n")
    first, *header_lines = head.strip().splitlines()
    headers = dict(line.split(": ", 1) for line in header_lines)
    return first, headers, body.strip()


def _substitute(value, bound: dict):
    if isinstance(value, dict):
        return {key: _substitute(item, bound) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, bound) for item in value]
    if isinstance(value, str) and value.startswith("$"):
        return bound[value[1:]]
    return value


def _match(expected, actual, bound: dict, where: str) -> None:
    if isinstance(expected, str) and expected.startswith("$"):
        name = expected[1:]
        if name in bound:
            assert actual == bound[name], where
        else:
            bound[name] = actual
    elif isinstance(expected, dict):
        assert isinstance(actual, dict), (where, actual)
        for key, value in expected.items():
            assert key in actual, (where, key, actual)
            _match(value, actual[key], bound, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), (where, actual)
        for index, (item, real) in enumerate(zip(expected, actual, strict=True)):
            _match(item, real, bound, f"{where}[{index}]")
    else:
        assert actual == expected, (where, expected, actual)


def _user(name: str, users: dict):
    return users[name]


def shown_counts() -> list[tuple[str, str, int]]:
    """Each read of the README that shows a list's `count`: (account, path, count).

    The README shows what the demo answers, so tests/workers/test_demo.py asks
    the real demo each of these too.
    """
    shown = []
    for request, answer in exchanges():
        line, headers, _body = _split(request)
        method, path = line.split(" ", 1)
        body = _split(answer)[2]
        if method == "GET" and body and "count" in json.loads(body):
            account = re.fullmatch(r"Bearer <access of (\w+)>", headers["Authorization"])
            shown.append((account.group(1), path, json.loads(body)["count"]))
    return shown


@pytest.fixture
def demo(db, django_capture_on_commit_callbacks):
    """The demo's names on a small world: its county, school, term, project and accounts."""
    with mock.patch("django.utils.timezone.now", return_value=TODAY):
        school = SchoolFactory(
            code="SUNSHINE-PS", name="阳光小学", district=DistrictFactory(code="DEMO-COUNTY")
        )
        world = World(django_capture_on_commit_callbacks, school=school)
        assert world.term.code == "2026-autumn"
        project = world.project
        project.code = "LIVING-2026"
        project.save()
        teacher = world.pairing.mentor.user
        # The demo's teacher_a mentors three pupils of the school (its matching fills
        # the capacity of 3 the demo gives that teacher), as the README's list of pairings shows.
        for _more in range(2):
            PairingFactory(
                student=world.student(struggling=True, weak=[Subject.MATH]),
                mentor=world.mentor,
                term=world.term,
                started_on=world.term.start_date,
            )
        assert world.mentor.capacity == 3
        admin = member(Role.ADMINISTRATOR, school)
        donor = member(Role.DONOR, school)
        world.donor.user = donor
        world.donor.save()
        # One more struggling student and a mentor free to take her: the run's proposal.
        student = world.student(struggling=True, weak=[Subject.MATH])
        MentorFactory(
            user=member(Role.TEACHER, school),
            kind=MentorKind.TEACHER,
            gender=student.gender,
            schools=[school],
            subjects=[Subject.MATH],
            grades=[3],
            capacity=1,
        )
        users = {"admin": admin, "teacher_a": teacher, "donor_org": donor}
        for username, user in users.items():
            user.username = username
            user.set_password(PASSWORD)
            user.save()
        yield users, django_capture_on_commit_callbacks


def test_the_readme_shows_each_everyday_call():
    requests = [_split(request)[0] for request, _answer in exchanges()]
    for call in [
        "POST /api/v1/auth/token/",
        "POST /api/v1/pledges/",
        "POST /api/v1/sessions/",
        "POST /api/v1/match-runs/",
        "POST /api/v1/match-runs/$RUN/approve/",
        "POST /api/v1/reports/",
        "GET /api/v1/reports/$REPORT/export/?format=csv",
    ]:
        assert call in requests


def test_every_call_of_the_readme_answers_as_it_shows(demo):
    users, capture_on_commit = demo
    bound: dict = {}
    with mock.patch("django.utils.timezone.now", return_value=TODAY):
        assert timezone.localdate() == datetime.date(2026, 12, 3)
        for request, answer in exchanges():
            line, headers, body = _split(request)
            method, path = line.split(" ", 1)
            path = re.sub(r"\$([A-Z]+)", lambda m: str(bound[m.group(1)]), path)
            client = APIClient()
            authorization = headers.pop("Authorization", "")
            signed_in = re.fullmatch(r"Bearer <access of (\w+)>", authorization)
            if signed_in:
                client.force_authenticate(users[signed_in.group(1)])
            extra = {
                f"HTTP_{name.upper().replace('-', '_')}": value
                for name, value in headers.items()
                if name != "Content-Type"
            }
            data = _substitute(json.loads(body), bound) if body else None
            with capture_on_commit(execute=True):
                response = getattr(client, method.lower())(path, data, format="json", **extra)

            status_line, answer_headers, answer_body = _split(answer)
            status = int(status_line.split(" ")[1])
            assert response.status_code == status, (line, response.status_code, response.content)
            for name, value in answer_headers.items():
                assert response[name] == value, (line, name, response[name])
            if answer_body:
                _match(json.loads(answer_body), response.json(), bound, line)
