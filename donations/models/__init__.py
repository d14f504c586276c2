"""The donations app's models, one module per part; all of them importable from here.

Django finds an app's models through this module, so it imports every one:
`from donations.models import Award` stays the way to name them.
"""

from donations.models.awards import (
    MAX_INSTALMENTS,
    AidRefusal,
    Award,
    AwardInstalment,
    AwardStatus,
    Disbursement,
    PaymentMethod,
    RefusalVia,
)
from donations.models.committees import (
    CommitteeQuota,
    CommitteeReview,
    ReviewDecision,
    ReviewState,
)
from donations.models.donors import (
    Contribution,
    ContributionStatus,
    Donor,
    DonorKind,
    Pledge,
    PledgeInstalment,
    PledgeKind,
    PledgeSchedule,
    PledgeStatus,
)
from donations.models.items import ItemDistribution, ItemDonation, ItemKind
from donations.models.ledger import FundAccount, LedgerEntry, LedgerKind
from donations.models.payment_batches import PaymentBatch, PaymentBatchRow, PaymentRowStatus
from donations.models.projects import (
    AidProject,
    Allocation,
    Boarding,
    FundSource,
    ProjectFunding,
    ProjectQuota,
    ProjectStandard,
    ProjectTierShare,
    term_amount_fen,
)

__all__ = [
    "MAX_INSTALMENTS",
    "AidProject",
    "AidRefusal",
    "Allocation",
    "Award",
    "AwardInstalment",
    "AwardStatus",
    "Boarding",
    "CommitteeQuota",
    "CommitteeReview",
    "Contribution",
    "ContributionStatus",
    "Disbursement",
    "Donor",
    "DonorKind",
    "FundAccount",
    "FundSource",
    "ItemDistribution",
    "ItemDonation",
    "ItemKind",
    "LedgerEntry",
    "LedgerKind",
    "PaymentBatch",
    "PaymentBatchRow",
    "PaymentMethod",
    "PaymentRowStatus",
    "Pledge",
    "PledgeInstalment",
    "PledgeKind",
    "PledgeSchedule",
    "PledgeStatus",
    "ProjectFunding",
    "ProjectQuota",
    "ProjectStandard",
    "ProjectTierShare",
    "RefusalVia",
    "ReviewDecision",
    "ReviewState",
    "term_amount_fen",
]
