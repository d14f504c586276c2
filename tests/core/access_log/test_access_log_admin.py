"""The admin's pages record the students they show (mentoring.admin_access; see
tests/admin_access_urls.py), and so does every page of the project's own admin.
"""

import pytest
from django.test import Client

from mentoring.models import ProposedPair
from tests.core.access_log.access_scene import entries_after, last_pk, one_entry, students_of
from workers.factories import (
    PairingFactory,
    SchoolFactory,
    StudentFactory,
    TutoringSessionFactory,
    UserFactory,
)

# The admin's pages (the mixin the project's admin classes take; see tests/admin_access_urls.py)


@pytest.fixture
def staff_client(db):
    client = Client()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


@pytest.mark.urls("tests.admin_access_urls")
def test_an_admin_change_list_records_the_students_on_its_page(staff_client):
    students = [StudentFactory() for _ in range(5)]
    mark = last_pk()

    response = staff_client.get("/admin/mentoring/student/", {"q": students[0].name, "o": "1"})
    shown = [row.pk for row in response.context["cl"].result_list]
    response = staff_client.get("/admin/mentoring/student/")

    assert response.status_code == 200
    first, second = entries_after(mark)
    assert (first.action, first.object_kind, first.path) == (
        "list",
        "student",
        "/admin/mentoring/student/",
    )
    assert students_of(first) == sorted(shown)
    page = [row.pk for row in response.context["cl"].result_list]
    assert len(page) == 3
    assert students_of(second) == sorted(page)


@pytest.mark.urls("tests.admin_access_urls")
@pytest.mark.parametrize("page", ["change", "history", "delete"])
def test_an_admin_page_of_one_record_records_its_student(staff_client, page):
    session = TutoringSessionFactory()
    url = f"/admin/mentoring/tutoringsession/{session.pk}/{page}/"
    mark = last_pk()

    assert staff_client.get(url).status_code == 200

    entry = one_entry(mark)
    assert (entry.action, entry.object_kind, entry.object_id) == (
        "read",
        "tutoringsession",
        session.pk,
    )
    assert students_of(entry) == [session.pairing.student_id]


@pytest.mark.urls("tests.admin_access_urls")
def test_an_admin_post_and_a_missing_record_record_nothing(staff_client):
    pairing = PairingFactory()
    mark = last_pk()

    assert staff_client.get("/admin/mentoring/pairing/999999/change/").status_code == 302
    response = staff_client.post(f"/admin/mentoring/pairing/{pairing.pk}/change/", {})
    assert response.status_code == 200  # the form answers with its errors

    assert entries_after(mark) == []


# The project's own admin: every page that shows a student's record is recorded.

STUDENT_PAGES_OF_THE_ADMIN = {
    "mentoring.student": lambda record: [record.pk],
    "mentoring.studentrecord": lambda record: [record.student_id],
    "mentoring.hardshipindicator": lambda record: [record.student_id],
    "mentoring.guardianaccount": lambda record: [record.student_id],
    "mentoring.assessment": lambda record: [record.student_id],
    "mentoring.pairing": lambda record: [record.student_id],
    "mentoring.tutoringsession": lambda record: [record.pairing.student_id],
    "donations.award": lambda record: [record.student_id],
    "donations.disbursement": lambda record: [record.award.student_id],
    "donations.itemdistribution": lambda record: [record.student_id],
    "donations.aidrefusal": lambda record: [record.student_id],
    "donations.committeereview": lambda record: [record.award.student_id],
    "donations.paymentbatch": lambda record: sorted(
        record.rows.values_list("award__student_id", flat=True)
    ),
    "mentoring.matchrun": lambda record: sorted(
        record.proposed_pairs.values_list("pairing__student_id", flat=True)
    ),
}


def test_every_admin_page_of_a_students_record_is_recorded(db):
    from django.contrib import admin

    from mentoring.admin_access import RecordsStudentAccessAdmin
    from tests.admin_scene import records_in

    recorded = {
        f"{model._meta.app_label}.{model._meta.model_name}"
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, RecordsStudentAccessAdmin)
    }
    assert recorded == set(STUDENT_PAGES_OF_THE_ADMIN)

    root = UserFactory(is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(root)
    records = records_in(SchoolFactory(), by=root)
    run = next(r for m, r in records.items() if m._meta.model_name == "matchrun")
    pairing = next(r for m, r in records.items() if m._meta.model_name == "pairing")
    ProposedPair.objects.create(run=run, pairing=pairing, cost=1, reasons={})
    for model, record in records.items():
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        if label not in STUDENT_PAGES_OF_THE_ADMIN:
            continue
        for page in ["", f"{record.pk}/change/", f"{record.pk}/history/"]:
            mark = last_pk()
            url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/{page}"
            assert client.get(url).status_code == 200, url
            entry = one_entry(mark)
            assert entry.object_kind == model._meta.model_name, url
            assert students_of(entry) == sorted(STUDENT_PAGES_OF_THE_ADMIN[label](record)), url
