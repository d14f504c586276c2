"""Donated items: into stock, out to students against signatures, never below zero."""

import datetime
import threading

import pytest
from django.db import IntegrityError, connections

from core.errors import DomainError
from donations.models import Donor, DonorKind, ItemDistribution, ItemDonation, ItemKind
from donations.services.items import item_distribute, item_donation_record
from workers.factories import StudentFactory, member

DAY = datetime.date(2026, 11, 20)


@pytest.fixture
def stockroom(district, school_a):
    admin = member("administrator", school_a)
    books = ItemKind.objects.create(district=district, name="课外读物", unit="本")
    donor = Donor.objects.create(district=district, kind=DonorKind.ORGANISATION, name="新华书店")
    item_donation_record(
        by=admin,
        donor_id=donor.pk,
        item_kind_id=books.pk,
        quantity=20,
        value_fen=50_000,
        received_on=DAY,
    )
    return {
        "admin": admin,
        "books": books,
        "donor": donor,
        "student": StudentFactory(school=school_a),
    }


def give(room, quantity=3, **overrides):
    values = dict(
        by=room["admin"],
        item_kind_id=room["books"].pk,
        student_id=room["student"].pk,
        quantity=quantity,
        given_on=DAY,
        signed_by_student=True,
        signed_by_guardian=True,
    )
    values.update(overrides)
    return item_distribute(**values)


@pytest.mark.django_db
def test_items_go_into_stock_and_out_to_students(stockroom):
    books = stockroom["books"]
    books.refresh_from_db()
    assert books.stock == 20
    give(stockroom, quantity=5)
    books.refresh_from_db()
    assert books.stock == 15
    assert ItemDistribution.objects.get().quantity == 5


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quantity": 21}, "quantity"),
        ({"quantity": 0}, "quantity"),
        ({"signed_by_guardian": False}, "signed_by_guardian"),
        ({"given_on": datetime.date(2999, 1, 1)}, "given_on"),
        ({"student_id": 999_999}, "student"),
        ({"item_kind_id": 999_999}, "item_kind"),
    ],
)
def test_bad_distributions_are_refused_naming_the_field(stockroom, overrides, field):
    with pytest.raises(DomainError) as refused:
        give(stockroom, **overrides)
    assert refused.value.field == field
    stockroom["books"].refresh_from_db()
    assert stockroom["books"].stock == 20
    assert ItemDistribution.objects.count() == 0


@pytest.mark.django_db
def test_bad_item_donations_are_refused(stockroom):
    for overrides, field in [
        ({"quantity": 0}, "quantity"),
        ({"value_fen": -1}, "value"),
        ({"received_on": datetime.date(2999, 1, 1)}, "received_on"),
    ]:
        values = dict(
            by=stockroom["admin"],
            donor_id=stockroom["donor"].pk,
            item_kind_id=stockroom["books"].pk,
            quantity=5,
            value_fen=100,
            received_on=DAY,
        )
        values.update(overrides)
        with pytest.raises(DomainError) as refused:
            item_donation_record(**values)
        assert refused.value.field == field
    assert ItemDonation.objects.count() == 1


@pytest.mark.django_db
def test_the_database_refuses_negative_stock(stockroom):
    with pytest.raises(IntegrityError):
        ItemKind.objects.filter(pk=stockroom["books"].pk).update(stock=-1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_distributions_never_take_stock_below_zero(stockroom):
    barrier = threading.Barrier(10)
    outcomes = []

    def take():
        try:
            barrier.wait()
            give(stockroom, quantity=3)
            outcomes.append("given")
        except DomainError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stockroom["books"].refresh_from_db()
    assert outcomes.count("given") == 6
    assert stockroom["books"].stock == 2
    assert sum(d.quantity for d in ItemDistribution.objects.all()) == 18
