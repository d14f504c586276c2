"""The report's arithmetic on its own: no database, plain data in and out."""

import pytest

from workers.reporting import figures
from workers.reporting.arithmetic import average, change
from workers.reporting.figures import compose, money_check, share, yuan


@pytest.mark.parametrize(
    "part, whole, expected",
    [
        (28, 251, "11.16"),
        (28, 28, "100.00"),
        (1, 3, "33.33"),
        (2, 3, "66.67"),
        # Exactly half a hundredth rounds up, not to even: 1/8 = 12.5 %, 1/16 = 6.25 %.
        (1, 16, "6.25"),
        (1, 800, "0.13"),
        (1, 400, "0.25"),
        (0, 5, "0.00"),
    ],
)
def test_share_has_two_decimals_rounded_half_up(part, whole, expected):
    assert share(part, whole) == expected


def test_share_of_nothing_is_unknown_not_zero():
    assert share(0, 0) is None
    assert share(5, 0) is None


def test_half_cent_rounds_up_where_banker_rounding_would_not():
    # 0.125 % → 0.13 (half-up); round-half-even would give 0.12.
    assert share(1, 800) == "0.13"
    assert average(5, 2) == "2.5"
    assert average(1, 4) == "0.3"
    assert average(0, 0) is None


def test_money_is_yuan_with_two_places_without_float():
    assert yuan(2_800_000) == "28000.00"
    assert yuan(31_250) == "312.50"
    assert yuan(-5) == "-0.05"
    assert yuan(10**17 + 1) == "1000000000000000.01"


def test_change_of_counts_money_and_shares():
    assert change(331, 280) == 51
    assert change("11.16", "10.00") == "1.16"
    assert change("100.00", None) is None
    assert change(None, 3) is None


def raw_kindergarten(previous_enrolment=None):
    """The seeds' kindergarten as the collector would answer it."""
    school = {"id": 7, "code": "KG", "name": "幼儿园", "level": "preschool"}
    return {
        "term": {"code": "2026-autumn"},
        "scope": "school",
        "district": {"code": "D", "name": "县"},
        "schools": [school],
        "tiers": [{"code": "hardship", "name": "困难"}],
        "enrolment": [
            {
                "school": 7,
                "level": "preschool",
                "boarding": False,
                "students": previous_enrolment or 251,
                "needing_mentor": 28,
                "without_mentor": 28,
            }
        ],
        "scores": [],
        "assessments": [
            {"school": 7, "route": "application", "status": "approved", "tier": "hardship", "n": 28}
        ],
        "objections": [{"school": 7, "raised": 1, "answered": 0}],
        "awards": [
            {
                "school": 7,
                "project": 1,
                "students": 28,
                "awards": 28,
                "amount_fen": 2_800_000,
                "paid_awards": 28,
                "unpaid_awards": 0,
                "unpaid_fen": 0,
                "late": 0,
                "late_fen": 0,
            }
        ],
        "aided": [{"school": 7, "students": 28}],
        "payments": [
            {
                "school": 7,
                "project": 1,
                "payments": 28,
                "paid_fen": 2_800_000,
                "ledger_fen": -2_800_000,
                "days_total": 28 * 10 + 1,
                "days_max": 11,
            }
        ],
        "projects": [
            {"id": 1, "code": "AID", "name": "资助", "source": "provincial", "purpose": "x"}
        ],
        "funding": [
            {"project": 1, "source": "provincial", "allocated_fen": 1_890_000},
            {"project": 1, "source": "county", "allocated_fen": 910_000},
        ],
        "received": [
            {"project": 1, "source": "provincial", "received_fen": 1_890_000},
            {"project": 1, "source": "county", "received_fen": 455_000},
        ],
        "paid_project": [{"project": 1, "paid_fen": 2_800_000}],
        "left_out": [
            {"project": 1, "school": 7, "student": 3, "reason": "quota_full", "detail": ""},
            {"project": 1, "school": 7, "student": 4, "reason": "duplicate_aid", "detail": ""},
            {"project": 1, "school": 99, "student": 5, "reason": "quota_full", "detail": ""},
        ],
        "accounts": [{"project": 1, "balance_fen": 0, "ledger_fen": 0}],
        "pairings": [],
        "branch_pairings": [],
        "branch_mentors": [],
        "mentors": [],
        "mentors_total": [],
        "sponsoring": [],
        "sponsoring_total": 0,
        "sessions": [],
        "compliance": [
            {"school": 7, "branch": "一支部", "week": "2026-09-07", "weeks": 3, "met": 2},
            {"school": 7, "branch": "二支部", "week": "2026-09-07", "weeks": 1, "met": 1},
        ],
        "streaks": [{"school": 7, "pairings": 2, "longest": 3}],
        "donations": [
            {
                "donor_name": "赵某",
                "donor_kind": "individual",
                "anonymous": True,
                "project_code": "AID",
                "amount_fen": 100,
                "contributions": 1,
            }
        ],
        "donation_ledger": [{"project": 1, "amount_fen": 100, "ledger_fen": 100}],
        "pledges": [{"status": "fulfilled", "n": 2}, {"status": "overdue", "n": 1}],
        "items_received": [
            {
                "item": 1,
                "name": "书",
                "unit": "本",
                "quantity": 10,
                "value_fen": 3_000,
                "all_quantity": 30,
                "all_value_fen": 10_000,
            }
        ],
        "items_given": [{"item": 1, "quantity": 4}],
        "refusals_recorded": False,
    }


