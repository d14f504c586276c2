"""/console/roster/: imported through `roster_import` (a preview is its dry run), searched."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mentoring.models import AccessLogEntry, Student
from tests.console.console_world import EN, READERS, pupil, signed_in
from tests.mentoring.roster.roster_scene import csv_file, roster_row

pytestmark = pytest.mark.django_db

PAGE = "/console/roster/"


@pytest.mark.parametrize("reader", READERS)
def test_only_administrators_open_the_roster(world, reader):
    expected = 200 if reader.endswith("admin") else 403

    assert signed_in(world.users[reader]).get(PAGE).status_code == expected


def test_a_preview_lists_every_row_error_and_writes_nothing(world):
    a, term = world.schools["A"], world.terms["one"]
    before = Student.objects.count()
    rows = [roster_row(1, a, 性别="X"), roster_row(2, a), roster_row(3, a, 联系电话="电话")]

    response = signed_in(world.users["school_admin"]).post(
        PAGE, {"term": term.pk, "school": a.pk, "file": csv_file(rows), "preview": "1"}, **EN
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-row="2"' in html and 'data-row="4"' in html and 'data-row="3"' not in html
    assert Student.objects.count() == before


def test_a_correct_file_is_previewed_then_imported(world):
    a, term = world.schools["A"], world.terms["one"]
    client = signed_in(world.users["school_admin"])
    before = Student.objects.count()
    rows = [roster_row(n, a) for n in range(1, 4)]

    preview = client.post(
        PAGE, {"term": term.pk, "school": a.pk, "file": csv_file(rows), "preview": "1"}, **EN
    )
    assert preview.status_code == 200
    assert "3 rows, 3 new students" in preview.content.decode()
    assert Student.objects.count() == before

    imported = client.post(PAGE, {"term": term.pk, "school": a.pk, "file": csv_file(rows)})

    assert (imported.status_code, imported["Location"]) == (302, PAGE)
    assert Student.objects.count() == before + 3


def test_another_schools_rows_are_refused_by_the_service(world):
    a, b, term = world.schools["A"], world.schools["B"], world.terms["one"]
    before = Student.objects.count()

    response = signed_in(world.users["school_admin"]).post(
        PAGE, {"term": term.pk, "school": b.pk, "file": csv_file([roster_row(1, a)])}, **EN
    )

    assert response.status_code == 400
    assert "Choose one of your schools." in response.content.decode()
    assert Student.objects.count() == before


def test_nothing_chosen_names_every_missing_choice(world):
    response = signed_in(world.users["school_admin"]).post(PAGE, {}, **EN)

    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose a term." in html and "Choose the roster file" in html


def test_the_search_finds_own_students_links_the_archive_and_is_access_logged(world):
    a, b, term = world.schools["A"], world.schools["B"], world.terms["one"]
    mine = pupil(a, term, "王小丽")
    pupil(b, term, "王小东")

    html = signed_in(world.users["school_admin"]).get(PAGE, {"q": "王小"}).content.decode()

    assert "王小丽" in html and "王小东" not in html
    # The archive leads back to this search (?back=), not only to the console's start.
    link = f'href="/teacher/students/{mine.pk}/archive/?back=/console/roster/%3Fq%3D'
    assert link in html
    assert mine.id_masked in html
    entry = AccessLogEntry.objects.get(user=world.users["school_admin"])
    assert list(entry.students.values_list("student_id", flat=True)) == [mine.pk]


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PAGE, {"q": "王"}).status_code == 200
    return len(queries)


def test_the_search_costs_the_same_queries_for_few_or_many_students(world):
    a, term = world.schools["A"], world.terms["one"]
    client = signed_in(world.users["school_admin"])
    for n in range(2):
        pupil(a, term, f"王甲{n}")
    few = _queries(client)
    for n in range(12):
        pupil(a, term, f"王乙{n}")

    assert _queries(client) == few


def _found(html: str) -> int:
    return html.count("data-student=")


def test_the_search_counts_every_match_and_pages_through_all_schools(world):
    """More matches than a page: the total is shown, and the pages together list each once."""
    a, b, term = world.schools["A"], world.schools["B"], world.terms["one"]
    for n in range(130):
        pupil(a, term, f"张甲{n}")
    for n in range(100):
        pupil(b, term, f"张乙{n}")
    client = signed_in(world.users["district_admin"])

    first = client.get(PAGE, {"q": "张", "term": "live-autumn"}, **EN).content.decode()
    second = client.get(PAGE, {"q": "张", "term": "live-autumn", "page": "2"}, **EN)
    second = second.content.decode()

    assert "Students found: 230" in first and "Students found: 230" in second
    assert (_found(first), _found(second)) == (200, 30)
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    assert f'href="?q=%E5%BC%A0&amp;term={term.pk}&amp;page=2"' in first
    assert "东风小学" in second  # School B, sorted after A, is reached.
    assert "Previous" in second and "Next" not in second


def test_a_search_with_more_than_fifty_matches_lists_them_all(world):
    a, term = world.schools["A"], world.terms["one"]
    for n in range(60):
        pupil(a, term, f"赵{n}")

    html = signed_in(world.users["school_admin"]).get(PAGE, {"q": "赵"}, **EN).content.decode()

    assert "Students found: 60" in html and _found(html) == 60
    assert "Page 1 of" not in html
    entry = AccessLogEntry.objects.get(user=world.users["school_admin"])
    assert entry.students.count() == 60
