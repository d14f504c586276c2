"""An award is paid in its planned instalments, each once, never past its amount; corrections.

The bug this guards against: a one-instalment award posted again with
instalment 2 (or 3 … 12) was paid in full a second time. Now every
instalment number answers 409 once the award is paid, the database refuses
a payment past the award whoever writes it, and a district administrator
corrects a mistake by reversing the payment or cancelling an unpaid award.
"""

import datetime
import threading

import pytest
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from core.errors import Conflict, DomainError, FieldErrors, NotPermitted
from donations.models import (
    AidProject,
    Award,
    AwardStatus,
    Disbursement,
    FundSource,
    LedgerEntry,
    LedgerKind,
    PaymentMethod,
)
from donations.services.awards import award_cancel, award_create
from donations.services.disbursements import disbursement_pay, disbursement_reverse
from donations.services.ledger import fund_account_of, ledger_post
from tests.award_days import made_at_term_start
from tests.conftest import client_for
from workers.factories import (
    DistrictFactory,
    GuardianAccountFactory,
    SchoolFactory,
    StudentFactory,
    TermFactory,
    UserFactory,
    member,
)

AWARDS, PAY = "/api/v1/awards/", "/api/v1/disbursements/"
PAID_ON = datetime.date(2026, 11, 20)
BALANCE = 1_000_000

