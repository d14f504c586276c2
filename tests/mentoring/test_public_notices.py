"""GET /api/v1/public/notices/: masked names and tiers, only while the notice runs, no login."""

from contextlib import contextmanager
from datetime import date
from unittest import mock

import pytest

from mentoring.models import AssessmentStatus, HardshipKind
from mentoring.names import mask_name
from tests.conftest import client_for
from workers.factories import (
    AssessmentFactory,
    HardshipIndicatorFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    UserFactory,
    id_number_for,
    member,
)

URL = "/api/v1/public/notices/"
STARTS, ENDS = date(2026, 9, 14), date(2026, 9, 18)
NOTICE_KEYS = {
    "masked_name",
    "school_name",
    "grade",
    "class_name",
    "tier_name",
    "notice_ends_on",
    # The district's complaint line (举报电话), where anyone may object or report.
    "complaint_line",
}


@contextmanager
def on(day: date):
    with mock.patch("django.utils.timezone.localdate", return_value=day):
        yield


def get(client, day=date(2026, 9, 16), **params):
    with on(day):
        return client.get(URL, params)


@pytest.fixture
def term(district):
    return TermFactory(district=district)


def under_notice(school, term, *, name="张三明", tier="hardship", grade=4, class_name="2班", **kw):
    student = StudentFactory(school=school, name=name)
    StudentRecordFactory(student=student, term=term, grade=grade, class_name=class_name)
    fields = {
        "status": AssessmentStatus.PUBLICIZED,
        "tier": tier,
        "notice_starts_on": STARTS,
        "notice_ends_on": ENDS,
        "reason": "父亲重病住院",
    }
    fields.update(kw)
    return AssessmentFactory(student=student, term=term, **fields)


# What is shown


def test_anyone_reads_the_notice_without_logging_in(api, school_a, term):
    under_notice(school_a, term)

    response = get(api)

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "masked_name": "张*明",
            "school_name": school_a.name,
            "grade": 4,
            "class_name": "2班",
            "tier_name": "困难",
            "notice_ends_on": "2026-09-18",
            "complaint_line": school_a.district.complaint_phone,
        }
    ]


def test_a_stale_token_does_not_lock_out_the_public_page(api, school_a, term):
    under_notice(school_a, term)

    with on(date(2026, 9, 16)):
        response = api.get(URL, HTTP_AUTHORIZATION="Bearer not-a-token")

    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.mark.parametrize(
    "user", ["administrator", "teacher", "volunteer", "donor", "supervisor", "superuser"]
)
def test_every_role_sees_the_same_public_notice(user, school_a, school_b, term):
    under_notice(school_a, term)
    under_notice(school_b, term, name="李四")
    viewer = UserFactory(is_superuser=True) if user == "superuser" else member(user, school_b)

    response = get(client_for(viewer))

    assert response.json()["count"] == 2
    assert all(set(row) == NOTICE_KEYS for row in response.json()["results"])


def test_no_other_field_can_appear(api, school_a, term):
    """The personal data of the student is on record; none of it is in the answer."""
    number = id_number_for(555, date(2015, 7, 21))
    student = StudentFactory(
        school=school_a,
        name="欧阳春华",
        id_number=number,
        birth_date=date(2015, 7, 21),
        village="桃花村三组",
        guardian_name="欧阳建国",
        guardian_phone="13912345678",
    )
    StudentRecordFactory(
        student=student,
        term=term,
        grade=5,
        class_name="1班",
        income_per_capita_fen=276_543,
        household_size=6,
        struggling=True,
        weak_subjects=["math", "english"],
        disabled=True,
    )
    HardshipIndicatorFactory(
        student=student, kind=HardshipKind.LONG_TERM_ILLNESS, note="母亲尿毒症"
    )
    HardshipIndicatorFactory(student=student, kind=HardshipKind.DISABLED_PARENT)
    AssessmentFactory(
        student=student,
        term=term,
        status=AssessmentStatus.PUBLICIZED,
        tier="special_hardship",
        notice_starts_on=STARTS,
        notice_ends_on=ENDS,
        reason="母亲尿毒症 父亲残疾",
        need_score=97,
    )

    response = get(api)

    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert [set(row) for row in body["results"]] == [NOTICE_KEYS]
    assert body["results"][0]["masked_name"] == "欧*华"
    assert body["results"][0]["tier_name"] == "特别困难"
    text = response.content.decode()
    for secret in [
        "欧阳春华",
        "春",
        number,
        student.id_masked,
        number[-4:],
        "2015-07-21",
        "20150721",
        "桃花村",
        "欧阳建国",
        "13912345678",
        "276543",
        "尿毒症",
        "残疾",
        "long_term_illness",
        "disabled",
        "struggling",
        "weak_subjects",
        "math",
        "english",
        "need_score",
        "reason",
        student.student_number,
        '"id"',
        "special_hardship",
        "2026-09-14",
    ]:
        assert secret not in text, secret


