"""Money received from donors: recorded at once, posted to the project's account once."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ValidationErrors, checked
from core.jobs import Progress
from donations.models import (
    AidProject,
    Contribution,
    ContributionStatus,
    Donor,
    LedgerKind,
    Pledge,
    PledgeKind,
    PledgeStatus,
)
from donations.services.ledger import MAX_AMOUNT_FEN, fund_account_of, ledger_post
from donations.services.pledges import pledge_refresh_status
from donations.signals import contribution_received
from mentoring.models import User
from mentoring.selectors.accounts import schools_administered_by


def contribution_record_problems(
    errors: ValidationErrors,
    *,
    by: User,
    donor_id: int | None,
    project_id: int | None,
    amount_fen: int | None,
    received_on,
    pledge_id: int | None = None,
) -> tuple[Donor | None, AidProject | None, Pledge | None]:
    """Add to `errors` everything wrong with recording this contribution.

    Answers the donor, project and pledge found. Every field is checked, so
    one answer names them all; an input given as None is not checked (left
    out, or refused already by the caller's own validation).
    """

    districts = schools_administered_by(by).values("district")
    project = None
    if project_id is not None:
        project = AidProject.objects.filter(pk=project_id, district__in=districts).first()
        if project is None:
            errors.add("project", _("Unknown project."))
    donor = None
    if donor_id is not None:
        donors = Donor.objects.filter(pk=donor_id)
        if project is not None:
            donor = donors.filter(district=project.district).first()
        else:
            donor = donors.filter(district__in=districts).first()
        if donor is None:
            errors.add("donor", _("Unknown donor in this project's district."))
    if amount_fen is not None and (
        not isinstance(amount_fen, int) or amount_fen <= 0 or amount_fen > MAX_AMOUNT_FEN
    ):
        errors.add("amount", _("The amount must be more than zero."))
    if received_on is not None and received_on > timezone.localdate():
        errors.add("received_on", _("Money cannot be received in the future."))
    pledge = None
    if pledge_id is not None:
        pledges = Pledge.objects.filter(pk=pledge_id, kind=PledgeKind.MONEY).exclude(
            status=PledgeStatus.CANCELLED
        )
        if donor is not None:
            pledge = pledges.filter(donor=donor).first()
        else:
            pledge = pledges.filter(donor__district__in=districts).first()
        if pledge is None or (project is not None and pledge.project_id not in (None, project.pk)):
            errors.add("pledge", _("No open money pledge of this donor for this project."))
    return donor, project, pledge


@transaction.atomic
def contribution_record(
    *,
    by: User,
    donor_id: int,
    project_id: int,
    amount_fen: int,
    received_on,
    memo: str = "",
    pledge_id: int | None = None,
) -> Contribution:
    """Record money received, perhaps honouring a pledge; it is posted in the background.

    Every field is checked before anything is written; all that is wrong is
    refused in one `FieldErrors`.
    """
    donor, project, pledge = checked(
        contribution_record_problems,
        by=by,
        donor_id=donor_id,
        project_id=project_id,
        amount_fen=amount_fen,
        received_on=received_on,
        pledge_id=pledge_id,
    )
    contribution = Contribution.objects.create(
        donor=donor,
        project=project,
        amount_fen=amount_fen,
        received_on=received_on,
        memo=memo,
        pledge=pledge,
        recorded_by=by,
    )
    contribution_received.send(sender=Contribution, contribution_id=contribution.pk, by=by)
    return contribution


@transaction.atomic
def contribution_post(*, contribution_id: int) -> Contribution:
    """Post a contribution to its project's account, once: a second call changes nothing.

    The contribution row is locked, so two workers posting it at the same
    time queue, and the second finds it posted.
    """
    contribution = (
        Contribution.objects.select_for_update().select_related("project").get(pk=contribution_id)
    )
    if contribution.status == ContributionStatus.POSTED:
        return contribution
    entry = ledger_post(
        account_id=fund_account_of(contribution.project).pk,
        kind=LedgerKind.CONTRIBUTION,
        amount_fen=contribution.amount_fen,
        by=contribution.recorded_by,
        memo=_("Contribution of %(donor)s") % {"donor": contribution.donor.name},
    )
    contribution.status = ContributionStatus.POSTED
    contribution.ledger_entry = entry
    contribution.receipt_number = f"{contribution.project.code}-{contribution.pk:08d}"
    contribution.posted_at = timezone.now()
    contribution.save(update_fields=["status", "ledger_entry", "receipt_number", "posted_at"])
    if contribution.pledge_id:
        pledge_refresh_status(pledge_id=contribution.pledge_id, today=timezone.localdate())
    return contribution


def contribution_post_receipt(*, contribution_id: int, progress: Progress) -> dict:
    """Post the contribution (`contribution_post`) and name what the posting made."""
    contribution = contribution_post(contribution_id=contribution_id)
    progress(100)
    return {
        "contribution": contribution.pk,
        "receipt_number": contribution.receipt_number,
        "ledger_entry": contribution.ledger_entry_id,
    }
