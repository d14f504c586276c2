"""/api/v1/students/ filters and search within the user's scope; a list in fixed queries."""

import pytest

from mentoring.models import HardshipKind, Role, Subject, SubjectScore
from tests.conftest import ACCESS_LOG_QUERIES, client_for
from tests.mentoring.students.students_scene import (
    MENTOR_KEYS,
    PUPIL_ID,
    STUDENTS_URL,
    _no_response_carries_a_whole_id_number,  # noqa: F401
    numbers,
)
from workers.factories import (
    HardshipIndicatorFactory,
    MentorFactory,
    PairingFactory,
    StudentFactory,
    StudentRecordFactory,
    UserFactory,
    member,
)

# Filters


def test_filter_by_term(admin_a, pupil, classmate, spring, autumn):
    client = client_for(admin_a)

    assert numbers(client.get(STUDENTS_URL, {"term": spring.pk})) == ["G510000001"]
    assert numbers(client.get(STUDENTS_URL, {"term": autumn.pk})) == ["G510000001", "G510000002"]


def test_filter_by_grade(admin_a, pupil, classmate):
    client = client_for(admin_a)

    assert numbers(client.get(STUDENTS_URL, {"grade": 4})) == ["G510000001"]
    assert numbers(client.get(STUDENTS_URL, {"grade": 5})) == []


def test_filter_by_class_name(admin_a, pupil, classmate):
    response = client_for(admin_a).get(STUDENTS_URL, {"class_name": "1班"})

    assert numbers(response) == ["G510000002"]


def test_filter_by_struggling(admin_a, pupil, classmate):
    client = client_for(admin_a)

    assert numbers(client.get(STUDENTS_URL, {"struggling": "true"})) == ["G510000001"]
    assert numbers(client.get(STUDENTS_URL, {"struggling": "false"})) == ["G510000002"]


def test_search_by_name_or_student_number_prefix(admin_a, pupil, classmate, pupil_b):
    client = client_for(admin_a)

    assert numbers(client.get(STUDENTS_URL, {"search": "明"})) == ["G510000001"]
    assert numbers(client.get(STUDENTS_URL, {"search": "G5100000"})) == [
        "G510000001",
        "G510000002",
    ]
    assert numbers(client.get(STUDENTS_URL, {"search": "0002"})) == []
    assert numbers(client.get(STUDENTS_URL, {"search": "赵强"})) == []


def test_search_does_not_match_id_numbers(admin_a, pupil):
    response = client_for(admin_a).get(STUDENTS_URL, {"search": PUPIL_ID[-4:]})

    assert numbers(response) == []


def test_term_and_grade_filters_apply_to_the_same_record(admin_a, pupil, spring, autumn):
    # The pupil was in grade 3 in spring and is in grade 4 in autumn.
    client = client_for(admin_a)

    assert numbers(client.get(STUDENTS_URL, {"term": autumn.pk, "grade": 3})) == []
    assert numbers(client.get(STUDENTS_URL, {"term": autumn.pk, "grade": 4})) == ["G510000001"]
    assert numbers(client.get(STUDENTS_URL, {"term": spring.pk, "grade": 3})) == ["G510000001"]


def test_record_filters_do_not_repeat_a_student_for_the_platform_admin(superuser, pupil, classmate):
    # Both of the pupil's records are struggling and in class 2班.
    response = client_for(superuser).get(STUDENTS_URL, {"struggling": "true", "class_name": "2班"})

    assert response.json()["count"] == 1
    assert numbers(response) == ["G510000001"]


def test_filter_with_a_bad_value_answers_400(admin_a):
    response = client_for(admin_a).get(STUDENTS_URL, {"grade": "third"})

    assert response.status_code == 400
    assert "grade" in response.json()


def test_filters_do_not_reveal_students_of_another_school(admin_a, pupil_b, autumn):
    response = client_for(admin_a).get(
        STUDENTS_URL, {"term": autumn.pk, "school": pupil_b.school_id, "search": "赵"}
    )

    assert response.json()["count"] == 0


# Query count


@pytest.mark.parametrize("n_students", [5, 50])
@pytest.mark.parametrize("viewer_kind", ["administrator", "mentor", "superuser"])
def test_list_query_count_does_not_grow_with_students(
    n_students, viewer_kind, school_a, spring, autumn, django_assert_max_num_queries
):
    if viewer_kind == "superuser":
        viewer = UserFactory(is_superuser=True)
    elif viewer_kind == "administrator":
        viewer = member(Role.ADMINISTRATOR, school_a)
    else:
        viewer = member(Role.TEACHER, school_a)
        mentor = MentorFactory(user=viewer, schools=[school_a], capacity=n_students)
    for _ in range(n_students):
        student = StudentFactory(school=school_a)
        for term in (spring, autumn):
            record = StudentRecordFactory(student=student, term=term, struggling=True)
            SubjectScore.objects.create(record=record, subject=Subject.MATH, start_score=50)
            SubjectScore.objects.create(record=record, subject=Subject.CHINESE, start_score=55)
        HardshipIndicatorFactory(student=student, kind=HardshipKind.DIBAO)
        HardshipIndicatorFactory(student=student, kind=HardshipKind.ORPHAN)
        if viewer_kind == "mentor":
            PairingFactory(student=student, mentor=mentor, term=autumn)
    client = client_for(viewer)

    # The administered schools, the count, the page, then one query each for
    # the records (with their terms), their scores and the indicators; then the access log.
    with django_assert_max_num_queries(6 + ACCESS_LOG_QUERIES):
        response = client.get(STUDENTS_URL, {"page_size": 100})

    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == n_students
    assert all(len(row["records"]) == 2 for row in results)
    assert all(len(record["scores"]) == 2 for row in results for record in row["records"])
    if viewer_kind == "mentor":
        assert all(set(row) == MENTOR_KEYS for row in results)
    else:
        assert all(len(row["indicators"]) == 2 for row in results)
