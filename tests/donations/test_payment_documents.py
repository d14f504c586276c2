"""The printed paper: the cash sign-off sheet (签领表) of a batch and the family's notice
(告知书) of an award, read back as text from the PDF."""

import subprocess

import pytest

from donations.models import PaymentMethod
from donations.services.disbursements import disbursement_pay
from mentoring.models import AccessAction, AccessLogEntry
from tests.conftest import client_for
from tests.donations.payments_scene import PAID_ON, PaymentsScene
from tests.workers.printed import need_poppler
from workers.factories import member

pytestmark = [pytest.mark.django_db, pytest.mark.pdf]
BATCHES, AWARDS = "/api/v1/payment-batches/", "/api/v1/awards/"


def pdf_text(content: bytes) -> str:
    """The PDF's text, by poppler's pdftotext (Debian package poppler-utils)."""
    program = need_poppler("pdftotext")
    done = subprocess.run(  # noqa: S603 (a fixed program on the test's own PDF)
        [program, "-layout", "-", "-"], input=content, capture_output=True, check=True
    )
    return done.stdout.decode()


@pytest.fixture
def scene(school_a, district_admin):
    school_a.district.complaint_phone = "0851-12345678"
    school_a.district.save()
    return PaymentsScene(school=school_a, admin=district_admin, count=2, without_account=(1,))


def test_the_sign_off_sheet_prints_its_columns_rows_total_and_signature_lines(scene):
    client = client_for(scene.admin)
    batch = client.post(BATCHES, scene.body("cash"), format="json").json()
    response = client.get(f"{BATCHES}{batch['id']}/sign-off-sheet/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for header in ("序号", "学生姓名", "年级班级", "金额(元)", "学生签名", "家长签名", "日期"):
        assert header in text
    assert "生活补助资助金签领表" in text
    assert scene.school.name in text
    assert scene.term.code.split("-")[0] + "年" in text
    for student in scene.students:
        assert student.name in text
    assert "3年级2班" in text
    assert "400.00" in text  # 4 instalments of 100.00
    assert "经办人" in text and "审核人" in text
    entry = AccessLogEntry.objects.get(action=AccessAction.EXPORT)
    assert set(entry.students.values_list("student_id", flat=True)) == {
        s.pk for s in scene.students
    }


def test_the_notice_tells_the_family_amounts_how_paid_and_the_complaint_line(scene):
    client = client_for(scene.admin)
    with_account, without = scene.awards
    disbursement_pay(
        by=scene.admin,
        award_id=with_account.pk,
        method=PaymentMethod.BANK_TRANSFER,
        paid_on=PAID_ON,
        instalment=1,
        bank_reference="R-1",
    )
    text = pdf_text(client.get(f"{AWARDS}{with_account.pk}/notice/").content)
    assert "学生资助告知书" in text
    assert scene.students[0].name in text and "生活补助" in text
    assert "200.00" in text and "100.00" in text
    assert "2026年11月20日发放" in text and "待发放" in text
    number = scene.accounts[scene.students[0].pk]
    assert number[-4:] in text and number not in text.replace(" ", "")
    assert "0851-12345678" in text

    cash = pdf_text(client.get(f"{AWARDS}{without.pk}/notice/").content)
    assert "现金发放" in cash


def test_only_the_schools_administrators_print_a_notice(scene, admin_b, school_a):
    award = scene.awards[0]
    assert client_for(admin_b).get(f"{AWARDS}{award.pk}/notice/").status_code == 404
    assert (
        client_for(member("teacher", school_a)).get(f"{AWARDS}{award.pk}/notice/").status_code
        == 403
    )
