"""Items received into stock and given to students against both signatures."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ValidationErrors, checked
from donations.models import (
    Donor,
    ItemDistribution,
    ItemDonation,
    ItemKind,
    Pledge,
    PledgeKind,
    PledgeStatus,
)
from donations.services.ledger import MAX_AMOUNT_FEN
from donations.services.pledges import pledge_refresh_status
from mentoring.models import User
from mentoring.selectors.accounts import schools_administered_by


def _item_kind_problems(
    errors: ValidationErrors, *, by: User, item_kind_id: int | None, lock: bool
) -> ItemKind | None:
    """The item kind, if in a district `by` administers; else `item_kind` is refused.

    `lock` locks its row (the stock), as the services do inside their transaction.
    """

    if item_kind_id is None:
        return None
    districts = schools_administered_by(by).values("district")
    kinds = ItemKind.objects.filter(pk=item_kind_id, district__in=districts)
    kind = (kinds.select_for_update() if lock else kinds).first()
    if kind is None:
        errors.add("item_kind", _("Unknown item kind."))
    return kind


def item_donation_record_problems(
    errors: ValidationErrors,
    *,
    by: User,
    donor_id: int | None,
    item_kind_id: int | None,
    quantity: int | None,
    value_fen: int | None,
    received_on,
    pledge_id: int | None = None,
    lock: bool = False,
) -> tuple[ItemKind | None, Donor | None, Pledge | None]:
    """Add to `errors` everything wrong with recording these items; answers kind, donor, pledge.

    Every field is checked, so one answer names them all; an input given as
    None is not checked (left out, or refused already by the caller).
    """

    kind = _item_kind_problems(errors, by=by, item_kind_id=item_kind_id, lock=lock)
    donor = None
    if donor_id is not None:
        donors = Donor.objects.filter(pk=donor_id)
        if kind is not None:
            donor = donors.filter(district=kind.district_id).first()
        else:
            districts = schools_administered_by(by).values("district")
            donor = donors.filter(district__in=districts).first()
        if donor is None:
            errors.add("donor", _("Unknown donor in this district."))
    pledge = None
    if pledge_id is not None:
        pledges = Pledge.objects.filter(pk=pledge_id, kind=PledgeKind.ITEMS)
        if donor is not None:
            pledge = pledges.filter(donor=donor).first()
        else:
            districts = schools_administered_by(by).values("district")
            pledge = pledges.filter(donor__district__in=districts).first()
        if pledge is None:
            errors.add("pledge", _("Unknown item pledge of this donor."))
        elif pledge.status == PledgeStatus.CANCELLED:
            errors.add("pledge", _("This pledge was cancelled."))
    if quantity is not None and quantity <= 0:
        errors.add("quantity", _("The quantity must be more than zero."))
    if value_fen is not None and (value_fen < 0 or value_fen > MAX_AMOUNT_FEN):
        errors.add("value", _("The value cannot be negative."))
    if received_on is not None and received_on > timezone.localdate():
        errors.add("received_on", _("Items cannot be received in the future."))
    return kind, donor, pledge


@transaction.atomic
def item_donation_record(
    *,
    by: User,
    donor_id: int,
    item_kind_id: int,
    quantity: int,
    value_fen: int,
    received_on,
    pledge_id: int | None = None,
) -> ItemDonation:
    """Items received go into stock, in the same transaction; an item pledge follows them.

    Every field is checked before anything is written; all that is wrong is
    refused in one `FieldErrors`.
    """
    kind, donor, pledge = checked(
        item_donation_record_problems,
        by=by,
        donor_id=donor_id,
        item_kind_id=item_kind_id,
        quantity=quantity,
        value_fen=value_fen,
        received_on=received_on,
        pledge_id=pledge_id,
        lock=True,
    )
    ItemKind.objects.filter(pk=kind.pk).update(stock=F("stock") + quantity)
    donation = ItemDonation.objects.create(
        donor=donor,
        item_kind=kind,
        quantity=quantity,
        value_fen=value_fen,
        received_on=received_on,
        pledge=pledge,
        recorded_by=by,
    )
    if pledge is not None:
        pledge_refresh_status(pledge_id=pledge.pk, today=timezone.localdate())
    return donation


def item_distribute_problems(
    errors: ValidationErrors,
    *,
    by: User,
    item_kind_id: int | None,
    student_id: int | None,
    quantity: int | None,
    given_on,
    signed_by_student: bool | None,
    signed_by_guardian: bool | None,
    lock: bool = False,
) -> tuple[ItemKind | None, object]:
    """Add to `errors` everything wrong with giving these items; answers the kind and student.

    Every field is checked, so one answer names them all; an input given as
    None is not checked (left out, or refused already by the caller). The
    stock is checked only when the kind is known and the quantity valid.
    """
    from mentoring.models import Student

    kind = _item_kind_problems(errors, by=by, item_kind_id=item_kind_id, lock=lock)
    student = None
    if student_id is not None:
        students = Student.objects.filter(pk=student_id, school__in=schools_administered_by(by))
        if kind is not None:
            students = students.filter(school__district=kind.district_id)
        student = students.first()
        if student is None:
            errors.add("student", _("Unknown student."))
    if quantity is not None and quantity <= 0:
        errors.add("quantity", _("The quantity must be more than zero."))
    elif quantity is not None and kind is not None and quantity > kind.stock:
        errors.add(
            "quantity",
            _("Only %(stock)s %(unit)s in stock.") % {"stock": kind.stock, "unit": kind.unit},
        )
    if None not in (signed_by_student, signed_by_guardian) and not (
        signed_by_student and signed_by_guardian
    ):
        errors.add(
            "signed_by_guardian",
            _("Items are given only against the signatures of student and guardian."),
        )
    if given_on is not None and given_on > timezone.localdate():
        errors.add("given_on", _("Items cannot be given in the future."))
    return kind, student


@transaction.atomic
def item_distribute(
    *,
    by: User,
    item_kind_id: int,
    student_id: int,
    quantity: int,
    given_on,
    signed_by_student: bool,
    signed_by_guardian: bool,
) -> ItemDistribution:
    """Give items to a student against both signatures; stock never goes below zero.

    The item kind's row is locked, so two distributions of the last books queue
    and the second is refused. Every field is checked before anything is
    written; all that is wrong is refused in one `FieldErrors`.
    """
    kind, student = checked(
        item_distribute_problems,
        by=by,
        item_kind_id=item_kind_id,
        student_id=student_id,
        quantity=quantity,
        given_on=given_on,
        signed_by_student=signed_by_student,
        signed_by_guardian=signed_by_guardian,
        lock=True,
    )
    ItemKind.objects.filter(pk=kind.pk).update(stock=F("stock") - quantity)
    return ItemDistribution.objects.create(
        item_kind=kind,
        student=student,
        quantity=quantity,
        given_on=given_on,
        signed_by_student=True,
        signed_by_guardian=True,
        given_by=by,
    )
