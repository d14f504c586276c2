"""The console reads cleanly on a tablet and in either language (a newcomer's findings).

A missing tier was a dash, which the Chinese font draws like 一 ("tier one");
names and school · grade labels broke across lines at 768 px (徐小/红, 1/年级);
lists took the other language's punctuation (英语、数学; 任教…, Your schools: A、B);
the console wrote 1851 where the report writes 1,851.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from mentoring.models import AssessmentStatus, ReviewStage
from mentoring.services.review_committees import committee_create
from tests.console.console_world import EN, assessment, signed_in

pytestmark = pytest.mark.django_db

IDENTIFICATION = "/console/identification/"


def row_of(html: str, assessment_id: int) -> str:
    return html.split(f'data-assessment="{assessment_id}"', 1)[1].split("</tr>", 1)[0]


def test_a_missing_tier_reads_as_a_word_not_a_dash_that_looks_like_tier_one(world):
    a, term = world.schools["A"], world.terms["one"]
    without = assessment(a, term, "王小丽", AssessmentStatus.SUBMITTED, tier="")
    tiered = assessment(a, term, "张小军", AssessmentStatus.SUBMITTED, tier="hardship")

    html = signed_in(world.users["school_admin"]).get(IDENTIFICATION, **EN).content.decode()

    tier_cell = row_of(html, without.pk).split("</td>")[1]
    assert "—" not in tier_cell
    assert re.search(r'<span class="meta" data-no-tier>Not set</span>', tier_cell)
    assert "data-no-tier" not in row_of(html, tiered.pk)


def test_names_and_each_part_of_a_school_grade_label_are_kept_on_one_line(world):
    a, term = world.schools["A"], world.terms["one"]
    row = assessment(a, term, "徐小红", AssessmentStatus.SUBMITTED)

    html = signed_in(world.users["school_admin"]).get(IDENTIFICATION, **EN).content.decode()

    cells = row_of(html, row.pk)
    assert '<span class="nobreak">徐小红</span>' in cells
    assert '<span class="nobreak">阳光小学</span>' in cells
    assert re.search(r'<span class="nobreak">grade \d+</span>', cells)
    css = (Path(settings.BASE_DIR) / "mentoring/static/mentoring/teacher.css").read_text()
    assert re.search(r"\.nobreak \{ white-space: nowrap; \}", css)


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", "英语, 数学|甲; 乙|, "), ("zh-hans", "英语、数学|甲；乙|、")],
)
def test_lists_and_clauses_take_the_separators_of_the_pages_language(language, shown):
    template = Template(
        '{% load wordlists %}{{ words|listed }}|{{ parts|clauses }}|{% separator "words" %}'
    )
    with translation.override(language):
        text = template.render(Context({"words": ["英语", "数学"], "parts": ["甲", "乙"]}))

    assert text == shown


def test_an_english_page_lists_schools_and_names_roles_with_english_punctuation(world):
    a, term = world.schools["A"], world.terms["one"]
    committee_create(
        by=world.users["district_admin"],
        school_id=a.pk,
        term_id=term.pk,
        stage=ReviewStage.SCHOOL,
        class_name="",
        name="学校评议小组",
        members=[
            {"name": "王建国", "role": "class_teacher"},
            {"name": "陈校长", "role": "school_leader"},
            {"name": "周敏", "role": "parent_rep"},
        ],
    )
    client = signed_in(world.users["district_admin"])

    home = client.get("/console/", **EN).content.decode()
    committees = client.get(
        f"/console/identification/committees/?term={term.pk}", **EN
    ).content.decode()

    assert re.search(r"Your schools: (阳光小学, 东风小学|东风小学, 阳光小学)</p>", home)
    assert "王建国 (Class teacher)" in committees and "（" not in committees


@pytest.mark.parametrize(
    ("value", "shown"), [(1851, "1,851"), (0, "0"), (None, "None"), ("x", "x")]
)
def test_a_count_is_grouped_by_thousands_as_the_report_writes_it(value, shown):
    template = Template("{% load figures %}{{ value|grouped }}")

    assert template.render(Context({"value": value})) == shown


def test_the_home_page_groups_its_figures_by_thousands(world, monkeypatch):
    from console import home

    glance = home.term_glance

    def with_many_students(user, schools, term):
        return glance(user, schools, term) | {"students": 1851, "queue_total": 12345}

    monkeypatch.setattr(home, "term_glance", with_many_students)

    page = signed_in(world.users["school_admin"]).get("/console/", **EN).content.decode()

    assert '<div class="figure">1,851</div>' in page
    assert '<div class="figure">12,345</div>' in page
