"""/api/v1/applications/: the class teacher records a family's application, or confirms or
declines one the family sent from the public page; phones masked; each role sees its own."""

import pytest

from mentoring.models import (
    AccessLogEntry,
    Application,
    ApplicationCode,
    ApplicationSource,
    ApplicationStatus,
    Assessment,
    AssessmentStatus,
    HardshipIndicator,
    IndicatorSource,
)
from mentoring.services import applications as services
from tests.conftest import client_for
from workers.factories import StudentFactory, StudentRecordFactory

pytestmark = pytest.mark.django_db

# A list page, whatever its length (families' applications name no student yet: nothing is
# written to the access log, which no longer opens an empty savepoint to say so).
LIST_QUERIES = 3

URL = "/api/v1/applications/"


def record(student, term, **overrides):
    body = {
        "student": student.pk,
        "term": term.pk,
        "guardian_name": "王大山",
        "guardian_relation": "father",
        "guardian_phone": "13812345678",
        "hardship_kinds": ["disabled_parent"],
        "income_per_capita": "1800.00",
        "circumstances": "父亲残疾，无劳动能力",
        "commitment": "本人承诺所填信息真实",
    }
    body.update(overrides)
    return body


def pending(school, term, *, by, child_name="王小明"):
    """A family's application from the public page, with the school's open code."""
    code = ApplicationCode.objects.filter(school=school, term=term, closed_at=None).first()
    if code is None:
        code = services.application_code_open(by=by, school_id=school.pk, term_id=term.pk)
    return services.application_submit_public(
        code=code,
        child_name=child_name,
        grade=4,
        class_name="2班",
        guardian_name="王大山",
        guardian_relation="father",
        guardian_phone="13812345678",
        hardship_kinds=["long_term_illness"],
        income_per_capita_fen=None,
        circumstances="母亲长期患病",
        committed=True,
    )


def test_the_class_teacher_records_an_application_and_the_assessment_is_submitted(
    class_teacher, student, term
):
    answer = client_for(class_teacher).post(URL, record(student, term), format="json")
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["status"] == ApplicationStatus.CONFIRMED
    assert body["source"] == ApplicationSource.CLASS_TEACHER
    assert body["guardian_phone_masked"] == "138****5678"
    assert "13812345678" not in answer.content.decode()
    assert body["income_per_capita"] == "1800.00"
    assessment = Assessment.objects.get(pk=body["assessment"])
    assert assessment.status == AssessmentStatus.SUBMITTED
    assert assessment.student == student and assessment.reason == "父亲残疾，无劳动能力"
    assert HardshipIndicator.objects.filter(
        student=student, kind="disabled_parent", source=IndicatorSource.FAMILY_APPLICATION
    ).exists()


def test_bad_input_names_every_field_and_writes_nothing(class_teacher, student, term):
    body = record(
        student,
        term,
        guardian_name="",
        guardian_relation="uncle",
        guardian_phone="abc",
        hardship_kinds=["nothing"],
        income_per_capita="-1",
        circumstances=" ",
        commitment="",
    )
    body["term"] = 999_999
    answer = client_for(class_teacher).post(URL, body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400
    assert set(answer.json()) >= {
        "guardian_name",
        "guardian_relation",
        "guardian_phone",
        "hardship_kinds",
        "income_per_capita",
        "circumstances",
        "commitment",
        "term",
    }
    assert not Application.objects.exists() and not Assessment.objects.exists()


def test_a_colleague_cannot_record_for_a_student_they_do_not_teach(colleague, student, term):
    answer = client_for(colleague).post(
        URL, record(student, term), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert answer.status_code == 400
    assert answer.json()["student"] == ["No such student in your schools."]


@pytest.mark.parametrize("who", ["volunteer", "supervisor"])
def test_roles_that_propose_no_one_are_refused(request, who, student, term):
    user = request.getfixturevalue(who)
    assert client_for(user).get(URL).status_code == 403
    assert client_for(user).post(URL, record(student, term), format="json").status_code == 403


def test_the_class_teacher_sees_the_pending_application_naming_their_student_and_confirms_it(
    class_teacher, colleague, admin_a, admin_b, student, term, school_a
):
    application = pending(school_a, term, by=admin_a)
    assert [row["id"] for row in client_for(class_teacher).get(URL).json()["results"]] == [
        application.pk
    ]
    assert client_for(colleague).get(URL).json()["results"] == []
    assert client_for(admin_b).get(f"{URL}{application.pk}/").status_code == 404
    assert (
        client_for(colleague)
        .post(f"{URL}{application.pk}/confirm/", {"student": student.pk}, format="json")
        .status_code
        == 404
    )
    answer = client_for(class_teacher).post(
        f"{URL}{application.pk}/confirm/", {"student": student.pk}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == ApplicationStatus.CONFIRMED
    assert answer.json()["student"] == student.pk
    assessment = Assessment.objects.get(application=application)
    assert (
        assessment.status == AssessmentStatus.SUBMITTED and assessment.created_by == class_teacher
    )
    again = client_for(class_teacher).post(
        f"{URL}{application.pk}/confirm/", {"student": student.pk}, format="json"
    )
    assert again.status_code == 409


def test_confirming_for_a_student_of_another_school_is_refused(admin_a, school_a, school_b, term):
    application = pending(school_a, term, by=admin_a)
    elsewhere = StudentFactory(school=school_b)
    StudentRecordFactory(student=elsewhere, term=term)
    answer = client_for(admin_a).post(
        f"{URL}{application.pk}/confirm/",
        {"student": elsewhere.pk},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 400
    assert answer.json()["student"] == ["No such student in the application's school."]
    assert Application.objects.get().status == ApplicationStatus.PENDING


def test_an_administrator_declines_with_a_reason(admin_a, school_a, term):
    application = pending(school_a, term, by=admin_a)
    empty = client_for(admin_a).post(f"{URL}{application.pk}/decline/", {}, format="json")
    assert empty.status_code == 400 and "reason" in empty.json()
    answer = client_for(admin_a).post(
        f"{URL}{application.pk}/decline/", {"reason": "重复提交"}, format="json"
    )
    assert answer.status_code == 200
    assert answer.json()["status"] == ApplicationStatus.DECLINED
    assert answer.json()["declined_reason"] == "重复提交"


def test_the_list_costs_the_same_queries_however_many_applications(
    admin_a, school_a, term, django_assert_num_queries
):
    def page():
        return client_for(admin_a).get(URL)

    pending(school_a, term, by=admin_a)
    with django_assert_num_queries(LIST_QUERIES):
        assert page().status_code == 200
    for number in range(8):
        pending(school_a, term, child_name=f"孩子{number}", by=admin_a)
    with django_assert_num_queries(LIST_QUERIES):
        assert len(page().json()["results"]) == 9


def test_reading_a_confirmed_application_is_access_logged(class_teacher, student, term):
    created = client_for(class_teacher).post(URL, record(student, term), format="json").json()
    AccessLogEntry.objects.all().delete()
    assert client_for(class_teacher).get(f"{URL}{created['id']}/").status_code == 200
    entry = AccessLogEntry.objects.get()
    assert list(entry.students.values_list("student_id", flat=True)) == [student.pk]
