"""The families' application page /apply/: a school's code opens it, it shows no child's data,
refuses bad codes and bad input field by field, limits each address, and needs CSRF."""

import pytest
from django.test import Client
from django.utils import translation

from core.errors import FieldErrors
from mentoring.models import Application, ApplicationStatus, PublicApplicationAttempt
from mentoring.services import applications as services

pytestmark = pytest.mark.django_db


@pytest.fixture
def code(admin_a, school_a, term):
    return services.application_code_open(by=admin_a, school_id=school_a.pk, term_id=term.pk)


def form(**overrides):
    data = {
        "child_name": "李小红",
        "grade": "3",
        "class_name": "1班",
        "guardian_name": "李红梅",
        "guardian_relation": "mother",
        "guardian_phone": "13900001111",
        "hardship_kinds": ["long_term_illness", "disabled_parent"],
        "income_per_capita": "2400.50",
        "circumstances": "父亲残疾，母亲务农，家中有两个孩子上学。",
        "committed": "on",
    }
    data.update(overrides)
    return data


def english():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def test_the_code_page_is_chinese_first_and_sends_a_good_code_to_the_form(client, code):
    page = client.get("/apply/")
    assert page.status_code == 200
    assert '<html lang="zh-hans">' in page.content.decode()
    answer = client.post("/apply/", {"code": f" {code.code.lower()} "})
    assert answer.status_code == 302
    assert answer["Location"] == f"/apply/{code.code}/"


def test_a_bad_code_is_refused_and_counted(code):
    answer = english().post("/apply/", {"code": "NOPE2345"})
    assert answer.status_code == 400
    assert "This application code opens nothing" in answer.content.decode()
    assert PublicApplicationAttempt.objects.filter(accepted=False).count() == 1


@pytest.mark.parametrize("path", ["/apply/NOPE2345/", "/apply/%3Cscript%3E/", "/apply/x/"])
def test_a_wrong_code_in_the_link_answers_404_like_any_other(path, code):
    answer = english().get(path)
    assert answer.status_code == 404
    assert "This application code opens nothing" in answer.content.decode()


def test_a_closed_code_opens_nothing(code, admin_a):
    services.application_code_close(by=admin_a, code=code)
    assert english().get(f"/apply/{code.code}/").status_code == 404


def test_the_form_names_the_school_and_never_a_child_of_the_roster(code, student, school_a):
    page = english().get(f"/apply/{code.code}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert school_a.name in body
    for private in [student.name, student.guardian_name, student.guardian_phone, student.id_masked]:
        assert private not in body


def test_a_family_sends_an_application_that_waits_for_the_class_teacher(code, student):
    answer = english().post(f"/apply/{code.code}/", form(child_name=student.name))
    assert answer.status_code == 302
    assert answer["Location"] == "/apply/done/"
    application = Application.objects.get()
    assert application.status == ApplicationStatus.PENDING
    assert application.assessment is None
    assert application.school_id == code.school_id and application.term_id == code.term_id
    assert application.hardship_kinds == ["disabled_parent", "long_term_illness"]
    assert application.income_per_capita_fen == 240050
    assert "李红梅" in application.commitment
    done = english().get(answer["Location"])
    body = done.content.decode()
    assert done.status_code == 200
    for private in [student.name, "李红梅", "13900001111", student.guardian_phone]:
        assert private not in body


def test_bad_input_names_every_field_and_writes_nothing(code):
    bad = form(
        child_name=" ",
        grade="12",
        class_name="",
        guardian_name="",
        guardian_phone="12",
        hardship_kinds=["not_a_kind"],
        income_per_capita="-5",
        circumstances="",
        committed="",
    )
    answer = english().post(f"/apply/{code.code}/", bad)
    assert answer.status_code == 400
    errors = answer.context["form"].errors
    assert set(errors) == {
        "child_name",
        "grade",
        "class_name",
        "guardian_name",
        "guardian_phone",
        "hardship_kinds",
        "income_per_capita",
        "circumstances",
        "committed",
    }
    assert "The application needs the written commitment." in errors["committed"]
    assert not Application.objects.exists()


def test_the_page_needs_the_csrf_token(code):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"/apply/{code.code}/", form()).status_code == 403
    assert strict.post("/apply/", {"code": code.code}).status_code == 403
    assert not Application.objects.exists()


def test_an_address_that_guesses_codes_is_stopped_even_with_a_good_one(code):
    client = english()
    for _ in range(services.CODE_FAILURES_PER_HOUR):
        assert client.post("/apply/", {"code": "WRONG234"}).status_code == 400
    assert client.post("/apply/", {"code": code.code}).status_code == 429
    assert client.get(f"/apply/{code.code}/").status_code == 429
    # Another address is not stopped.
    other = Client(REMOTE_ADDR="10.9.9.9")
    assert other.get(f"/apply/{code.code}/").status_code == 200


def test_an_address_sends_a_limited_number_of_applications(code):
    client = english()
    for number in range(services.APPLICATIONS_PER_HOUR):
        answer = client.post(f"/apply/{code.code}/", form(child_name=f"孩子{number}"))
        assert answer.status_code == 302
    answer = client.post(f"/apply/{code.code}/", form(child_name="又一个"))
    assert answer.status_code == 429
    assert "Too many applications" in answer.content.decode()
    assert Application.objects.count() == services.APPLICATIONS_PER_HOUR


def test_the_form_offers_only_the_schools_grades_and_refuses_another(code, school_a):
    school_a.level = "primary"
    school_a.save()

    page = english().get(f"/apply/{code.code}/").content.decode()
    grades = page.split('name="grade"', 1)[1].split("</select>", 1)[0]

    assert [f'<option value="{g}"' in grades for g in range(1, 10)] == [True] * 6 + [False] * 3
    answer = english().post(f"/apply/{code.code}/", form(grade="8"))
    assert answer.status_code == 400
    assert not Application.objects.exists()
    # Posted past the form, the service itself refuses it, naming the school's grades.
    with pytest.raises(FieldErrors) as refused, translation.override("en"):
        services.application_submit_public(
            code=code,
            child_name="李小红",
            grade=8,
            class_name="1班",
            guardian_name="李红梅",
            guardian_relation="mother",
            guardian_phone="13900001111",
            hardship_kinds=["long_term_illness"],
            income_per_capita_fen=None,
            circumstances="母亲务农。",
            committed=True,
        )
    assert refused.value.errors["grade"] == ["At this school the grade is 1 to 6."]
