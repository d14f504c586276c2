"""The API fuzzed from its own schema: no 5xx, and every answer as /api/schema/ says.

schemathesis reads /api/schema/ from the Django WSGI application (no server)
and, for every operation and every role of tests/role_scene.py (each with
its Bearer token; anonymous without), generates requests from the schema:
valid ones and, from the same strategies, odd ones (huge numbers, empty and
unicode strings, missing fields). Every answer must be below 500 and must
conform to the schema: its content type and, for a documented status, its
body. Each request runs in a savepoint rolled back after it, so the scene
stays the same for every example.

The seed is fixed and printed, with the command that replays the run;
FUZZ_SEED and FUZZ_EXAMPLES change them. CI runs FUZZ_EXAMPLES (default
CI_EXAMPLES) per operation and role; `make soak` runs SOAK_EXAMPLES.
"""

import os
import sys
import time

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tests.role_scene import ROLES, scene_for_module

pytestmark = pytest.mark.django_db

CI_EXAMPLES = 2  # 16 requests per operation; the whole CI run stays under 30 minutes
SOAK_EXAMPLES = 100
SEED = int(os.environ.get("FUZZ_SEED", "20261203"))
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def scene(django_db_setup, django_db_blocker):
    with scene_for_module(django_db_blocker) as scene:
        yield scene


@pytest.fixture
def app():
    """Django's WSGI application, asked in this thread, on the test's own connection.

    Django closes the connection at the end of each request; inside the test's
    transaction that would end it, so, as Django's test client does, not here.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def examples_of(strategy, token: str | None, examples: int, requests: list[int]):
    """A hypothesis test of one operation as one role (its token), with the fixed seed."""
    headers = {"Accept-Language": "en"}
    if token:
        headers["Authorization"] = f"Bearer {token}"

    @seed(SEED)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(case=strategy)
    def run(case):
        with transaction.atomic():
            response = case.call(headers=headers)
            transaction.set_rollback(True)
        requests[0] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    return run


def fuzz(scene, app, examples: int, test_name: str) -> None:
    replay = (
        f"FUZZ_SEED={SEED} FUZZ_EXAMPLES={examples} .venv/bin/python -m pytest "
        f"'tests/project/test_api_fuzz.py::{test_name}'{' -m soak' if 'soak' in test_name else ''}"
    )
    print(f"\nschemathesis: seed {SEED}, {examples} examples per operation and role")
    print(f"schemathesis: replay with {replay}")
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app)
    failures = []
    operations = 0
    requests = [0]
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        strategy = operation.as_strategy()
        for role in ROLES:
            try:
                examples_of(strategy, scene.tokens.get(role), examples, requests)()
            except (Exception, BaseExceptionGroup) as error:
                failures.append(f"{operation.label} as {role}: {error}")
    print(
        f"schemathesis: {operations} operations × {len(ROLES)} roles, {requests[0]} requests "
        f"in {time.monotonic() - started:.0f} s; seed {SEED}"
    )
    assert operations > 0
    assert not failures, f"{len(failures)} failures; replay: {replay}\n\n" + "\n\n".join(failures)


def test_no_operation_answers_5xx_or_off_its_schema(scene, app):
    examples = int(os.environ.get("FUZZ_EXAMPLES", CI_EXAMPLES))
    fuzz(scene, app, examples, sys._getframe().f_code.co_name)


@pytest.mark.soak
def test_no_operation_answers_5xx_or_off_its_schema_soak(scene, app):
    examples = int(os.environ.get("FUZZ_EXAMPLES", SOAK_EXAMPLES))
    fuzz(scene, app, examples, sys._getframe().f_code.co_name)