# The double payment is refused on both databases: the service's row lock and
# the trigger are tested where they run.
BOTH_DATABASES = [
    pytest.param("sqlite-or-default", id="default"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture
def scene(district, school_a, school_b, district_admin):
    project = AidProject.objects.create(
        district=district,
        code="LIVING",
        name="生活补助",
        source=FundSource.PROVINCIAL,
        purpose="living",
    )
    ledger_post(
        account_id=fund_account_of(project).pk,
        kind=LedgerKind.APPROPRIATION,
        amount_fen=BALANCE,
        by=None,
    )
    return {
        "project": project,
        "term": TermFactory(district=district),
        "student": StudentFactory(school=school_a),
        "admin": district_admin,
    }


def grant(scene, amount=31_250, instalments=None, student=None):
    # A transfer goes to the guardian's account on record.
    GuardianAccountFactory(student=student or scene["student"])
    award = award_create(
        by=scene["admin"],
        project_id=scene["project"].pk,
        student_id=(student or scene["student"]).pk,
        term_id=scene["term"].pk,
        amount_fen=amount,
        instalments=instalments,
    )
    made_at_term_start(award)
    return award


def pay(scene, award, instalment=1, amount_fen=None, by=None, reference="ICBC-1"):
    return disbursement_pay(
        by=by or scene["admin"],
        award_id=award.pk,
        method=PaymentMethod.BANK_TRANSFER,
        paid_on=PAID_ON,
        instalment=instalment,
        amount_fen=amount_fen,
        bank_reference=reference,
    )


def balance(scene) -> int:
    return fund_account_of(scene["project"]).balance_fen


def pay_body(award_id, **overrides):
    return {
        "award": award_id,
        "method": "bank_transfer",
        "paid_on": "2026-11-20",
        "bank_reference": "ICBC-1",
        **overrides,
    }


# -- the payment's date: not before the award was made, not in the future ---------------------
# One rule (`payment_date_problem`) for the API, the console, the admin and the payment
# batches; the trigger of migration 0022 refuses the same for any other writer. `grant`
# makes its awards on 2026-09-01 at 09:00 in Shanghai.

MADE_ON = datetime.date(2026, 9, 1)
DAY = datetime.timedelta(days=1)


@pytest.mark.django_db
def test_a_payment_dated_before_the_award_answers_400_naming_paid_on_and_writes_nothing(scene):
    award = grant(scene)

    response = client_for(scene["admin"]).post(
        PAY, pay_body(award.pk, paid_on=(MADE_ON - DAY).isoformat()), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert response.json()["paid_on"] == [
        "The payment date cannot be before the award was made on 2026-09-01."
    ]
    assert not Disbursement.objects.exists()
    assert balance(scene) == BALANCE


@pytest.mark.django_db
def test_a_payment_on_the_day_the_award_was_made_is_accepted(scene):
    award = grant(scene)

    response = client_for(scene["admin"]).post(PAY, pay_body(award.pk, paid_on="2026-09-01"))

    assert response.status_code == 201, response.json()
    assert Disbursement.objects.get().paid_on == MADE_ON


@pytest.mark.django_db
def test_a_payment_dated_in_the_future_is_still_refused(scene):
    award = grant(scene)
    tomorrow = timezone.localdate() + DAY

    response = client_for(scene["admin"]).post(
        PAY, pay_body(award.pk, paid_on=tomorrow.isoformat()), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert response.json()["paid_on"] == ["A payment cannot be dated in the future."]
    assert not Disbursement.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("database", BOTH_DATABASES)
def test_the_database_refuses_a_payment_before_its_award_without_the_service(scene, database):
    award = grant(scene)
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_payment(award, 1, 31_250, scene["admin"], paid_on=MADE_ON - DAY)
    payment = _raw_payment(award, 1, 31_250, scene["admin"], paid_on=MADE_ON)
    with pytest.raises(IntegrityError), transaction.atomic():
        Disbursement.objects.filter(pk=payment.pk).update(paid_on=MADE_ON - DAY)
    assert Disbursement.objects.get().paid_on == MADE_ON


@pytest.mark.django_db
@pytest.mark.parametrize("database", BOTH_DATABASES)
def test_the_database_reads_the_awards_day_in_the_projects_time_zone(scene, database):
    # 00:30 on 2 December in Shanghai is 16:30 UTC on the 1st: the award's day is
    # Shanghai's, as the service and the report count it.
    award = grant(scene)
    made = timezone.make_aware(datetime.datetime(2026, 12, 2, 0, 30))
    Award.objects.filter(pk=award.pk).update(created_at=made)
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_payment(award, 1, 31_250, scene["admin"], paid_on=datetime.date(2026, 12, 1))
    assert _raw_payment(award, 1, 31_250, scene["admin"], paid_on=datetime.date(2026, 12, 2))


# -- the double payment ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("database", BOTH_DATABASES)
def test_a_paid_award_answers_409_for_every_instalment_number(scene, database):
    client = client_for(scene["admin"])
    award = grant(scene)
    assert client.post(PAY, pay_body(award.pk, instalment=1)).status_code == 201
    for number in range(1, 13):
        response = client.post(
            PAY, pay_body(award.pk, instalment=number, bank_reference=f"R{number}")
        )
        assert response.status_code == 409, (number, response.json())
        assert "award" in response.json()
    assert Disbursement.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerKind.DISBURSEMENT).count() == 1
    assert balance(scene) == BALANCE - 31_250


@pytest.mark.django_db
def test_an_instalment_outside_the_plan_or_another_amount_answers_400_and_pays_nothing(scene):
    client = client_for(scene["admin"])
    award = grant(scene, amount=30_000, instalments=[10_000, 20_000])
    response = client.post(PAY, pay_body(award.pk, instalment=3))
    assert response.status_code == 400
    assert "instalment" in response.json()
    response = client.post(PAY, pay_body(award.pk, instalment=2, amount="300.00"))
    assert response.status_code == 400
    assert "200.00" in response.json()["amount"][0]
    assert Disbursement.objects.count() == 0
    assert balance(scene) == BALANCE


@pytest.mark.django_db
def test_a_plan_is_paid_instalment_by_instalment_and_the_award_is_paid_when_all_are(scene):
    award = grant(scene, amount=30_000, instalments=[10_000, 20_000])
    first = pay(scene, award, instalment=2, amount_fen=20_000)
    assert first.amount_fen == 20_000
    award.refresh_from_db()
    assert award.status == AwardStatus.AWARDED
    with pytest.raises(Conflict) as again:
        pay(scene, award, instalment=2)
    assert again.value.field == "instalment"
    pay(scene, award, instalment=1)
    award.refresh_from_db()
    assert award.status == AwardStatus.PAID
    assert balance(scene) == BALANCE - 30_000
    assert sorted(award.disbursements.values_list("amount_fen", flat=True)) == [10_000, 20_000]


@pytest.mark.django_db
def test_an_award_by_hand_takes_its_plan_and_a_plan_that_does_not_add_up_is_refused(scene):
    client = client_for(scene["admin"])
    body = {
        "project": scene["project"].pk,
        "student": scene["student"].pk,
        "term": scene["term"].pk,
        "amount": "300.00",
    }
    response = client.post(AWARDS, {**body, "instalments": ["100.00", "150.00"]})
    assert response.status_code == 400
    assert "250.00" in response.json()["instalments"][0]
    assert Award.objects.count() == 0
    response = client.post(AWARDS, {**body, "instalments": [f"{25:.2f}"] * 13})
    assert response.status_code == 400
    assert "instalments" in response.json()
    response = client.post(AWARDS, {**body, "instalments": ["100.00", "200.00"]})
    assert response.status_code == 201
    assert response.json()["instalments"] == [
        {"number": 1, "amount": "100.00"},
        {"number": 2, "amount": "200.00"},
    ]
    assert response.json()["paid"] == "0.00"


@pytest.mark.django_db
def test_an_award_without_a_plan_given_is_paid_in_one_instalment(scene):
    award = grant(scene)
    assert list(award.plan.values_list("number", "amount_fen")) == [(1, 31_250)]


@pytest.mark.django_db
def test_the_service_names_every_bad_field_of_a_payment_at_once(scene):
    award = grant(scene)
    with pytest.raises(FieldErrors) as refused:
        disbursement_pay(
            by=scene["admin"],
            award_id=award.pk,
            method=PaymentMethod.CASH,
            paid_on=datetime.date(2999, 1, 1),
            instalment=2,
        )
    assert set(refused.value.errors) == {"instalment", "signed_by_guardian", "paid_on"}
    assert Disbursement.objects.count() == 0


# -- the database ---------------------------------------------------------------------------


def _raw_payment(award, instalment, amount_fen, by, paid_on=PAID_ON):
    entry = ledger_post(
        account_id=fund_account_of(award.project).pk,
        kind=LedgerKind.DISBURSEMENT,
        amount_fen=-amount_fen,
        by=by,
    )
    return Disbursement.objects.create(
        award=award,
        instalment=instalment,
        amount_fen=amount_fen,
        method=PaymentMethod.CASH,
        paid_on=paid_on,
        signed_by_student=True,
        signed_by_guardian=True,
        ledger_entry=entry,
        paid_by=by,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("database", BOTH_DATABASES)
def test_the_database_refuses_payments_past_the_award_without_the_service(scene, database):
    award = grant(scene, amount=30_000, instalments=[10_000, 20_000])
    _raw_payment(award, 1, 10_000, scene["admin"])
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_payment(award, 2, 20_001, scene["admin"])
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_payment(award, 5, 30_000, scene["admin"])
    _raw_payment(award, 2, 20_000, scene["admin"])
    assert sum(award.disbursements.values_list("amount_fen", flat=True)) == 30_000


@pytest.mark.django_db
@pytest.mark.parametrize("database", BOTH_DATABASES)
def test_the_database_refuses_a_payment_of_a_cancelled_award(scene, database):
    award = grant(scene)
    award_cancel(by=scene["admin"], award_id=award.pk, reason="录错了学生")
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_payment(award, 1, 31_250, scene["admin"])
    assert Disbursement.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_payments_of_one_award_pay_it_exactly_once(scene):
    award = grant(scene)
    barrier = threading.Barrier(12)
    outcomes = []

    def attempt(number):
        try:
            barrier.wait()
            pay(scene, award, instalment=number, reference=f"REF-{number}")
            outcomes.append("paid")
        except Conflict:
            outcomes.append("409")
        except DomainError:
            outcomes.append("400")
        finally:
            connections.close_all()

    # Instalment 1 twice and every other number once: only one may pay.
    numbers = [1, 1, *range(2, 12)]
    threads = [threading.Thread(target=attempt, args=(n,)) for n in numbers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("paid") == 1
    assert len(outcomes) == 12
    assert Disbursement.objects.count() == 1
    assert balance(scene) == BALANCE - 31_250


# -- corrections ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_reversing_a_payment_names_the_original_entry_and_the_award_can_be_paid_again(scene):
    award = grant(scene)
    payment = pay(scene, award)
    reversed_payment = disbursement_reverse(
        by=scene["admin"], disbursement_id=payment.pk, reason="付错了账户"
    )
    reversal = reversed_payment.reversal
    assert reversal.kind == LedgerKind.REVERSAL
    assert reversal.reverses_id == payment.ledger_entry_id
    assert reversal.amount_fen == 31_250
    assert reversal.created_by == scene["admin"]
    assert "付错了账户" in reversal.memo
    award.refresh_from_db()
    assert award.status == AwardStatus.AWARDED
    assert balance(scene) == BALANCE
    # The history says who changed the payment, and why.
    latest = payment.history.latest()
    assert latest.history_user == scene["admin"]
    assert latest.history_change_reason == "付错了账户"
    with pytest.raises(Conflict):
        disbursement_reverse(by=scene["admin"], disbursement_id=payment.pk, reason="again")
    pay(scene, award, reference="ICBC-2")
    award.refresh_from_db()
    assert award.status == AwardStatus.PAID
    assert balance(scene) == BALANCE - 31_250


@pytest.mark.django_db
def test_an_unpaid_award_is_cancelled_with_its_reason_and_a_paid_one_is_not(scene, school_a):
    award = grant(scene)
    pay(scene, award)
    with pytest.raises(Conflict):
        award_cancel(by=scene["admin"], award_id=award.pk, reason="重复")
    other = grant(scene, student=StudentFactory(school=school_a))
    cancelled = award_cancel(by=scene["admin"], award_id=other.pk, reason="  不符合条件 ")
    assert cancelled.status == AwardStatus.CANCELLED
    assert cancelled.cancel_reason == "不符合条件"
    assert cancelled.cancelled_by == scene["admin"]
    assert cancelled.history.latest().history_user == scene["admin"]
    with pytest.raises(Conflict):
        pay(scene, cancelled)
    with pytest.raises(Conflict):
        award_cancel(by=scene["admin"], award_id=other.pk, reason="again")


@pytest.mark.django_db
def test_a_school_administrator_may_pay_but_not_correct(scene, school_a):
    school_admin = member("administrator", school_a)
    award = grant(scene)
    payment = pay(scene, award, by=school_admin)
    with pytest.raises(NotPermitted):
        disbursement_reverse(by=school_admin, disbursement_id=payment.pk, reason="x")
    other = grant(scene, student=StudentFactory(school=school_a))
    with pytest.raises(NotPermitted):
        award_cancel(by=school_admin, award_id=other.pk, reason="x")
    assert LedgerEntry.objects.filter(kind=LedgerKind.REVERSAL).count() == 0
    assert Award.objects.filter(status=AwardStatus.CANCELLED).count() == 0


# -- the correction endpoints: each role, own and other district -----------------------------

ROLES = [
    # (who, the answer to both corrections)
    ("anonymous", 401),
    ("teacher", 403),
    ("volunteer", 403),
    ("donor", 403),
    ("supervisor", 403),
    ("school_administrator", 403),
    ("other_district_administrator", 404),
    ("district_administrator", 200),
    ("platform_administrator", 200),
]


def _user(who, scene, school_a):
    if who == "anonymous":
        return None
    if who == "district_administrator":
        return scene["admin"]
    if who == "platform_administrator":
        return UserFactory(is_superuser=True, is_staff=True)
    if who == "school_administrator":
        return member("administrator", school_a)
    if who == "other_district_administrator":
        return member("administrator", SchoolFactory(district=DistrictFactory()))
    return member(who, school_a)


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "answer"), ROLES)
def test_who_may_cancel_an_award(api, scene, school_a, who, answer):
    award = grant(scene)
    user = _user(who, scene, school_a)
    client = client_for(user) if user else api
    response = client.post(f"{AWARDS}{award.pk}/cancel/", {"reason": "录入错误"})
    assert response.status_code == answer, response.content
    award.refresh_from_db()
    if answer == 200:
        assert response.json()["status"] == "cancelled"
        assert response.json()["cancel_reason"] == "录入错误"
        assert award.status == AwardStatus.CANCELLED
    else:
        assert award.status == AwardStatus.AWARDED


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "answer"), ROLES)
def test_who_may_reverse_a_payment(api, scene, school_a, who, answer):
    award = grant(scene)
    payment = pay(scene, award)
    user = _user(who, scene, school_a)
    client = client_for(user) if user else api
    response = client.post(f"{PAY}{payment.pk}/reverse/", {"reason": "付错了"})
    assert response.status_code == answer, response.content
    reversals = LedgerEntry.objects.filter(kind=LedgerKind.REVERSAL)
    if answer == 200:
        body = response.json()
        assert body["reversal"] == reversals.get().pk
        assert body["reversed_by"] == user.username
        assert "付错了" in body["reversal_reason"]
        assert client.get(f"{AWARDS}{award.pk}/").json()["paid"] == "0.00"
    else:
        assert not reversals.exists()
        assert balance(scene) == BALANCE - 31_250


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 201}, {"reason": "ok", "extra": 1}],
)
def test_a_correction_without_a_good_reason_answers_400_and_writes_nothing(scene, body):
    client = client_for(scene["admin"])
    award = grant(scene)
    payment = pay(scene, award)
    unpaid = grant(scene, student=StudentFactory(school=scene["student"].school))
    for url in (f"{PAY}{payment.pk}/reverse/", f"{AWARDS}{unpaid.pk}/cancel/"):
        response = client.post(url, body)
        assert response.status_code == 400, (url, response.content)
        named = set(response.json()) - {"detail"}
        assert named & {"reason", "extra"}, response.json()
    assert not LedgerEntry.objects.filter(kind=LedgerKind.REVERSAL).exists()
    assert not Award.objects.filter(status=AwardStatus.CANCELLED).exists()


@pytest.mark.django_db
def test_a_missing_award_or_payment_answers_404(scene):
    client = client_for(scene["admin"])
    assert client.post(f"{AWARDS}999999/cancel/", {"reason": "x"}).status_code == 404
    assert client.post(f"{PAY}999999/reverse/", {"reason": "x"}).status_code == 404