def test_compose_the_seeds_kindergarten():
    data = compose(raw_kindergarten())
    headline = data["headline"]
    assert headline["aided_share"] == "11.16"
    assert headline["awarded"] == "28000.00"
    assert headline["allocated_by_source"] == {"provincial": "18900.00", "county": "9100.00"}
    # Half the district's share has arrived: (18,900 + 4,550) / 28,000.
    assert headline["government_arrival_rate"] == "83.75"
    # Paid ÷ awarded: 28,000 / 28,000.
    assert headline["government_payout_rate"] == "100.00"
    aid = data["aid"]["schools"]["KG"]
    assert aid["average_days_to_payment"] == "10.0"
    assert aid["longest_days_to_payment"] == 11
    # The left-out student of another school is not this report's.
    assert aid["left_out"] == 2
    assert data["aid"]["projects"][0]["left_out_by_reason"] == {
        "duplicate_aid": 1,
        "quota_full": 1,
    }
    problems = data["problems"]["total"]
    assert problems["duplicate_aid_refused"] == 1
    assert problems["unanswered_objections"] == 1
    assert problems["missed_streaks"] == 2 and problems["longest_streak"] == 3
    mentoring = data["mentoring"]
    assert mentoring["total"]["compliance_share"] == "75.00"
    assert mentoring["party_branches"]["一支部"]["compliance_share"] == "66.67"
    assert mentoring["weeks"] == [{"week": "2026-09-07", "weeks": 4, "met": 3, "share": "75.00"}]
    donations = data["donations"]
    assert donations["by_donor"] == [
        {
            "donor": None,
            "kind": None,
            "anonymous": True,
            "amount": "1.00",
            "contributions": 1,
            "projects": ["AID"],
        }
    ]
    assert "赵某" not in str(data)
    assert donations["pledges"]["fulfilled"] == 2 and donations["pledges"]["overdue"] == 1
    # 4 books given, valued at the average of every book received: 4 × 100.00 / 30.
    assert donations["items"][0]["given_value"] == "13.33"


def test_compose_compares_with_the_previous_term():
    data = compose(raw_kindergarten(), raw_kindergarten(previous_enrolment=280))
    assert data["comparison"]["enrolment"] == {"current": 251, "previous": 280, "change": -29}
    assert data["comparison"]["aided_share"] == {
        "current": "11.16",
        "previous": "10.00",
        "change": "1.16",
    }
    assert data["comparison_by_school"]["KG"]["aided_share"] == {
        "current": "11.16",
        "previous": "10.00",
        "change": "1.16",
    }
    alone = compose(raw_kindergarten())
    assert alone["comparison_by_school"]["KG"]["enrolment"] == {
        "current": 251,
        "previous": None,
        "change": None,
    }


def test_bureau_table_splits_aid_by_level_project_and_category():
    raw = raw_kindergarten()
    raw["award_categories"] = [
        {
            "school": 7,
            "project": 1,
            "category": "dibao",
            "students": 5,
            "awards": 5,
            "amount_fen": 500_000,
        },
        {
            "school": 7,
            "project": 1,
            "category": "monitored_household",
            "students": 3,
            "awards": 3,
            "amount_fen": 300_000,
        },
        {
            "school": 7,
            "project": 1,
            "category": "",
            "students": 20,
            "awards": 20,
            "amount_fen": 2_000_000,
        },
    ]
    [row] = compose(raw)["aid"]["bureau"]
    assert (row["level"], row["project"], row["amount"], row["students"], row["awards"]) == (
        "preschool",
        "AID",
        "28000.00",
        28,
        28,
    )
    assert row["categories"]["dibao"] == {"amount": "5000.00", "students": 5, "awards": 5}
    assert row["categories"]["poverty"]["students"] == 3
    assert row["categories"]["other"]["amount"] == "20000.00"
    assert row["categories"]["martyr"] == {"amount": "0.00", "students": 0, "awards": 0}


def test_money_check_names_each_disagreement():
    raw = raw_kindergarten()
    assert money_check(raw) == []
    raw["payments"][0]["ledger_fen"] = -2_700_000
    raw["donation_ledger"][0]["ledger_fen"] = 0
    raw["accounts"][0]["balance_fen"] = 5
    problems = money_check(raw)
    assert problems == [
        "AID: paid 28000.00 in the report, 27000.00 out of the ledger",
        "AID: donations 1.00 in the report, 0.00 in the ledger",
        "AID: account balance 0.05, ledger sum 0.00",
    ]


def _imports(module) -> set[str]:
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(module))
    return {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    } | {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}


def test_the_arithmetic_imports_no_django():
    from core import money
    from donations import money_words
    from workers.reporting import arithmetic, figures_aid, figures_committees, reconcile

    # The report's arithmetic and its money words are pure: no Django, no database.
    # mentoring.outcomes holds the identification's outcome words, and core.money
    # the fen and yuan they are counted in, pure as well. The figures are split by
    # section; each part is as pure as the whole.
    assert _imports(figures) == {
        "collections",
        "core.money",
        "decimal",
        "donations.money_words",
        "mentoring.outcomes",
        "workers.reporting.arithmetic",
        "workers.reporting.figures_aid",
        "workers.reporting.figures_committees",
    }
    assert _imports(figures_committees) == {"core.money"}
    assert _imports(figures_aid) == {
        "collections",
        "core.money",
        "donations.money_words",
        "workers.reporting.arithmetic",
    }
    assert _imports(arithmetic) == {"decimal"}
    assert _imports(reconcile) == {"core.money", "donations.money_words"}
    assert _imports(money_words) == {"core.money", "decimal"}
    assert _imports(money) == {"decimal"}
    from mentoring import outcomes

    assert _imports(outcomes) == set()
