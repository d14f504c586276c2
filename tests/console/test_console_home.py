"""/console/: the term at a glance, counted by the selectors the API reads for the same reader."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mentoring.models import AssessmentStatus, PairingStatus
from tests.console.console_world import EN, assessment, pupil, signed_in
from workers.factories import MentorFactory, PairingFactory

pytestmark = pytest.mark.django_db


def figure(html: str, name: str) -> str:
    tile = html.split(f'data-figure="{name}"', 1)[1]
    return tile.split('<div class="figure">', 1)[1].split("</div>", 1)[0].strip()


def test_the_glance_counts_the_administrators_schools_only(world):
    a, b, term = world.schools["A"], world.schools["B"], world.terms["one"]
    # School A: 李小明 (paired, from the world) and three more; one approved, one submitted.
    assessment(a, term, "王小丽", AssessmentStatus.APPROVED, tier="hardship")
    assessment(a, term, "张小军", AssessmentStatus.SUBMITTED)
    pupil(a, term, "陈小红")
    # School B: another school's figures, counted for its administrators only.
    assessment(b, term, "刘小东", AssessmentStatus.APPROVED, tier="hardship")

    school = signed_in(world.users["school_admin"]).get("/console/", **EN).content.decode()
    district = signed_in(world.users["district_admin"]).get("/console/", **EN).content.decode()

    assert figure(school, "students") == "4"
    assert figure(school, "identified") == "1"
    assert figure(school, "queue") == "1"
    assert figure(school, "pairs") == "1 + 0"
    assert figure(district, "students") == "5"
    assert figure(district, "identified") == "2"
    assert f'href="/console/identification/?term={term.pk}&amp;state=submitted"' in school


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/console/").status_code == 200
    return len(queries)


def test_the_glance_costs_the_same_queries_for_few_or_many_rows(world):
    a, term = world.schools["A"], world.terms["one"]
    client = signed_in(world.users["school_admin"])
    mentor = MentorFactory(schools=[a])
    few = _queries(client)
    for n in range(10):
        assessment(a, term, f"学生{n}", AssessmentStatus.APPROVED, tier="hardship")
        PairingFactory(
            mentor=mentor,
            student=pupil(a, term, f"结对{n}"),
            term=term,
            started_on=term.start_date,
            status=PairingStatus.ACTIVE,
        )

    assert _queries(client) == few


def test_every_figure_links_to_its_page_for_the_term(world):
    term = world.terms["one"]
    client = signed_in(world.users["school_admin"])
    html = client.get("/console/", **EN).content.decode()
    glance = html.split('id="glance"', 1)[1].split('id="queue"', 1)[0]
    tiles = [chunk.split('"', 1) for chunk in glance.split('data-figure="')[1:]]

    assert [name for name, _tile in tiles] == [
        "students",
        "identified",
        "queue",
        "pairs",
        "weekly",
        "arrived",
        "paid",
    ]
    for name, tile in tiles:
        links = re.findall(r'<a href="([^"]+)"', tile)
        assert links, f"the {name} figure links nowhere"
        for link in links:
            url = link.replace("&amp;", "&")
            assert f"term={term.pk}" in url, (name, url)
            assert client.get(url).status_code == 200, (name, url)
