"""/console/identification/start/: identification started from the console (issue 17).

A government list uploaded, a family's application recorded on its behalf,
the families' own applications confirmed or declined, and the application
codes opened and closed: each through the service the API calls, every bad
field named at once and nothing written, each form safe to send twice.
"""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from mentoring.models import (
    AccessLogEntry,
    Application,
    ApplicationCode,
    ApplicationStatus,
    Assessment,
    AssessmentRoute,
    AssessmentStatus,
    HardshipIndicator,
)
from mentoring.services.applications import application_code_open, application_submit_public
from tests.console.console_world import EN, OPENS, READERS, pupil, signed_in
from workers.factories import StudentFactory, StudentRecordFactory, id_number_for

pytestmark = pytest.mark.django_db

PAGE = "/console/identification/start/"
ID_A = id_number_for(101, datetime.date(2015, 4, 2))
ID_NOBODY = id_number_for(303, datetime.date(2013, 1, 20))
ID_BAD = ID_NOBODY[:17] + ("0" if ID_NOBODY[17] != "0" else "1")


def rows_written():
    return (
        Assessment.objects.count(),
        Application.objects.count(),
        HardshipIndicator.objects.count(),
        ApplicationCode.objects.count(),
        Application.objects.filter(status=ApplicationStatus.PENDING).count(),
        ApplicationCode.objects.filter(closed_at__isnull=True).count(),
    )


def csv_file(*lines: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("list.csv", "\n".join(lines).encode(), content_type="text/csv")


def student_a(world, name="李四娃", id_number=ID_A):
    student = StudentFactory(school=world.schools["A"], name=name, id_number=id_number)
    StudentRecordFactory(student=student, term=world.terms["one"], grade=4, class_name="2班")
    return student


def family_application(world, school="A", child="李四娃", phone="13912345678"):
    admin = world.users["district_admin"]
    code = application_code_open(
        by=admin, school_id=world.schools[school].pk, term_id=world.terms["one"].pk
    )
    return application_submit_public(
        code=code,
        child_name=child,
        grade=4,
        class_name="2班",
        guardian_name="李大山",
        guardian_relation="father",
        guardian_phone=phone,
        hardship_kinds=["dibao"],
        income_per_capita_fen=150_000,
        circumstances="父亲重病，家中无劳动力",
        committed=True,
    )


def record_data(world, student, **changes):
    return {
        "key": "k-record",
        "term": world.terms["one"].pk,
        "student": student.pk,
        "guardian_name": "李大山",
        "guardian_relation": "father",
        "guardian_phone": "13912345678",
        "hardship_kinds": ["dibao", "long_term_illness"],
        "income_per_capita": "1500.00",
        "circumstances": "父亲重病，家中无劳动力",
        "commitment": "本人承诺所填信息真实。",
    } | changes


# Who may open and use the page


@pytest.mark.parametrize("reader", READERS)
def test_each_reader_opens_the_page_as_the_console_allows(world, reader):
    response = signed_in(world.users[reader]).get(PAGE)

    assert response.status_code == OPENS[reader]


def test_an_anonymous_visitor_is_sent_to_sign_in_and_writes_nothing(world):
    application = family_application(world)
    before = rows_written()

    assert Client().get(PAGE)["Location"].startswith("/?next=")
    for path, data in [
        ("record/", record_data(world, student_a(world))),
        (f"applications/{application.pk}/decline/", {"key": "k", "reason": "重复"}),
        ("codes/", {"key": "k", "term": world.terms["one"].pk, "school": world.schools["A"].pk}),
    ]:
        assert Client().post(PAGE + path, data).status_code == 302

    assert rows_written() == before


@pytest.mark.parametrize("reader", ["teacher", "donor", "supervisor"])
def test_a_reader_who_administers_no_school_is_refused_every_form(world, reader):
    application = family_application(world)
    student = student_a(world)
    code = ApplicationCode.objects.get(closed_at__isnull=True)
    client = signed_in(world.users[reader])
    before = rows_written()

    for path, data in [
        (
            "government-list/",
            {"term": world.terms["one"].pk, "file": csv_file("id_number,category")},
        ),
        ("record/", record_data(world, student)),
        (f"applications/{application.pk}/confirm/", {"key": "k", "student": student.pk}),
        (f"applications/{application.pk}/decline/", {"key": "k", "reason": "重复"}),
        ("codes/", {"key": "k", "term": world.terms["one"].pk, "school": world.schools["A"].pk}),
        (f"codes/{code.pk}/close/", {"key": "k"}),
    ]:
        assert client.post(PAGE + path, data).status_code == 403, path

    assert rows_written() == before


def test_the_identification_queue_links_to_the_start_page(world):
    html = signed_in(world.users["school_admin"]).get("/console/identification/").content.decode()

    assert f'id="start-link" href="{PAGE}?term={world.terms["one"].pk}"' in html


# 1. A government list


def test_a_government_list_proposes_its_students_and_lists_the_rows_matching_nobody(world):
    student = student_a(world)
    client = signed_in(world.users["school_admin"])
    upload = {
        "term": world.terms["one"].pk,
        "tier": "hardship",
        "file": csv_file("身份证号码,类别", f"{ID_A},低保", f"{ID_NOBODY},特困"),
    }

    response = client.post(PAGE + "government-list/", upload, follow=True, **EN)

    assessment = Assessment.objects.get(student=student)
    assert (assessment.route, assessment.status, assessment.tier) == (
        AssessmentRoute.GOVERNMENT_LIST,
        AssessmentStatus.PROPOSED,
        "hardship",
    )
    html = response.content.decode()
    assert "2 rows, 1 students proposed, 0 already assessed, 1 not on your roster" in html
    assert "row 3 (**************" + ID_NOBODY[-4:] + ")" in html
    assert ID_NOBODY not in html and ID_A not in html
    # The same list again creates nothing.
    upload["file"] = csv_file("身份证号码,类别", f"{ID_A},低保", f"{ID_NOBODY},特困")
    again = client.post(PAGE + "government-list/", upload, follow=True, **EN)
    assert "0 students proposed, 1 already assessed" in again.content.decode()
    assert Assessment.objects.count() == 1


def test_a_government_list_with_errors_lists_every_bad_row_and_writes_nothing(world):
    student_a(world)
    before = rows_written()
    upload = {
        "term": world.terms["one"].pk,
        "file": csv_file(
            "id_number,category,tier",
            f"{ID_A},低保,",
            f"{ID_BAD},低保,hardship",
            f"{ID_A},彩票,hardship",
        ),
    }

    response = signed_in(world.users["school_admin"]).post(PAGE + "government-list/", upload, **EN)

    assert response.status_code == 400
    html = response.content.decode()
    table = html.split('id="row-errors"', 1)[1].split("</table>", 1)[0]
    assert [part.split('"', 1)[0] for part in table.split('data-row="')[1:]] == ["2", "3", "4"]
    assert "No tier" in table and "Unknown category" in table
    # Columns and categories named as the file and the bureau write them, codes beside.
    bad_category = table.split('data-row="4"', 1)[1].split("</tr>", 1)[0]
    assert '<td data-field="category">类别</td>' in bad_category
    assert "低保 (dibao)" in bad_category and "父母双亡 (both_parents_deceased)" in bad_category
    assert '<td data-field="id_number">身份证号码</td>' in table
    columns = html.split('id="list-columns">', 1)[1].split("</p>", 1)[0]
    assert columns.startswith("Columns: 身份证号码 (the ID number), 类别 (the category)")
    assert "特困供养/五保 (tekun)" in columns
    assert ID_BAD not in html
    assert rows_written() == before


def test_a_government_list_without_a_file_and_with_a_foreign_term_names_both(world):
    response = signed_in(world.users["school_admin"]).post(
        PAGE + "government-list/", {"term": world.terms["two"].pk, "tier": "nonsense"}, **EN
    )

    assert response.status_code == 400
    problems = response.content.decode().split('id="problems"', 1)[1].split("</ul>", 1)[0]
    assert "Government list (.csv): Choose the list file (.csv)." in problems
    assert "Term: No such term in your district." in problems


# 2. A family's application recorded on its behalf


def test_the_search_finds_a_student_by_name_or_the_id_numbers_last_digits_and_is_logged(world):
    student = student_a(world)
    other = pupil(world.schools["B"], world.terms["one"], "李四娃")
    client = signed_in(world.users["school_admin"])

    for query in ("四娃", ID_A[-4:]):
        html = client.get(PAGE, {"q": query}).content.decode()
        assert f'data-student="{student.pk}"' in html, query
        assert f'data-student="{other.pk}"' not in html
        assert ID_A not in html and student.id_masked in html

    entry = AccessLogEntry.objects.filter(user=world.users["school_admin"]).latest("pk")
    assert (entry.action, entry.object_kind) == ("list", "student")
    assert list(entry.students.values_list("student_id", flat=True)) == [student.pk]


def test_recording_an_application_submits_the_students_identification_once(world):
    student = student_a(world)
    client = signed_in(world.users["school_admin"])
    data = record_data(world, student)

    first = client.post(PAGE + "record/", data, **EN)
    second = client.post(PAGE + "record/", data, follow=True, **EN)

    assert first.status_code == 302 and first["Location"].endswith("#record")
    application = Application.objects.get()
    assert (application.status, application.source) == ("confirmed", "class_teacher")
    assert application.income_per_capita_fen == 150_000
    assert application.assessment.student == student
    assert application.assessment.status == AssessmentStatus.SUBMITTED
    # The second click replays the first answer: the same notice, nothing more written.
    assert "李四娃: application recorded and submitted." in second.content.decode()
    assert (Application.objects.count(), Assessment.objects.count()) == (1, 1)


def test_a_recorded_application_with_every_field_wrong_names_each_and_writes_nothing(world):
    student = student_a(world)
    before = rows_written()
    data = record_data(
        world,
        student,
        guardian_name=" ",
        guardian_relation="neighbour",
        guardian_phone="12",
        hardship_kinds=[],
        income_per_capita="-5",
        circumstances="",
        commitment="",
    )

    response = signed_in(world.users["school_admin"]).post(PAGE + "record/", data, **EN)

    assert response.status_code == 400
    problems = response.content.decode().split('id="problems"', 1)[1].split("</ul>", 1)[0]
    for label in [
        "Applicant:",
        "Relation to the student:",
        "Applicant&#x27;s phone:",
        "Hardship kinds: Choose at least one hardship kind.",
        "Yearly income per person (yuan):",
        "Circumstances:",
        "Written commitment:",
    ]:
        assert label in problems, label
    assert rows_written() == before


def test_another_schools_student_is_refused_like_one_that_does_not_exist(world):
    theirs = pupil(world.schools["B"], world.terms["one"], "刘小东")
    before = rows_written()

    response = signed_in(world.users["school_admin"]).post(
        PAGE + "record/", record_data(world, theirs), **EN
    )

    assert response.status_code == 400
    assert "Student: No such student in your schools." in response.content.decode()
    assert "刘小东" not in response.content.decode()
    assert rows_written() == before


# 3. The families' applications


def test_pending_applications_show_masked_phones_and_namesakes_and_are_logged(world):
    student = student_a(world)
    mine = family_application(world)
    theirs = family_application(world, school="B", child="刘小东", phone="13700001111")

    html = signed_in(world.users["school_admin"]).get(PAGE, **EN).content.decode()

    row = html.split(f'data-application="{mine.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "139****5678" in row and "13912345678" not in html
    choice = row.split(f'<option value="{student.pk}">', 1)[1].split("</option>", 1)[0]
    # The namesake's last four ID digits, said to be what they are.
    assert choice.endswith(f" · ID number ending {student.id_masked[-4:]}")
    assert f'data-application="{theirs.pk}"' not in html
    entry = AccessLogEntry.objects.get(user=world.users["school_admin"])
    assert (entry.action, entry.object_kind) == ("list", "application")
    assert list(entry.students.values_list("student_id", flat=True)) == [student.pk]
    district = signed_in(world.users["district_admin"]).get(PAGE).content.decode()
    assert f'data-application="{theirs.pk}"' in district


def test_confirming_a_familys_application_submits_the_students_identification_once(world):
    student = student_a(world)
    application = family_application(world)
    client = signed_in(world.users["school_admin"])
    data = {"key": "k-confirm", "student": student.pk}

    first = client.post(f"{PAGE}applications/{application.pk}/confirm/", data, **EN)
    second = client.post(f"{PAGE}applications/{application.pk}/confirm/", data, **EN)

    assert first.status_code == second.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.CONFIRMED
    assert application.assessment.student == student
    assert Assessment.objects.count() == 1


def test_a_confirmation_without_a_student_or_a_decline_without_a_reason_writes_nothing(world):
    application = family_application(world)
    client = signed_in(world.users["school_admin"])
    before = rows_written()

    unchosen = client.post(f"{PAGE}applications/{application.pk}/confirm/", {"key": "k"}, **EN)
    unreasoned = client.post(
        f"{PAGE}applications/{application.pk}/decline/", {"key": "k2", "reason": " "}, **EN
    )

    assert unchosen.status_code == unreasoned.status_code == 400
    assert "Student: Choose the student on the roster." in unchosen.content.decode()
    assert "Reason: This field is required." in unreasoned.content.decode()
    assert rows_written() == before


def test_a_student_of_another_school_cannot_be_confirmed(world):
    application = family_application(world)
    theirs = pupil(world.schools["B"], world.terms["one"], "李四娃")
    before = rows_written()

    response = signed_in(world.users["district_admin"]).post(
        f"{PAGE}applications/{application.pk}/confirm/", {"key": "k", "student": theirs.pk}, **EN
    )

    assert response.status_code == 400
    assert "Student: No such student in the application&#x27;s school." in response.content.decode()
    assert rows_written() == before


def test_declining_records_the_reason_and_another_schools_admin_gets_404(world):
    application = family_application(world)
    decline = f"{PAGE}applications/{application.pk}/decline/"
    data = {"key": "k-decline", "reason": "重复提交"}

    assert signed_in(world.users["other_school_admin"]).post(decline, data).status_code == 404
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.PENDING
    response = signed_in(world.users["school_admin"]).post(decline, data)

    assert response.status_code == 302 and response["Location"].endswith("#pending")
    application.refresh_from_db()
    assert (application.status, application.declined_reason) == ("declined", "重复提交")


# 4. Application codes


def test_opening_a_code_closes_the_schools_open_one_and_a_second_click_opens_no_other(world):
    a, term = world.schools["A"], world.terms["one"]
    old = application_code_open(by=world.users["school_admin"], school_id=a.pk, term_id=term.pk)
    client = signed_in(world.users["school_admin"])
    data = {"key": "k-open", "term": term.pk, "school": a.pk}

    first = client.post(PAGE + "codes/", data)
    second = client.post(PAGE + "codes/", data)

    assert first.status_code == second.status_code == 302
    old.refresh_from_db()
    assert old.closed_at is not None
    new = ApplicationCode.objects.get(closed_at__isnull=True)
    assert ApplicationCode.objects.count() == 2
    html = client.get(PAGE).content.decode()
    assert f'data-code="{new.pk}"' in html and new.code in html
    assert f'data-code="{old.pk}"' not in html
    assert (
        f'data-code="{new.pk}"'
        not in signed_in(world.users["other_school_admin"]).get(PAGE).content.decode()
    )


def test_a_code_for_another_school_is_refused_and_nothing_is_written(world):
    before = rows_written()

    response = signed_in(world.users["school_admin"]).post(
        PAGE + "codes/",
        {"key": "k", "term": world.terms["one"].pk, "school": world.schools["B"].pk},
        **EN,
    )

    assert response.status_code == 400
    assert "School: No such school among those you administer." in response.content.decode()
    assert rows_written() == before


def test_closing_a_code_takes_its_own_schools_administrator(world):
    a, term = world.schools["A"], world.terms["one"]
    code = application_code_open(by=world.users["school_admin"], school_id=a.pk, term_id=term.pk)
    close = f"{PAGE}codes/{code.pk}/close/"

    assert signed_in(world.users["other_school_admin"]).post(close, {"key": "k"}).status_code == 404
    assert signed_in(world.users["school_admin"]).post(close, {}).status_code == 400
    code.refresh_from_db()
    assert code.closed_at is None
    response = signed_in(world.users["district_admin"]).post(close, {"key": "k"})

    assert response.status_code == 302
    code.refresh_from_db()
    assert code.closed_at is not None


# The cost of the page


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PAGE, {"q": "李"}).status_code == 200
    return len(queries)


def test_the_page_costs_the_same_queries_for_2_or_12_pending_applications(world):
    client = signed_in(world.users["district_admin"])
    for n in range(2):
        student_a(
            world, name=f"李{n}娃", id_number=id_number_for(500 + n, datetime.date(2015, 1, 1))
        )
        family_application(world, school="AB"[n % 2], child=f"李{n}娃")
    few = _queries(client)
    for n in range(2, 12):
        student_a(
            world, name=f"李{n}娃", id_number=id_number_for(500 + n, datetime.date(2015, 1, 1))
        )
        family_application(world, school="AB"[n % 2], child=f"李{n}娃")

    assert _queries(client) == few
