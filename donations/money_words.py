"""The money words, defined once: what allocated, received, awarded and paid mean, and their rates.

Pure arithmetic, no Django: the term report (`workers.reporting`) and the
donations app both import it; fen and yuan themselves are core's (core.money).
README §"Money words" says the same in prose.

- **allocated** (下达): what the sources assigned to a project for the term,
  the sum of its funding rows (`ProjectFunding`), split by source.
- **received** (到位): allocated money that arrived in the project's account,
  the appropriations posted against the term's funding (or, naming no
  funding, posted during the term), net of their reversals; never more than
  allocated. A donation is not "received" in this sense: it arrives without
  an allocation and is reported as a donation.
- **awarded** (应发): the sum of the term's awards that are not cancelled.
- **paid** (实发): the sum of the payments of those awards, net of payments reversed.
- **arrival rate** (资金到位率) = received ÷ allocated.
- **payout rate** (资金发放率) = paid ÷ awarded.

Government funds are the projects whose source is a government or the
school (public money); social funds are the projects whose source is
society (donations). The two are summed and rated apart, so a donation
project, which has awards and payments but no allocation, neither inflates
the government's payout rate nor dilutes its arrival rate. A rate with
nothing to divide by is None ("—"), never 0 %.
"""

from decimal import ROUND_HALF_UP, Decimal

from core.money import CENT, HUNDRED, yuan

GOVERNMENT = "government"
SOCIAL = "social"
FUND_GROUPS = (GOVERNMENT, SOCIAL)
# Project sources that are society's money; every other source is public money.
SOCIAL_SOURCES = frozenset({"social"})
# The four amounts every money figure is made of, in fen.
AMOUNTS = ("allocated", "received", "awarded", "paid")


def share(part: int, whole: int) -> str | None:
    """`part` of `whole` in per cent, two decimals, half-up: share(28, 251) == '11.16'.

    None when there is nothing to divide by, so a report says "—" rather than 0 %.
    """
    if not whole:
        return None
    value = (Decimal(part) * HUNDRED / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)
    return str(value)


def fund_group(source: str) -> str:
    """Which funds a project's money is: GOVERNMENT or SOCIAL, by the project's source."""
    return SOCIAL if source in SOCIAL_SOURCES else GOVERNMENT


def arrival_rate(*, received_fen: int, allocated_fen: int) -> str | None:
    """资金到位率: received ÷ allocated, in per cent."""
    return share(received_fen, allocated_fen)


def payout_rate(*, paid_fen: int, awarded_fen: int) -> str | None:
    """资金发放率: paid ÷ awarded, in per cent."""
    return share(paid_fen, awarded_fen)


def funds_counted(*, whole_district: bool, district_awards: int, own_awards: int) -> bool:
    """Whether a project's allocated and received money counts for a reader of some schools.

    Allocated and received belong to a project as a whole; awarded and paid to
    the schools read. For the whole district every project's money counts; for
    some of its schools (a school's report, a school administrator's console)
    only a project whose awards of the term (`district_awards`, the district's)
    are all theirs (`own_awards`): a project shared with other schools is left
    out of their allocated and received totals and arrival rate.
    """
    return whole_district or district_awards <= own_awards


def money_figures(sums: dict) -> dict:
    """The four amounts of `sums` (fen, missing = 0) as yuan, with the two rates built on them."""
    amounts = {name: sums.get(name, 0) for name in AMOUNTS}
    return {
        **{name: yuan(value) for name, value in amounts.items()},
        "arrival_rate": arrival_rate(
            received_fen=amounts["received"], allocated_fen=amounts["allocated"]
        ),
        "payout_rate": payout_rate(paid_fen=amounts["paid"], awarded_fen=amounts["awarded"]),
    }