def test_struggling_students_are_never_listed_for_being_struggling(api, school_a, term):
    student = StudentFactory(school=school_a)
    StudentRecordFactory(student=student, term=term, struggling=True, weak_subjects=["math"])

    assert get(api).json()["count"] == 0


# When it is shown


@pytest.mark.parametrize(
    ("day", "shown"),
    [
        (date(2026, 9, 13), False),
        (STARTS, True),
        (date(2026, 9, 16), True),
        (ENDS, True),
        (date(2026, 9, 19), False),
        (date(2026, 12, 1), False),
    ],
)
def test_shown_only_while_the_notice_period_runs(day, shown, api, school_a, term):
    under_notice(school_a, term)

    assert get(api, day=day).json()["count"] == (1 if shown else 0)


@pytest.mark.parametrize(
    "status",
    [
        AssessmentStatus.SUBMITTED,
        AssessmentStatus.INVESTIGATED,
        AssessmentStatus.CLASS_REVIEWED,
        AssessmentStatus.SCHOOL_REVIEWED,
        AssessmentStatus.PROPOSED,
        AssessmentStatus.APPROVED,
        AssessmentStatus.REJECTED,
    ],
)
def test_assessments_not_under_notice_are_not_shown(status, api, school_a, term):
    under_notice(school_a, term, status=status)

    assert get(api).json()["count"] == 0


def test_a_student_found_not_in_hardship_is_not_named(api, school_a, term):
    under_notice(school_a, term, tier="not_in_hardship")
    under_notice(school_a, term, name="李四", tier="general_hardship")

    response = get(api)

    assert [row["masked_name"] for row in response.json()["results"]] == ["李*"]


# Filter and pages


def test_filter_by_school_code(api, school_a, school_b, term):
    under_notice(school_a, term)
    under_notice(school_b, term, name="李四")

    response = get(api, school=school_b.code)

    assert [row["school_name"] for row in response.json()["results"]] == [school_b.name]
    assert get(api, school="NO-SUCH-SCHOOL").json()["count"] == 0


def test_notices_are_ordered_by_school_grade_and_class_and_paginated(api, school_a, term):
    under_notice(school_a, term, name="王五六", grade=5, class_name="1班")
    under_notice(school_a, term, name="赵钱孙", grade=3, class_name="2班")
    under_notice(school_a, term, name="周吴郑", grade=3, class_name="1班")

    first = get(api, page_size=2).json()

    assert first["count"] == 3
    assert [row["masked_name"] for row in first["results"]] == ["周*郑", "赵*孙"]
    assert first["next"] is not None


@pytest.mark.parametrize("rows", [5, 50])
def test_query_count_does_not_grow_with_rows(
    rows, api, school_a, term, django_assert_max_num_queries
):
    for n in range(rows):
        under_notice(school_a, term, name=f"张{n}明")

    with django_assert_max_num_queries(2):
        response = get(api, page_size=100)

    assert response.json()["count"] == rows


# Masking


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三明", "张*明"),
        ("欧阳小明", "欧*明"),
        ("李四", "李*"),
        ("王", "*"),
        (" 张三明 ", "张*明"),
        ("阿卜杜·热合曼", "阿*曼"),
        ("", "*"),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked
