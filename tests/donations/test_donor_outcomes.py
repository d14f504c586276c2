"""A donor sees what its gifts went to: totals, and only the students whose guardians consented."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from donations.models import AidProject, Donor, FundSource, ItemKind, PaymentMethod
from donations.services.awards import award_create
from donations.services.contributions import contribution_record
from donations.services.disbursements import disbursement_pay
from donations.services.items import item_distribute, item_donation_record
from tests.conftest import client_for
from workers.factories import GuardianAccountFactory, StudentFactory, TermFactory, member


@pytest.fixture
def gifts(district, school_a, district_admin, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    term = TermFactory(district=district)
    project = AidProject.objects.create(
        district=district, code="NEWS", name="报社助学", source=FundSource.SOCIAL, purpose="news"
    )
    donor_user = member("donor", school_a)
    donor = Donor.objects.create(
        district=district, kind="organisation", name="报社", user=donor_user
    )
    other_user = member("donor", school_a)
    Donor.objects.create(district=district, kind="individual", name="李四", user=other_user)
    with django_capture_on_commit_callbacks(execute=True):  # posted by its job
        contribution_record(
            by=district_admin,
            donor_id=donor.pk,
            project_id=project.pk,
            amount_fen=500_000,
            received_on=today,
        )
    consenting = StudentFactory(school=school_a, name="张同意", guardian_consents_to_name=True)
    private = StudentFactory(school=school_a, name="王保密", guardian_consents_to_name=False)
    for student in (consenting, private):
        GuardianAccountFactory(student=student)
        award = award_create(
            by=district_admin,
            project_id=project.pk,
            student_id=student.pk,
            term_id=term.pk,
            amount_fen=100_000,
        )
        disbursement_pay(
            by=district_admin,
            award_id=award.pk,
            method=PaymentMethod.BANK_TRANSFER,
            paid_on=today,
            bank_reference=f"B{award.pk}",
        )
    books = ItemKind.objects.create(district=district, name="图书", unit="本")
    item_donation_record(
        by=district_admin,
        donor_id=donor.pk,
        item_kind_id=books.pk,
        quantity=10,
        value_fen=20_000,
        received_on=today,
    )
    for student in (consenting, private):
        item_distribute(
            by=district_admin,
            item_kind_id=books.pk,
            student_id=student.pk,
            quantity=2,
            given_on=today,
            signed_by_student=True,
            signed_by_guardian=True,
        )
    return {"donor": donor, "donor_user": donor_user, "other_user": other_user, "books": books}


def url(donor):
    return f"/api/v1/donors/{donor.pk}/outcomes/"


def test_a_donor_sees_students_helped_and_only_consenting_names(gifts):
    response = client_for(gifts["donor_user"]).get(url(gifts["donor"]))
    assert response.status_code == 200
    body = response.json()
    [project] = body["projects"]
    assert (project["project"], project["given"], project["project_paid"]) == (
        "NEWS",
        "5000.00",
        "2000.00",
    )
    assert project["students_helped"] == 2
    assert [s["name"] for s in project["named_students"]] == ["张同意"]
    [books] = body["items"]
    assert (books["donated"], books["value"], books["given_out"], books["students_given"]) == (
        10,
        "200.00",
        4,
        2,
    )
    assert [s["name"] for s in books["named_students"]] == ["张同意"]
    assert "王保密" not in response.content.decode()


def test_another_donor_cannot_read_them(gifts, district_admin):
    assert client_for(gifts["other_user"]).get(url(gifts["donor"])).status_code == 404
    assert client_for(district_admin).get(url(gifts["donor"])).status_code == 200


@pytest.mark.parametrize("role", ["teacher", "volunteer", "supervisor"])
def test_staff_without_the_administrator_role_cannot_read_them(gifts, school_a, role):
    assert client_for(member(role, school_a)).get(url(gifts["donor"])).status_code == 404


def test_the_queries_do_not_grow_with_the_students(gifts, school_a, district_admin):
    client = client_for(gifts["donor_user"])
    with CaptureQueriesContext(connection) as few:
        client.get(url(gifts["donor"]))
    today = timezone.localdate()
    item_donation_record(
        by=district_admin,
        donor_id=gifts["donor"].pk,
        item_kind_id=gifts["books"].pk,
        quantity=20,
        value_fen=0,
        received_on=today,
    )
    for i in range(8):
        student = StudentFactory(school=school_a, guardian_consents_to_name=i % 2 == 0)
        item_distribute(
            by=district_admin,
            item_kind_id=gifts["books"].pk,
            student_id=student.pk,
            quantity=1,
            given_on=today,
            signed_by_student=True,
            signed_by_guardian=True,
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url(gifts["donor"]))
    assert response.json()["items"][0]["students_given"] == 10
    assert len(many) == len(few)
