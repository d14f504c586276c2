"""The reconciliation of a built report: it passes on consistent figures and names each fault."""

import copy

import pytest

from core.money import fen
from tests.workers.test_report_figures import raw_kindergarten
from workers.reporting.figures import compose
from workers.reporting.reconcile import reconcile

# What the kindergarten's ledger holds: 28,000 paid, 23,450 received, 1.00 donated.
LEDGER = {
    "received": {"AID": 2_345_000},
    "paid": {"AID": 2_800_000},
    "donated": {"AID": 100},
}


def kindergarten():
    return compose(with_categories(raw_kindergarten()))


def with_categories(raw):
    raw["award_categories"] = [
        {"school": 7, "project": 1, "category": "dibao", "students": 5, "awards": 5,
         "amount_fen": 500_000},
        {"school": 7, "project": 1, "category": "", "students": 23, "awards": 23,
         "amount_fen": 2_300_000},
    ]  # fmt: skip
    return raw


def test_the_seeds_kindergarten_reconciles():
    assert reconcile(kindergarten(), LEDGER) == []


def _set(data, path, value):
    *parents, last = path
    for key in parents:
        data = data[key]
    data[last] = value


@pytest.mark.parametrize(
    "path, value, named",
    [
        # A total that is not the sum of its schools.
        (("enrolment", "total", "students"), 250, "enrolment students"),
        (("aid", "total", "paid"), "27999.99", "aid paid"),
        # A split by source that does not add up to the figure it splits.
        (("headline", "allocated_by_source", "county"), "9000.00", "headline allocated by source"),
        (("aid", "funds", "by_source", "provincial", "received"), "1.00", "by source"),
        # A fund group's figure, or a rate that is not its money words' division.
        (("aid", "funds", "government", "payout_rate"), "99.00", "government funds payout_rate"),
        (("aid", "funds", "social", "awarded"), "5.00", "all funds awarded"),
        # 人数 > 人次.
        (("aid", "schools", "KG", "students"), 29, "人数"),
        # The bureau's categories against its row.
        (("aid", "bureau", 0, "categories", "dibao", "awards"), 6, "bureau table"),
        (("mentoring", "total", "pair_weeks"), 5, "mentoring pair_weeks"),
        (("donations", "by_donor", 0, "amount"), "2.00", "donations by donor"),
    ],
)
def test_a_corrupted_figure_is_reported(path, value, named):
    data = kindergarten()
    _set(data, path, value)
    failures = reconcile(data, LEDGER)
    assert failures, f"{path} corrupted, nothing reported"
    assert any(named in failure for failure in failures), failures


def test_money_apart_from_the_ledger_is_reported():
    data = kindergarten()
    ledger = copy.deepcopy(LEDGER)
    ledger["paid"]["AID"] -= 100_000
    ledger["received"]["OTHER"] = 5
    ledger["donated"]["AID"] = 0
    failures = reconcile(data, ledger)
    assert "AID paid: 28000.00 in the report, 27000.00 in the ledger" in failures
    assert "OTHER received: not in the report, 0.05 in the ledger" not in failures  # school scope
    assert "AID donated: 1.00 in the report, 0.00 in the ledger" in failures
    data["scope"] = "district"
    assert "OTHER received: not in the report, 0.05 in the ledger" in reconcile(data, ledger)


def test_a_donation_project_does_not_inflate_the_government_payout_rate():
    raw = with_categories(raw_kindergarten())
    raw["award_categories"].append(
        {"school": 7, "project": 2, "category": "", "students": 2, "awards": 2,
         "amount_fen": 20_000}
    )  # fmt: skip
    raw["projects"].append(
        {"id": 2, "code": "GIFT", "name": "捐助", "source": "social", "purpose": "gift"}
    )
    raw["awards"].append(
        {"school": 7, "project": 2, "students": 2, "awards": 2, "amount_fen": 20_000,
         "paid_awards": 2, "unpaid_awards": 0, "unpaid_fen": 0, "late": 0, "late_fen": 0}
    )  # fmt: skip
    raw["payments"].append(
        {"school": 7, "project": 2, "payments": 2, "paid_fen": 20_000, "ledger_fen": -20_000,
         "days_total": 2, "days_max": 1}
    )  # fmt: skip
    raw["aided"][0]["students"] = 29  # one of the two was aided by the government's too
    # The government paid half of its awards.
    raw["payments"][0]["paid_fen"] = 1_400_000
    data = compose(raw)
    funds = data["aid"]["funds"]
    assert funds["government"]["payout_rate"] == "50.00"
    assert funds["social"]["payout_rate"] == "100.00"
    # Nothing was allocated to the gift: no arrival rate, and none of it in the government's.
    assert funds["social"]["arrival_rate"] is None
    assert funds["government"]["arrival_rate"] == "83.75"
    assert funds["all"]["paid"] == "14200.00" == data["headline"]["paid"]
    assert fen(funds["all"]["awarded"]) == 2_800_000 + 20_000
    ledger = {"received": {"AID": 2_345_000}, "paid": {"AID": 1_400_000, "GIFT": 20_000},
              "donated": {"AID": 100}}  # fmt: skip
    assert reconcile(data, ledger) == []


def as_issued_before_the_money_words(data):
    """The figures in the shape versions had before the money words, as stored then."""
    old = copy.deepcopy(data)
    for project in old["aid"]["projects"]:
        for name in ("fund_group", "awarded", "paid", "arrival_rate", "payout_rate"):
            project.pop(name)
        project["paid_in_project"] = project["total"]["paid"]
    funds = old["aid"]["funds"]
    old["aid"]["funds"] = {
        "shared_projects": funds["shared_projects"],
        "allocated": funds["all"]["allocated"],
        "received": funds["all"]["received"],
        "paid": funds["all"]["paid"],
        "arrival_rate": "83.75",
        "payout_rate": "119.40",
        "by_source": funds["by_source"],
    }
    headline = old["headline"]
    for key in [k for k in headline if k.startswith(("government_", "social_"))]:
        headline.pop(key)
    headline.pop("received_by_source")
    headline.update(arrival_rate="83.75", payout_rate="119.40")
    return old


def test_a_version_issued_before_the_money_words_reads_and_renders_as_a_current_one():
    from workers.reporting import exports
    from workers.reporting.figures import with_money_words

    current = kindergarten()
    upgraded = with_money_words(as_issued_before_the_money_words(current))
    assert upgraded["aid"]["funds"] == current["aid"]["funds"]
    assert upgraded["headline"] == current["headline"]
    assert reconcile(upgraded, LEDGER) == []
    page = exports.to_html(upgraded, language="zh-hans")
    assert 'data-figure="government_payout_rate">100.00%' in page
    assert with_money_words(current) is current
