"""Pledges of money or items: their due dates, their status, their cancellation."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import Conflict, DomainError, NotPermitted, ValidationErrors, checked
from donations.models import (
    AidProject,
    ContributionStatus,
    Donor,
    Pledge,
    PledgeInstalment,
    PledgeKind,
    PledgeSchedule,
    PledgeStatus,
)
from donations.selectors.scoping import pledge_cancellable_by
from donations.services.ledger import MAX_AMOUNT_FEN
from mentoring.models import User
from mentoring.selectors.accounts import schools_administered_by


@transaction.atomic
def pledge_refresh_status(*, pledge_id: int, today) -> Pledge:
    """Pledged, partly received, fulfilled or overdue, from the money posted and the due dates.

    Money counts the contributions posted against the pledge (fen); items
    count the item donations recorded against it. Cancelled pledges stay cancelled.
    """
    pledge = Pledge.objects.select_for_update().get(pk=pledge_id)
    if pledge.status == PledgeStatus.CANCELLED:
        return pledge
    instalments = list(pledge.instalments.all())
    total = sum(i.amount for i in instalments)
    if pledge.kind == PledgeKind.MONEY:
        received = (
            pledge.contributions.filter(status=ContributionStatus.POSTED).aggregate(
                s=Sum("amount_fen")
            )["s"]
            or 0
        )
    else:
        received = pledge.item_donations.aggregate(s=Sum("quantity"))["s"] or 0
    due = sum(i.amount for i in instalments if i.due_on < today)
    if received >= total:
        status = PledgeStatus.FULFILLED
    elif received < due:
        status = PledgeStatus.OVERDUE
    elif received > 0:
        status = PledgeStatus.PARTLY_RECEIVED
    else:
        status = PledgeStatus.PLEDGED
    if status != pledge.status:
        pledge.status = status
        pledge.save(update_fields=["status"])
    return pledge


def pledges_mark_overdue(*, today) -> int:
    """The daily check: refresh every open pledge; returns how many are overdue."""
    open_pledges = Pledge.objects.exclude(
        status__in=[PledgeStatus.CANCELLED, PledgeStatus.FULFILLED]
    )
    for pledge_id in open_pledges.values_list("pk", flat=True):
        pledge_refresh_status(pledge_id=pledge_id, today=today)
    return Pledge.objects.filter(status=PledgeStatus.OVERDUE).count()


def pledge_due_dates(*, today: date) -> tuple[date, date]:
    """The first and last day a pledge (or one of its instalments) may fall due.

    From today to `PLEDGE_MAX_YEARS_AHEAD` years ahead (five by default): a
    promise further out is no plan a district can count on.
    """
    years = settings.PLEDGE_MAX_YEARS_AHEAD
    try:
        latest = today.replace(year=today.year + years)
    except ValueError:  # 29 February, in a year that has none
        latest = today.replace(year=today.year + years, day=28)
    return today, latest


def pledge_due_date_problem(due: date, *, today: date) -> str | None:
    """Why a pledge cannot fall due on `due`, or None when it can."""
    earliest, latest = pledge_due_dates(today=today)
    if due < earliest:
        return _("A pledge cannot fall due in the past.")
    if due > latest:
        return ngettext(
            "A pledge falls due by %(latest)s at the latest (%(years)s year ahead).",
            "A pledge falls due by %(latest)s at the latest (%(years)s years ahead).",
            settings.PLEDGE_MAX_YEARS_AHEAD,
        ) % {
            # The page's date format (2031年12月6日 in a Chinese sentence), as `|date` writes it.
            "latest": date_format(latest),
            "years": settings.PLEDGE_MAX_YEARS_AHEAD,
        }
    return None


def _instalment_problems(
    errors: ValidationErrors, instalments: list[tuple], *, schedule: str | None, today: date
) -> None:
    """Every bad due date and amount at once, each named by its instalment."""
    if not instalments:
        errors.add("instalments", _("Give at least one due date and amount."))
        return
    if schedule == PledgeSchedule.ONCE and len(instalments) != 1:
        errors.add("instalments", _("A pledge given once has one due date."))
    found = False
    for index, (due, amount) in enumerate(instalments):
        problem = pledge_due_date_problem(due, today=today)
        if problem:
            errors.add(f"instalments[{index}].due_on", problem)
            found = True
        if amount <= 0 or amount > MAX_AMOUNT_FEN:
            errors.add(f"instalments[{index}].amount", _("Each instalment must be more than zero."))
            found = True
    dates = [due for due, _amount in instalments]
    if not found and len(set(dates)) != len(dates):
        errors.add("instalments", _("Two instalments fall due on the same day."))


def pledge_donor_id(*, by: User, donor_id: int | None) -> int:
    """The donor named, or `by`'s own donor when none is (0: none, which no donor has)."""
    return donor_id or getattr(getattr(by, "donor", None), "pk", 0)


def pledge_amount_problem(kind: str | None, amount: Decimal) -> str | None:
    """What is wrong with one instalment's amount as given (yuan, or a count for items), or
    None. The one home of the rule: the API's rows, the donor's page and the conversion
    to the pledge's unit below all ask it."""
    if kind == PledgeKind.ITEMS and amount != amount.to_integral_value():
        return _("Items are counted in whole numbers.")
    return None


