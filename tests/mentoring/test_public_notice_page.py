"""/public/notices/: the public notice (公示) as a page (issue 17 D).

The console's "public notice" link opened the API's JSON. The page lists what
the API lists (the same selector), masked the same way, and like the API it is
open to anyone while it shows nothing but the five things a notice may show.
"""

import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from mentoring.models import AssessmentStatus, Role
from tests.conftest import client_for
from tests.mentoring.test_public_notices import on, under_notice
from workers.factories import (
    DistrictFactory,
    SchoolFactory,
    StudentFactory,
    TermFactory,
    UserFactory,
    member,
)

PAGE = "/public/notices/"
API = "/api/v1/public/notices/"
DAY = date(2026, 9, 16)


@pytest.fixture
def term(district):
    return TermFactory(district=district)


def page(client=None, day=DAY, **params):
    with on(day):
        return (client or Client()).get(PAGE, params)


def rows(response) -> list[list[str]]:
    """The notice table's cells, row by row."""
    body = response.content.decode()
    table = body[body.index('id="notices"') : body.index("</table>")]
    return [
        re.findall(r"<td(?: class=\"[^\"]*\")?>(.*?)</td>", row)
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
        if "<td" in row
    ]


def as_page(iso_date: str) -> str:
    with translation.override("zh-hans"):
        return date_format(date.fromisoformat(iso_date))


def test_the_page_shows_what_the_api_shows_masked_the_same_way(school_a, school_b, term):
    district = school_a.district
    district.complaint_phone = "0851-12345"
    district.save()
    under_notice(school_a, term, name="欧阳小明", tier="special_hardship", grade=3)
    under_notice(school_a, term, name="李雷", grade=5, class_name="1班")
    under_notice(school_b, term, name="王", tier="general_hardship")

    response = page()
    with on(DAY):
        api = Client().get(API).json()["results"]

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    shown = rows(response)
    assert shown == [
        [
            n["masked_name"],
            n["school_name"],
            str(n["grade"]),
            n["class_name"],
            n["tier_name"],
            # The date as every page writes it (config/formats/zh_Hans): 2026年9月18日.
            as_page(n["notice_ends_on"]),
        ]
        for n in api
    ]
    assert {r[0] for r in shown} == {"欧*明", "李*", "*"}
    assert {r[4] for r in shown} == {"特别困难", "困难", "一般困难"}
    body = response.content.decode()
    assert "0851-12345" in body


def test_the_page_shows_nothing_else_of_the_student(school_a, term):
    assessment = under_notice(school_a, term, name="张三明")
    student = assessment.student
    body = page().content.decode()

    assert "张*明" in body
    for secret in (student.name, student.student_number, assessment.reason, "父亲重病"):
        assert secret not in body, secret


def test_an_entry_is_listed_only_while_its_notice_runs(school_a, term):
    under_notice(school_a, term)
    under_notice(school_a, term, name="赵小兰", status=AssessmentStatus.SCHOOL_REVIEWED)

    assert len(rows(page())) == 1
    after = page(day=date(2026, 9, 19))
    assert 'id="no-notices"' in after.content.decode()
    assert 'id="notices"' not in after.content.decode()


def test_a_schools_code_narrows_it_as_the_apis_filter_does(school_a, school_b, term):
    under_notice(school_a, term, name="甲乙丙")
    under_notice(school_b, term, name="丁戊己")

    shown = rows(page(school=school_b.code))

    assert [r[0] for r in shown] == ["丁*己"]


@pytest.mark.parametrize(
    "who", ["anonymous", Role.TEACHER, Role.ADMINISTRATOR, Role.DONOR, Role.SUPERVISOR]
)
def test_anyone_may_read_it_signed_in_or_not_as_the_api(school_a, term, who):
    under_notice(school_a, term)
    client = Client()
    if who != "anonymous":
        client.force_login(member(who, school_a))

    response = page(client)

    assert response.status_code == 200
    assert rows(response)[0][0] == "张*明"
    # The API answers the same readers.
    api_client = client_for(UserFactory()) if who != "anonymous" else Client()
    with on(DAY):
        assert api_client.get(API).status_code == 200


def test_it_is_read_only(db):
    assert Client().post(PAGE).status_code == 405


def test_the_consoles_link_opens_the_page_not_the_api(school_a, term):
    client = Client()
    client.force_login(member(Role.ADMINISTRATOR, school_a))

    body = client.get("/console/identification/").content.decode()

    assert f'href="{reverse("public-notices-page")}"' in body
    assert f'href="{API}"' not in body


def test_its_queries_do_not_grow_with_the_entries(school_a, term, django_assert_num_queries):
    under_notice(school_a, term)
    with django_assert_num_queries(2) as few:
        page()
    for n in range(12):
        under_notice(school_a, term, name=f"学生{n}号")
        StudentFactory(school=school_a)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(rows(page())) == 13


def how_to_object(response) -> str:
    body = response.content.decode()
    return body.split('id="how-to-object">', 1)[1].split("</p>", 1)[0]


def test_the_way_to_object_it_promises_is_the_districts_line_it_shows(school_a, term):
    district = school_a.district
    district.complaint_phone = "0816-1234567"
    district.save()
    other = DistrictFactory(name="邻县")
    under_notice(school_a, term, name="李雷")
    under_notice(SchoolFactory(district=other), TermFactory(district=other), name="王芳")

    response = page(Client(HTTP_ACCEPT_LANGUAGE="en"))

    assert "by calling the complaint line below" in how_to_object(response)
    body = response.content.decode()
    assert f"Complaint line ({district.name}): 0816-1234567" in body
    # The district without a line is said to have none: the school takes objections.
    assert "邻县 has no complaint line on record: object to the student's school." in body


def test_without_a_complaint_line_the_notice_promises_none(school_a, term):
    under_notice(school_a, term, name="李雷")

    response = page(Client(HTTP_ACCEPT_LANGUAGE="en"))

    assert "complaint line" not in how_to_object(response)
    assert "to the student's school or its education bureau" in how_to_object(response)
    assert 'id="complaint-lines"' not in response.content.decode()
