"""Payment batches in the Django admin: platform administrators only, read only, money in yuan,
account numbers masked (the encrypted one never shown), each read logged with its students."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from donations.models import PaymentBatch
from mentoring import bank_accounts
from mentoring.models import AccessAction, AccessLogEntry
from tests.admin_scene import records_in
from workers.factories import SchoolFactory, UserFactory, member

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def batch_and_root():
    root = UserFactory(is_superuser=True, is_staff=True)
    batch = records_in(SchoolFactory(), by=root)[PaymentBatch]
    return batch, root


def test_a_platform_administrator_reads_a_batch_in_yuan_with_the_number_masked(batch_and_root):
    batch, root = batch_and_root
    row = batch.rows.get()
    whole = bank_accounts.decrypt(row.number_encrypted, keys=settings.GUARDIAN_ACCOUNT_KEYS)
    client = client_of(root)
    change = client.get(reverse("admin:donations_paymentbatch_change", args=[batch.pk]))
    assert change.status_code == 200
    html = change.content.decode()
    assert "125.00" in html and "12500" not in html
    assert row.number_masked in html and row.number_masked.startswith("****")
    assert whole not in html and row.number_encrypted not in html
    # Read only: no form saves it, and none is added here.
    assert (
        client.post(
            reverse("admin:donations_paymentbatch_change", args=[batch.pk]), {"columns": "[]"}
        ).status_code
        == 403
    )
    assert client.get(reverse("admin:donations_paymentbatch_add")).status_code == 403


def test_each_read_of_a_batch_is_logged_with_its_students(batch_and_root):
    batch, root = batch_and_root
    client = client_of(root)
    client.get(reverse("admin:donations_paymentbatch_changelist"))
    client.get(reverse("admin:donations_paymentbatch_change", args=[batch.pk]))
    entries = AccessLogEntry.objects.filter(object_kind="paymentbatch").order_by("pk")
    assert [entry.action for entry in entries] == [AccessAction.LIST, AccessAction.READ]
    student = batch.rows.get().award.student_id
    for entry in entries:
        assert list(entry.students.values_list("student_id", flat=True)) == [student]


def test_only_platform_administrators_see_batches_in_the_admin(batch_and_root):
    batch, _root = batch_and_root
    school_admin = member("administrator", batch.school)
    school_admin.is_staff = True
    school_admin.save(update_fields=["is_staff"])
    for url in [
        reverse("admin:donations_paymentbatch_changelist"),
        reverse("admin:donations_paymentbatch_change", args=[batch.pk]),
    ]:
        assert client_of(school_admin).get(url).status_code == 403
        assert Client().get(url).status_code == 302
    assert not AccessLogEntry.objects.filter(object_kind="paymentbatch").exists()
