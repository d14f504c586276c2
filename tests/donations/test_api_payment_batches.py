"""payment-batches/: the bank's list out (masked everywhere but in the file), its result in
(each paid row posted once, a failed row paid in a later batch), the cash sign-off sheet."""

import csv
import io
from decimal import Decimal

import pytest

from donations.models import (
    Disbursement,
    PaymentBatch,
    PaymentBatchRow,
    PaymentMethod,
    PaymentRowStatus,
)
from mentoring.models import AccessAction, AccessLogEntry
from tests.conftest import client_for
from tests.donations.payments_scene import (
    PaymentsScene,
    result_csv,
    result_xlsx,
    xlsx_table,
)
from workers.factories import SchoolFactory, member

pytestmark = pytest.mark.django_db
BATCHES = "/api/v1/payment-batches/"


@pytest.fixture
def scene(school_a, district_admin):
    return PaymentsScene(school=school_a, admin=district_admin, count=3, without_account=(2,))


def make_batch(scene, method="bank_transfer", **extra):
    response = client_for(scene.admin).post(BATCHES, scene.body(method, **extra), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def import_result(scene, batch_id, rows, **kwargs):
    return client_for(scene.admin).post(
        f"{BATCHES}{batch_id}/results/",
        {"file": result_csv(rows, **kwargs), "paid_on": "2026-11-20"},
        format="multipart",
        headers={"accept-language": "en"},
    )


# -- creating a batch -------------------------------------------------------------------------


def test_a_transfer_batch_lists_each_instalment_due_and_names_those_without_an_account(scene):
    batch = make_batch(scene)
    # Two students with accounts × two instalments each; the third has no account.
    assert [(r["number"], r["instalment"]) for r in batch["rows"]] == [
        (1, 1),
        (2, 2),
        (3, 1),
        (4, 2),
    ]
    assert batch["total"] == "400.00"
    assert {item["student"] for item in batch["left_out"]} == {scene.students[2].pk}
    assert {item["instalment"] for item in batch["left_out"]} == {1, 2}
    assert batch["columns"] == [
        ["row", "序号"],
        ["holder", "姓名"],
        ["account", "账号"],
        ["bank", "开户行"],
        ["amount", "金额"],
        ["note", "备注"],
    ]


def test_no_answer_holds_a_whole_account_number(scene):
    batch = make_batch(scene)
    detail = client_for(scene.admin).get(f"{BATCHES}{batch['id']}/")
    listing = client_for(scene.admin).get(BATCHES)
    for number in scene.accounts.values():
        assert number not in detail.content.decode()
        assert number not in listing.content.decode()
        assert number[-4:] in detail.content.decode()
    assert detail.json()["rows"][0]["number_masked"].startswith("****")


def test_an_instalment_due_in_one_batch_goes_into_no_other(scene):
    make_batch(scene)
    response = client_for(scene.admin).post(
        BATCHES, scene.body(), format="json", headers={"accept-language": "en"}
    )
    assert response.status_code == 400
    assert "no guardian's account" in response.json()["project"][0]
    assert PaymentBatch.objects.count() == 1


def test_a_cash_batch_needs_no_account(scene):
    batch = make_batch(scene, method="cash")
    assert len(batch["rows"]) == 6
    assert batch["left_out"] == []
    assert all(row["number_masked"] == "" for row in batch["rows"])


def test_bad_input_names_every_field_and_writes_nothing(scene, school_b):
    foreign = SchoolFactory()
    response = client_for(scene.admin).post(
        BATCHES,
        {
            "school": foreign.pk,
            "project": scene.project.pk,
            "term": scene.term.pk,
            "method": "cheque",
            "columns": [["row", "序号"], ["magic", "魔法"], ["amount", "序号"]],
        },
        format="json",
        headers={"accept-language": "en"},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["school"] == ["Unknown school."]
    assert "method" in body
    assert "Unknown field magic" in body["columns[1]"][0]
    assert "used twice" in body["columns[2]"][0]
    assert "must include account" in body["columns"][0]
    assert not PaymentBatch.objects.exists()


def test_the_column_mapping_chosen_is_kept_for_the_districts_next_batch(scene):
    columns = [["row", "编号"], ["student", "学生"], ["account", "卡号"], ["amount", "金额(元)"]]
    first = make_batch(scene, columns=columns)
    assert first["columns"] == columns
    other = PaymentsScene(school=scene.school, admin=scene.admin, count=1, code="BOOKS")
    assert make_batch(other)["columns"] == columns


# -- the bank's list --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_the_bank_list_holds_the_whole_numbers_in_the_mapped_columns_and_is_logged(scene, kind):
    batch = make_batch(scene, columns=[["amount", "金额"], ["account", "账号"], ["row", "序号"]])
    response = client_for(scene.admin).get(f"{BATCHES}{batch['id']}/export/?format={kind}")
    assert response.status_code == 200
    if kind == "xlsx":
        table = xlsx_table(response.content)
    else:
        table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0] == ["金额", "账号", "序号"]
    first = scene.accounts[scene.students[0].pk]
    amount, account, number = table[1]
    assert (Decimal(str(amount)), str(account), str(number)) == (Decimal("100.00"), first, "1")
    assert len(table) == 5
    entry = AccessLogEntry.objects.get(action=AccessAction.EXPORT)
    assert entry.object_id == batch["id"]
    assert set(entry.students.values_list("student_id", flat=True)) == {
        scene.students[0].pk,
        scene.students[1].pk,
    }


def test_a_cash_batch_has_no_bank_list(scene):
    batch = make_batch(scene, method="cash")
    response = client_for(scene.admin).get(f"{BATCHES}{batch['id']}/export/")
    assert response.status_code == 409


def test_a_bad_format_is_refused(scene):
    batch = make_batch(scene)
    response = client_for(scene.admin).get(f"{BATCHES}{batch['id']}/export/?format=doc")
    assert response.status_code == 400
    assert "format" in response.json()


# -- the bank's result ------------------------------------------------------------------------


def test_a_result_posts_the_paid_rows_once_and_keeps_the_failed_due(scene):
    batch = make_batch(scene)
    rows = [(1, "成功", ""), (2, "成功", ""), (3, "失败", "户名不符"), (4, "成功", "")]
    response = import_result(scene, batch["id"], rows)
    assert response.status_code == 200, response.content
    assert (response.json()["paid"], response.json()["failed"]) == (3, 1)
    assert Disbursement.objects.count() == 3
    failed = PaymentBatchRow.objects.get(batch_id=batch["id"], number=3)
    assert (failed.status, failed.reason) == (PaymentRowStatus.FAILED, "户名不符")

    again = import_result(scene, batch["id"], rows)
    assert again.status_code == 200
    assert again.json()["unchanged"] == 4
    assert Disbursement.objects.count() == 3

    # The failed row, paid in a later batch.
    later = make_batch(scene)
    assert [(r["award"], r["instalment"]) for r in later["rows"]] == [(scene.awards[1].pk, 1)]
    assert import_result(scene, later["id"], [(1, "成功", "")]).status_code == 200
    assert Disbursement.objects.filter(method=PaymentMethod.BANK_TRANSFER).count() == 4
    scene.awards[1].refresh_from_db()
    assert scene.awards[1].status == "paid"


def test_a_result_of_an_xlsx_file_with_references_and_amounts(scene):
    batch = make_batch(scene)
    upload = result_xlsx(
        [(1, "成功", "", "R-1", "100.00"), (2, "失败", "账户冻结", "", "100")],
        header=("序号", "结果", "失败原因", "流水号", "金额"),
    )
    response = client_for(scene.admin).post(
        f"{BATCHES}{batch['id']}/results/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 200, response.content
    assert Disbursement.objects.get().bank_reference == "R-1"


def test_a_bad_result_names_every_bad_row_and_column_and_writes_nothing(scene):
    batch = make_batch(scene)
    rows = [
        (1, "成功", ""),
        (9, "成功", ""),
        ("x", "成功", ""),
        (2, "也许", ""),
        (3, "失败", ""),
        (1, "成功", ""),
    ]
    response = import_result(scene, batch["id"], rows)
    assert response.status_code == 400
    body = response.json()
    assert "no row 9" in body["rows[3].row"][0]
    assert "rows[4].row" in body
    assert "rows[5].result" in body
    assert "reason" in body["rows[6].reason"][0]
    assert "also on line 2" in body["rows[7].row"][0]
    assert not Disbursement.objects.exists()
    assert not PaymentBatchRow.objects.exclude(status=PaymentRowStatus.DUE).exists()


def test_a_file_without_the_columns_is_refused(scene):
    batch = make_batch(scene)
    response = import_result(scene, batch["id"], [(1, "x")], header=("编号", "什么"))
    assert response.status_code == 400
    assert len(response.json()["file"]) == 2


def test_a_paid_row_reported_failed_later_is_refused(scene):
    batch = make_batch(scene)
    assert import_result(scene, batch["id"], [(1, "成功", "")]).status_code == 200
    response = import_result(scene, batch["id"], [(1, "失败", "退回"), (2, "成功", "")])
    assert response.status_code == 400
    assert "reversing" in response.json()["rows[2].result"][0]
    assert Disbursement.objects.count() == 1


def test_a_cash_batch_takes_no_bank_result(scene):
    batch = make_batch(scene, method="cash")
    assert import_result(scene, batch["id"], [(1, "成功", "")]).status_code == 409


# -- the cash sign-off sheet -------------------------------------------------------------------


def test_signed_rows_post_cash_payments_with_both_signatures_once(scene):
    batch = make_batch(scene, method="cash")
    client = client_for(scene.admin)
    url = f"{BATCHES}{batch['id']}/signed/"
    response = client.post(url, {"rows": [1, 3], "signed_on": "2026-11-20"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["paid"] == 2
    payments = Disbursement.objects.all()
    assert {(p.method, p.signed_by_student, p.signed_by_guardian) for p in payments} == {
        ("cash", True, True)
    }
    again = client.post(url, {"rows": [1, 3]}, format="json")
    assert again.json() == {**again.json(), "paid": 0, "unchanged": 2}
    assert Disbursement.objects.count() == 2


def test_the_signed_sheets_xlsx_twin_is_read_back(scene):
    batch = make_batch(scene, method="cash")
    client = client_for(scene.admin)
    twin = client.get(f"{BATCHES}{batch['id']}/sign-off-sheet/?format=xlsx")
    assert twin.status_code == 200
    table = xlsx_table(twin.content)
    assert table[0] == ["序号", "学生姓名", "年级班级", "金额(元)", "学生签名", "家长签名", "日期"]
    assert table[1][2] == "3年级2班"
    table[1][4] = table[1][5] = "是"
    table[2][4] = "是"  # the guardian did not sign
    import openpyxl
    from django.core.files.uploadedfile import SimpleUploadedFile

    workbook = openpyxl.Workbook()
    for row in table:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    upload = SimpleUploadedFile("signed.xlsx", out.getvalue())
    url = f"{BATCHES}{batch['id']}/signed/"
    refused = client.post(
        url, {"file": upload}, format="multipart", headers={"accept-language": "en"}
    )
    assert refused.status_code == 400, refused.content
    assert "signatures of student and guardian" in refused.json()["rows[3].guardian"][0], (
        refused.json()
    )
    assert not Disbursement.objects.exists()
    table[2][4] = None
    workbook = openpyxl.Workbook()
    for row in table:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    accepted = client.post(
        url, {"file": SimpleUploadedFile("signed.xlsx", out.getvalue())}, format="multipart"
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["paid"] == 1


def test_signed_rows_bad_input(scene):
    batch = make_batch(scene, method="cash")
    client = client_for(scene.admin)
    url = f"{BATCHES}{batch['id']}/signed/"
    response = client.post(
        url,
        {"rows": [1, 99], "signed_on": "2999-01-01"},
        format="json",
        headers={"accept-language": "en"},
    )
    assert response.status_code == 400
    assert "no row 99" in response.json()["rows[1]"][0]
    assert "future" in response.json()["signed_on"][0]
    assert client.post(url, {}, format="json").status_code == 400
    assert not Disbursement.objects.exists()


def test_a_transfer_batch_has_no_sign_off_sheet(scene):
    batch = make_batch(scene)
    client = client_for(scene.admin)
    assert client.get(f"{BATCHES}{batch['id']}/sign-off-sheet/").status_code == 409
    assert client.post(f"{BATCHES}{batch['id']}/signed/", {"rows": [1]}).status_code == 409


# -- who sees what ---------------------------------------------------------------------------


def test_only_the_schools_administrators_see_a_batch(scene, school_a, school_b, admin_b):
    batch = make_batch(scene)
    url = f"{BATCHES}{batch['id']}/"
    assert client_for(member("administrator", school_a)).get(url).status_code == 200
    assert client_for(admin_b).get(url).status_code == 404
    assert client_for(admin_b).get(f"{url}export/").status_code == 404
    assert client_for(admin_b).get(BATCHES).json()["count"] == 0
    for role in ("teacher", "supervisor", "donor"):
        assert client_for(member(role, school_a)).get(url).status_code == 403
    # The school's administrator may not make a batch for another school.
    response = client_for(admin_b).post(BATCHES, scene.body(), format="json")
    assert response.status_code == 400
    assert "school" in response.json()


def test_the_list_answers_in_the_same_queries_however_many_batches(
    scene, django_assert_max_num_queries
):
    make_batch(scene)
    client = client_for(scene.admin)
    client.get(BATCHES)  # warm the session and the user's roles
    with django_assert_max_num_queries(8) as few:
        assert client.get(BATCHES).json()["count"] == 1
    queries = len(few)
    for code in ("B", "C", "D"):
        make_batch(PaymentsScene(school=scene.school, admin=scene.admin, count=3, code=code))
    with django_assert_max_num_queries(queries):
        assert client.get(BATCHES).json()["count"] == 4


def test_the_detail_answers_in_the_same_queries_however_many_rows(
    scene, django_assert_max_num_queries
):
    small = make_batch(PaymentsScene(school=scene.school, admin=scene.admin, count=1, code="S"))
    large = make_batch(PaymentsScene(school=scene.school, admin=scene.admin, count=8, code="L"))
    client = client_for(scene.admin)
    client.get(f"{BATCHES}{small['id']}/")
    with django_assert_max_num_queries(12) as few:
        assert client.get(f"{BATCHES}{small['id']}/").status_code == 200
    queries = len(few)
    with django_assert_max_num_queries(queries):
        assert len(client.get(f"{BATCHES}{large['id']}/").json()["rows"]) == 16
