"""Plain tests for invariant violations of the money (tests/donations/test_money_invariants.py).

1. awarded ≤ received: an award by hand promised money the project's
   account did not hold (award_create checked no funds). Fixed in
   award_create: it locks the account and refuses an award beyond the
   balance not yet promised to unpaid awards, as allocate does.
2. awarded ≤ received: reversing an appropriation took back money already
   promised to unpaid awards. Fixed in aid.appropriation_reverse: refused
   while the rest of the balance would not cover the unpaid awards.
"""

import pytest

from core.errors import Conflict
from donations.models import AidProject, Award, FundSource, LedgerEntry, LedgerKind
from donations.services.awards import award_create
from donations.services.ledger import fund_account_of, ledger_post
from donations.services.projects import appropriation_reverse
from workers.factories import StudentFactory, TermFactory


@pytest.fixture
def project(district):
    return AidProject.objects.create(
        district=district, code="GOV", name="Living", source=FundSource.PROVINCIAL, purpose="x"
    )


def appropriate(project, amount_fen):
    return ledger_post(
        account_id=fund_account_of(project).pk,
        kind=LedgerKind.APPROPRIATION,
        amount_fen=amount_fen,
        by=None,
    )


def grant(by, project, school, amount_fen):
    return award_create(
        by=by,
        project_id=project.pk,
        student_id=StudentFactory(school=school).pk,
        term_id=TermFactory(district=project.district).pk,
        amount_fen=amount_fen,
    )


@pytest.mark.django_db
def test_an_award_by_hand_of_an_empty_account_is_refused(project, district_admin, school_a):
    with pytest.raises(Conflict) as refused:
        grant(district_admin, project, school_a, 1)
    assert refused.value.field == "amount"
    assert not Award.objects.exists()


@pytest.mark.django_db
def test_an_appropriation_promised_to_unpaid_awards_is_not_reversed(
    project, district_admin, school_a
):
    entry = appropriate(project, 10_000)
    grant(district_admin, project, school_a, 4_000)
    with pytest.raises(Conflict) as refused:
        appropriation_reverse(by=district_admin, entry_id=entry.pk, memo="entered twice")
    assert refused.value.field == "entry"
    assert not LedgerEntry.objects.filter(kind=LedgerKind.REVERSAL).exists()
    # With more money in, the mistaken entry can go.
    appropriate(project, 10_000)
    reversal = appropriation_reverse(by=district_admin, entry_id=entry.pk, memo="entered twice")
    assert reversal.reverses_id == entry.pk
    assert fund_account_of(project).balance_fen == 10_000
