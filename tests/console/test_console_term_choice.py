"""`?term=` on every console page: the term's id or its code, as the API takes them.

A term the reader cannot reach, or that does not exist, shows the newest
term with a notice saying so, never an error.
"""

import datetime

import pytest
from django.utils import timezone

from tests.console.console_world import EN, pupil, signed_in
from workers.factories import TermFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "/console/",
    "/console/weekly/",
    "/console/identification/",
    "/console/roster/",
    "/console/aid/",
    "/console/matching/",
    "/console/reports/",
]


@pytest.fixture
def spring(world):
    """District one's previous term, over before today."""
    today = timezone.localdate()
    return TermFactory(
        district=world.schools["A"].district,
        code="2026-spring",
        start_date=today - datetime.timedelta(days=300),
        end_date=today - datetime.timedelta(days=150),
        holiday_weeks=[],
    )


def _shown(html: str, term) -> bool:
    return f'<option value="{term.pk}" selected>' in html


@pytest.mark.parametrize("page", PAGES)
def test_a_term_is_chosen_by_its_code_or_its_id(world, spring, page):
    client = signed_in(world.users["school_admin"])

    by_code = client.get(page, {"term": "2026-spring"}, **EN)
    by_id = client.get(page, {"term": str(spring.pk)}, **EN)
    unchosen = client.get(page, **EN)

    assert by_code.status_code == by_id.status_code == 200
    assert _shown(by_code.content.decode(), spring)
    assert _shown(by_id.content.decode(), spring)
    assert _shown(unchosen.content.decode(), world.terms["one"])
    assert "None of your terms" not in by_code.content.decode()


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("asked", ["2031-autumn", "99999999999999999999", "-1", "秋季", " "])
def test_an_unknown_term_shows_the_newest_with_a_notice(world, spring, page, asked):
    response = signed_in(world.users["school_admin"]).get(page, {"term": asked}, **EN)

    html = response.content.decode()
    assert response.status_code == 200
    assert _shown(html, world.terms["one"])
    if asked.strip():
        assert f"None of your terms is “{asked}”" in html
    else:
        assert "None of your terms" not in html


def test_another_districts_term_is_unknown_by_id_and_by_code(world):
    client = signed_in(world.users["school_admin"])
    theirs = world.terms["two"]
    theirs.code = "2025-autumn"
    theirs.save()

    by_id = client.get("/console/", {"term": str(theirs.pk)}, **EN).content.decode()
    by_code = client.get("/console/", {"term": "2025-autumn"}, **EN).content.decode()

    for html in (by_id, by_code):
        assert _shown(html, world.terms["one"])
        assert "None of your terms is" in html


def test_the_supervisors_page_takes_the_code_too(world, spring):
    client = signed_in(world.users["supervisor"])

    chosen = client.get("/supervisor/", {"term": "2026-spring"}, **EN).content.decode()
    unknown = client.get("/supervisor/", {"term": "nonsense"}, **EN)

    assert _shown(chosen, spring)
    assert unknown.status_code == 200 and _shown(unknown.content.decode(), world.terms["one"])


@pytest.fixture
def next_spring(world):
    """District one's coming term, not begun yet, that already has its roster (as the demo's)."""
    today = timezone.localdate()
    term = TermFactory(
        district=world.schools["A"].district,
        code="2027-spring",
        start_date=today + datetime.timedelta(days=80),
        end_date=today + datetime.timedelta(days=200),
        holiday_weeks=[],
    )
    pupil(world.schools["A"], term, "王春")
    return term


@pytest.mark.parametrize("page", PAGES)
def test_a_coming_term_with_records_is_offered_and_opens_by_code_or_id(world, next_spring, page):
    client = signed_in(world.users["school_admin"])

    by_code = client.get(page, {"term": "2027-spring"}, **EN).content.decode()
    by_id = client.get(page, {"term": str(next_spring.pk)}, **EN).content.decode()
    unchosen = client.get(page, **EN).content.decode()

    assert _shown(by_code, next_spring) and _shown(by_id, next_spring)
    assert "None of your terms" not in by_code + by_id
    # Offered in the menu, but the page opens on the term running today.
    assert f'<option value="{next_spring.pk}">' in unchosen
    assert _shown(unchosen, world.terms["one"])


def test_a_coming_term_without_any_record_is_not_offered(world):
    today = timezone.localdate()
    empty = TermFactory(
        district=world.schools["A"].district,
        code="2027-autumn",
        start_date=today + datetime.timedelta(days=300),
        end_date=today + datetime.timedelta(days=400),
        holiday_weeks=[],
    )

    html = signed_in(world.users["school_admin"]).get("/console/", **EN).content.decode()

    assert f'value="{empty.pk}"' not in html
    assert _shown(html, world.terms["one"])
