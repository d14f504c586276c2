"""Awards and disbursements: duplicate aid refused and named, each award paid exactly once."""

import datetime
import threading

import pytest
from django.db import connections
from django.utils import translation

from core.errors import Conflict, DomainError, FieldErrors
from donations.models import (
    AidProject,
    Award,
    Disbursement,
    FundSource,
    LedgerEntry,
    LedgerKind,
    PaymentMethod,
)
from donations.services.awards import award_create
from donations.services.disbursements import disbursement_pay
from donations.services.ledger import fund_account_of, ledger_post
from tests.award_days import made_at_term_start
from workers.factories import (
    GuardianAccountFactory,
    SchoolFactory,
    StudentFactory,
    TermFactory,
    member,
)

PAID_ON = datetime.date(2026, 11, 20)


def funded_project(district, code, purpose="living", balance_fen=1_000_000):
    project = AidProject.objects.create(
        district=district, code=code, name=code, source=FundSource.PROVINCIAL, purpose=purpose
    )
    ledger_post(
        account_id=fund_account_of(project).pk,
        kind=LedgerKind.APPROPRIATION,
        amount_fen=balance_fen,
        by=None,
    )
    return project


@pytest.fixture
def scene(district, school_a):
    term = TermFactory(district=district)
    admin = member("administrator", school_a)
    student = StudentFactory(school=school_a)
    GuardianAccountFactory(student=student)
    return {
        "term": term,
        "admin": admin,
        "student": student,
        "living": funded_project(district, "LIVING"),
        "other_living": funded_project(district, "LIVING-2"),
        "books": funded_project(district, "BOOKS", purpose="books"),
    }


def award(scene, project="living", student=None, amount=31_250, by=None):
    made = award_create(
        by=by or scene["admin"],
        project_id=scene[project].pk,
        student_id=(student or scene["student"]).pk,
        term_id=scene["term"].pk,
        amount_fen=amount,
    )
    made_at_term_start(made)
    return made


@pytest.mark.django_db
def test_duplicate_aid_for_the_same_purpose_is_refused_and_names_the_other_award(scene):
    first = award(scene)
    with pytest.raises(DomainError) as refused:
        award(scene, project="other_living")
    assert refused.value.field == "student"
    assert refused.value.extra == {"other_award": first.pk}
    assert f"#{first.pk}" in str(refused.value.message)
    assert "LIVING" in str(refused.value.message)
    # Another purpose is fine.
    assert award(scene, project="books").purpose == "books"
    assert Award.objects.count() == 2


@pytest.mark.django_db
def test_duplicate_aid_is_found_across_schools_by_the_id_hash(scene, district):
    award(scene)
    moved = StudentFactory(
        school=SchoolFactory(district=district), id_hash=scene["student"].id_hash
    )
    other_admin = member("administrator", moved.school)
    with pytest.raises(DomainError) as refused:
        award(scene, project="other_living", student=moved, by=other_admin)
    assert scene["student"].school.name in str(refused.value.message)
    assert Award.objects.count() == 1


@pytest.mark.django_db
def test_the_database_refuses_duplicate_aid_even_without_the_service(scene):
    first = award(scene)
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        Award.objects.create(
            project=scene["other_living"],
            student=scene["student"],
            term=scene["term"],
            amount_fen=100,
            purpose=first.purpose,
            term_code=first.term_code,
            student_id_hash=first.student_id_hash,
        )


@pytest.mark.django_db
def test_an_award_is_paid_once_with_its_ledger_row(scene):
    granted = award(scene)
    paid = disbursement_pay(
        by=scene["admin"],
        award_id=granted.pk,
        method=PaymentMethod.BANK_TRANSFER,
        paid_on=PAID_ON,
        bank_reference="ICBC-2026-0001",
    )
    assert paid.ledger_entry.amount_fen == -31_250
    assert fund_account_of(scene["living"]).balance_fen == 1_000_000 - 31_250
    with pytest.raises(Conflict):
        disbursement_pay(
            by=scene["admin"],
            award_id=granted.pk,
            method=PaymentMethod.BANK_TRANSFER,
            paid_on=PAID_ON,
            bank_reference="again",
        )
    assert Disbursement.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerKind.DISBURSEMENT).count() == 1


