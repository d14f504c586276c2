"""PATCH payment-batches/{id}/: the administrator maps the bank list's columns until the list
first goes out; from then on (and for a cash batch) the mapping answers 409."""

import pytest

from donations.models import PaymentBatch
from mentoring.models import AccessAction, AccessLogEntry
from tests.conftest import client_for
from tests.donations.payments_scene import PaymentsScene, xlsx_table
from workers.factories import member

pytestmark = pytest.mark.django_db
BATCHES = "/api/v1/payment-batches/"
MAPPED = [["row", "编号"], ["student", "学生"], ["account", "卡号"], ["amount", "金额(元)"]]


@pytest.fixture
def scene(school_a, district_admin):
    return PaymentsScene(school=school_a, admin=district_admin, count=2)


def make_batch(scene, method="bank_transfer"):
    response = client_for(scene.admin).post(BATCHES, scene.body(method), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def patch(user, batch_id, body):
    return client_for(user).patch(
        f"{BATCHES}{batch_id}/", body, format="json", headers={"accept-language": "en"}
    )


def test_the_mapped_columns_are_the_bank_lists_until_it_is_exported(scene):
    batch = make_batch(scene)
    assert batch["exported_at"] is None
    response = patch(scene.admin, batch["id"], {"columns": [*MAPPED[:3], ["amount", " 金额 "]]})
    assert response.status_code == 200, response.content
    assert response.json()["columns"] == [*MAPPED[:3], ["amount", "金额"]]
    # The detail it answers names students: the read is logged like the detail's.
    assert AccessLogEntry.objects.filter(action=AccessAction.READ, object_id=batch["id"]).exists()

    exported = client_for(scene.admin).get(f"{BATCHES}{batch['id']}/export/")
    assert xlsx_table(exported.content)[0] == ["编号", "学生", "卡号", "金额"]
    assert PaymentBatch.objects.get(pk=batch["id"]).exported_at is not None

    again = patch(scene.admin, batch["id"], {"columns": MAPPED})
    assert again.status_code == 409
    assert "exported" in again.json()["columns"][0]
    assert PaymentBatch.objects.get(pk=batch["id"]).columns == [*MAPPED[:3], ["amount", "金额"]]
    # A second export keeps the first export's time.
    first_time = PaymentBatch.objects.get(pk=batch["id"]).exported_at
    client_for(scene.admin).get(f"{BATCHES}{batch['id']}/export/?format=csv")
    assert PaymentBatch.objects.get(pk=batch["id"]).exported_at == first_time


def test_a_cash_batch_has_no_columns_to_map(scene):
    batch = make_batch(scene, method="cash")
    response = patch(scene.admin, batch["id"], {"columns": MAPPED})
    assert response.status_code == 409
    assert PaymentBatch.objects.get(pk=batch["id"]).columns != MAPPED


def test_bad_columns_name_every_bad_pair_and_field_at_once_and_change_nothing(scene):
    batch = make_batch(scene)
    before = PaymentBatch.objects.get(pk=batch["id"]).columns
    response = patch(
        scene.admin,
        batch["id"],
        {
            "columns": [["row", "序号"], ["magic", "魔法"], ["amount", "序号"], ["holder"]],
            "method": "cash",
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert "Unknown field magic" in body["columns[1]"][0]
    assert "used twice" in body["columns[2]"][0]
    assert "pair" in body["columns[3]"][0]
    assert "must include account" in body["columns"][0]
    assert "method" in body
    assert PaymentBatch.objects.get(pk=batch["id"]).columns == before


@pytest.mark.parametrize("body", [{}, {"columns": []}, {"columns": "序号,金额"}])
def test_columns_are_required_as_a_list_of_pairs(scene, body):
    batch = make_batch(scene)
    response = patch(scene.admin, batch["id"], body)
    assert response.status_code == 400
    assert "columns" in response.json()


def test_only_the_schools_administrators_map_a_batchs_columns(scene, school_a, admin_b):
    batch = make_batch(scene)
    # A colleague administering the same school may.
    colleague = member("administrator", school_a)
    assert patch(colleague, batch["id"], {"columns": MAPPED}).status_code == 200
    # Another school's administrator finds no such batch; other roles may not.
    assert patch(admin_b, batch["id"], {"columns": MAPPED[:1]}).status_code == 404
    for role in ("teacher", "supervisor", "donor"):
        assert patch(member(role, school_a), batch["id"], {"columns": MAPPED}).status_code == 403
    assert PaymentBatch.objects.get(pk=batch["id"]).columns == MAPPED
    # PUT is no way to change a batch.
    put = client_for(scene.admin).put(f"{BATCHES}{batch['id']}/", {"columns": MAPPED}, "json")
    assert put.status_code == 405


def test_mapping_answers_in_the_same_queries_however_many_rows(
    scene, django_assert_max_num_queries
):
    small = make_batch(PaymentsScene(school=scene.school, admin=scene.admin, count=1, code="S"))
    large = make_batch(PaymentsScene(school=scene.school, admin=scene.admin, count=8, code="L"))
    client = client_for(scene.admin)
    client.get(f"{BATCHES}{small['id']}/")  # warm the session and the user's roles
    url = f"{BATCHES}{small['id']}/"
    with django_assert_max_num_queries(30) as few:
        assert client.patch(url, {"columns": MAPPED}, format="json").status_code == 200
    with django_assert_max_num_queries(len(few)):
        response = client.patch(f"{BATCHES}{large['id']}/", {"columns": MAPPED}, format="json")
        assert len(response.json()["rows"]) == 16