def pledge_instalments_in_units(*, kind: str, instalments: list[dict]) -> list[tuple]:
    """Instalments as given (`due_on`, `amount`: yuan for money, a count for items) as
    (due date, amount) in the pledge's own unit: fen for money, a count for items.

    An amount the rule refuses is never converted (2.5 items are not 2): callers
    check `pledge_amount_problem` first, so this is a programming error."""
    scale = 100 if kind == PledgeKind.MONEY else 1
    for instalment in instalments:
        if pledge_amount_problem(kind, instalment["amount"]):
            raise ValueError(f"an amount the pledge rules refuse: {instalment['amount']}")
    return [(i["due_on"], int(i["amount"] * scale)) for i in instalments]


def pledge_create_problems(
    errors: ValidationErrors,
    *,
    by: User,
    donor_id: int | None,
    kind: str | None,
    schedule: str | None,
    instalments: list[tuple] | None,
    project_id: int | None = None,
    purpose: str | None = "",
    item_name: str | None = "",
    item_unit: str | None = "",
) -> tuple[Donor | None, AidProject | None]:
    """Add to `errors` everything wrong with this pledge; answers the donor and project.

    Every field is checked, so one answer names them all; an input given as
    None is not checked (left out, or refused already by the caller). A donor
    or project outside `by`'s reach answers like one that does not exist.
    """

    districts = schools_administered_by(by).values("district")
    donor = None
    if donor_id is not None:
        donor = Donor.objects.filter(
            Q(pk=donor_id) & (Q(user=by) | Q(district__in=districts))
        ).first()
        if donor is None:
            errors.add("donor", _("Unknown donor."))
    if project_id is not None:
        projects = AidProject.objects.filter(pk=project_id)
        if donor is not None:
            project = projects.filter(district=donor.district_id).first()
        else:
            own = Donor.objects.filter(user=by).values("district")
            project = projects.filter(Q(district__in=districts) | Q(district__in=own)).first()
        if project is None:
            errors.add("project", _("Unknown project in the donor's district."))
    else:
        project = None
        if purpose is not None and not purpose.strip():
            errors.add("purpose", _("Name a project or say what the gift is for."))
    if (
        kind == PledgeKind.ITEMS
        and None not in (item_name, item_unit)
        and not (item_name.strip() and item_unit.strip())
    ):
        errors.add("item_name", _("Say which items and in which unit."))
    if instalments is not None:
        _instalment_problems(errors, instalments, schedule=schedule, today=timezone.localdate())
    return donor, project


@transaction.atomic
def pledge_create(
    *,
    by: User,
    donor_id: int,
    kind: str,
    schedule: str,
    instalments: list[tuple],
    project_id: int | None = None,
    purpose: str = "",
    item_name: str = "",
    item_unit: str = "",
    unit_value_fen: int = 0,
    note: str = "",
) -> Pledge:
    """Record a pledge: a donor pledges for itself, an administrator for its district's donors.

    `instalments` is a list of (due date, amount): fen for money, a count for
    items. Every field is checked before anything is written; all that is
    wrong is refused in one `FieldErrors`.
    """
    donor, project = checked(
        pledge_create_problems,
        by=by,
        donor_id=donor_id,
        kind=kind,
        schedule=schedule,
        instalments=instalments,
        project_id=project_id,
        purpose=purpose,
        item_name=item_name,
        item_unit=item_unit,
    )
    pledge = Pledge.objects.create(
        donor=donor,
        kind=kind,
        project=project,
        purpose=purpose.strip(),
        schedule=schedule,
        item_name=item_name.strip(),
        item_unit=item_unit.strip(),
        unit_value_fen=unit_value_fen,
        note=note,
        created_by=by,
    )
    PledgeInstalment.objects.bulk_create(
        [PledgeInstalment(pledge=pledge, due_on=due, amount=amount) for due, amount in instalments]
    )
    return pledge


CANCEL_REASON_MAX = 500


@transaction.atomic
def pledge_cancel(*, by: User, pledge: Pledge, reason: str) -> Pledge:
    """Cancel a pledge: the donor itself, or an administrator of its whole district."""
    if not pledge_cancellable_by(by, pledge):
        raise NotPermitted(
            _(
                "Only the donor, or an administrator of every school of its district, "
                "may cancel this pledge."
            )
        )
    if pledge.status in (PledgeStatus.FULFILLED, PledgeStatus.CANCELLED):
        raise Conflict(
            _("This pledge is already %(status)s.") % {"status": pledge.get_status_display()}
        )
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the pledge is cancelled."), field="reason")
    if len(reason) > CANCEL_REASON_MAX:
        raise DomainError(
            _("Say why in at most %(n)s characters.") % {"n": CANCEL_REASON_MAX}, field="reason"
        )
    pledge.status = PledgeStatus.CANCELLED
    pledge.cancel_reason = reason
    # The note keeps the reason too, as it always has (the note holds at most 500 characters).
    pledge.note = f"{pledge.note}\n{reason}".strip()[:500]
    pledge.save(update_fields=["status", "note", "cancel_reason"])
    return pledge
