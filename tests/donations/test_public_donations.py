"""public/donations/: who gave what and how it was used, in totals; no student, no login."""

import datetime

import pytest

from donations.models import AidProject, Donor, DonorKind, FundSource, ItemKind, LedgerKind
from donations.services.awards import award_create
from donations.services.contributions import contribution_post, contribution_record
from donations.services.disbursements import disbursement_pay, disbursement_reverse
from donations.services.items import item_distribute, item_donation_record
from donations.services.ledger import fund_account_of, ledger_post
from tests.award_days import made_at_term_start
from workers.factories import GuardianAccountFactory, StudentFactory, TermFactory, member

pytestmark = pytest.mark.django_db

URL = "/api/v1/public/donations/"
DAY = datetime.date(2026, 11, 20)


@pytest.fixture
def published(district, school_a):
    admin = member("administrator", school_a)
    love = AidProject.objects.create(
        district=district, code="LOVE", name="爱心助学", source=FundSource.SOCIAL, purpose="tuition"
    )
    newspaper = Donor.objects.create(district=district, kind=DonorKind.ORGANISATION, name="县报社")
    secret = Donor.objects.create(
        district=district, kind=DonorKind.INDIVIDUAL, name="赵秘密", anonymous=True
    )
    for donor, amount in [(newspaper, 1_000_000), (secret, 20_000)]:
        gift = contribution_record(
            by=admin, donor_id=donor.pk, project_id=love.pk, amount_fen=amount, received_on=DAY
        )
        contribution_post(contribution_id=gift.pk)
    student = StudentFactory(school=school_a, name="王小明", guardian_phone="13800000000")
    GuardianAccountFactory(student=student)
    award = award_create(
        by=admin,
        project_id=love.pk,
        student_id=student.pk,
        term_id=TermFactory(district=district).pk,
        amount_fen=50_000,
    )
    made_at_term_start(award)
    disbursement_pay(
        by=admin, award_id=award.pk, method="bank_transfer", paid_on=DAY, bank_reference="B-1"
    )
    books = ItemKind.objects.create(district=district, name="课外读物", unit="本")
    item_donation_record(
        by=admin,
        donor_id=newspaper.pk,
        item_kind_id=books.pk,
        quantity=50,
        value_fen=125_000,
        received_on=DAY,
    )
    item_distribute(
        by=admin,
        item_kind_id=books.pk,
        student_id=student.pk,
        quantity=2,
        given_on=DAY,
        signed_by_student=True,
        signed_by_guardian=True,
    )
    return {"district": district, "student": student}


def test_the_notice_shows_donors_amounts_items_and_use_in_totals(api, published):
    response = api.get(URL, {"district": published["district"].code}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.json()
    # Ordered by the donors' names; the anonymous one keeps its place but not its name.
    assert body["donors"] == [
        {
            "donor": "县报社",
            "money": "10000.00",
            "items": [{"item": "课外读物", "unit": "本", "quantity": 50, "value": "1250.00"}],
        },
        {"donor": "Anonymous", "money": "200.00", "items": []},
    ]
    assert body["projects_received"] == [
        {"project": "LOVE", "name": "爱心助学", "received": "10200.00"}
    ]
    assert body["paid_out"] == [
        {"project": "LOVE", "name": "爱心助学", "paid": "500.00", "payments": 1}
    ]
    assert body["items_given"] == [{"item": "课外读物", "unit": "本", "quantity": 2}]


def test_a_payment_reversed_is_not_published_as_paid_out(api, published, district):
    from donations.models import Disbursement

    payment = Disbursement.objects.get()
    district_admin = member("administrator", *district.schools.all())
    disbursement_reverse(by=district_admin, disbursement_id=payment.pk, reason="bank returned it")
    response = api.get(URL, {"district": district.code})
    # Paid (实发) is net of payments reversed, as in the term report.
    assert response.json()["paid_out"] == []


def test_money_received_but_not_yet_posted_is_not_published(api, published, district):
    project = AidProject.objects.get(code="LOVE")
    donor = Donor.objects.get(name="县报社")
    admin = member("administrator", *district.schools.all())
    # Recorded, not posted: the account has not got it yet (its job posts it later).
    contribution_record(
        by=admin, donor_id=donor.pk, project_id=project.pk, amount_fen=99_900, received_on=DAY
    )
    body = api.get(URL, {"district": district.code}).json()
    assert body["projects_received"] == [
        {"project": "LOVE", "name": "爱心助学", "received": "10200.00"}
    ]


def test_the_notice_names_no_student_and_no_anonymous_donor(api, published):
    text = api.get(URL, {"district": published["district"].code}).content.decode()
    student = published["student"]
    for secret in [
        "赵秘密",
        student.name,
        student.id_masked,
        student.guardian_phone,
        student.student_number,
    ]:
        assert secret not in text


def test_a_missing_or_unknown_district_answers_400(api, published):
    assert api.get(URL).status_code == 400
    response = api.get(URL, {"district": "NOPE"})
    assert response.status_code == 400
    assert "district" in response.json()


def test_a_stale_token_does_not_block_the_public_notice(api, published):
    api.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert api.get(URL, {"district": published["district"].code}).status_code == 200


def test_query_count_does_not_grow_with_donors(api, published, django_assert_max_num_queries):
    district = published["district"]

    def published_once():
        with django_assert_max_num_queries(8):
            assert api.get(URL, {"district": district.code}).status_code == 200

    published_once()
    project = AidProject.objects.get(code="LOVE")
    admin = member("administrator", published["student"].school)
    for n in range(10):
        donor = Donor.objects.create(
            district=district, kind=DonorKind.INDIVIDUAL, name=f"捐赠人{n}"
        )
        gift = contribution_record(
            by=admin, donor_id=donor.pk, project_id=project.pk, amount_fen=100, received_on=DAY
        )
        contribution_post(contribution_id=gift.pk)
    published_once()
    ledger_post(
        account_id=fund_account_of(project).pk, kind=LedgerKind.APPROPRIATION, amount_fen=1, by=None
    )