@pytest.mark.django_db
def test_a_transfer_needs_the_guardians_account_on_record(scene):
    other = StudentFactory(school=scene["student"].school)
    granted = award(scene, student=other)
    with translation.override("en"), pytest.raises(FieldErrors) as refused:
        disbursement_pay(
            by=scene["admin"],
            award_id=granted.pk,
            method=PaymentMethod.BANK_TRANSFER,
            paid_on=PAID_ON,
            bank_reference="ICBC-2026-0002",
        )
    assert "No guardian's account" in refused.value.errors["method"][0]
    assert not Disbursement.objects.exists()
    # Cash against both signatures needs none.
    paid = disbursement_pay(
        by=scene["admin"],
        award_id=granted.pk,
        method=PaymentMethod.CASH,
        paid_on=PAID_ON,
        signed_by_student=True,
        signed_by_guardian=True,
    )
    assert paid.method == PaymentMethod.CASH


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"method": PaymentMethod.BANK_TRANSFER, "bank_reference": " "}, "bank_reference"),
        ({"method": PaymentMethod.CASH, "signed_by_student": True}, "signed_by_guardian"),
        ({"method": "cheque"}, "method"),
        (
            {
                "method": PaymentMethod.BANK_TRANSFER,
                "bank_reference": "x",
                "paid_on": datetime.date(2999, 1, 1),
            },
            "paid_on",
        ),
    ],
)
def test_a_payment_without_proof_or_dated_ahead_is_refused(scene, fields, field):
    granted = award(scene)
    values = {"paid_on": PAID_ON, **fields}
    with pytest.raises(DomainError) as refused:
        disbursement_pay(by=scene["admin"], award_id=granted.pk, **values)
    assert refused.value.field == field
    assert Disbursement.objects.count() == 0
    assert fund_account_of(scene["living"]).balance_fen == 1_000_000


@pytest.mark.django_db
def test_an_award_beyond_the_funds_not_yet_promised_is_refused(scene, district):
    # Found by tests/donations/test_money_invariants.py: an award by hand promised money
    # the account did not hold, so awarded exceeded received.
    scene["poor"] = funded_project(district, "POOR", purpose="poor", balance_fen=40_000)
    award(scene, project="poor", amount=31_250)
    other = StudentFactory(school=scene["student"].school)
    with pytest.raises(Conflict) as refused:
        award(scene, project="poor", student=other, amount=10_000)
    assert refused.value.field == "amount"
    assert "87.50" in str(refused.value.message)
    assert Award.objects.filter(project=scene["poor"]).count() == 1


@pytest.mark.django_db
def test_administrators_of_other_schools_cannot_award_or_pay(scene, school_b):
    outsider = member("administrator", school_b)
    with pytest.raises(DomainError) as refused:
        award(scene, by=outsider)
    assert refused.value.field == "student"
    granted = award(scene)
    with pytest.raises(DomainError) as refused:
        disbursement_pay(
            by=outsider,
            award_id=granted.pk,
            method=PaymentMethod.CASH,
            paid_on=PAID_ON,
            signed_by_student=True,
            signed_by_guardian=True,
        )
    assert refused.value.field == "award"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_payments_of_one_award_pay_it_once(scene):
    granted = award(scene)
    barrier = threading.Barrier(20)
    outcomes = []

    def pay(n):
        try:
            barrier.wait()
            disbursement_pay(
                by=scene["admin"],
                award_id=granted.pk,
                method=PaymentMethod.BANK_TRANSFER,
                paid_on=PAID_ON,
                bank_reference=f"REF-{n}",
            )
            outcomes.append("paid")
        except Conflict:
            outcomes.append("409")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=pay, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["409"] * 19 + ["paid"]
    assert Disbursement.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerKind.DISBURSEMENT).count() == 1
    assert fund_account_of(scene["living"]).balance_fen == 1_000_000 - 31_250
