"""The report benchmark's money: aid projects, awards, the ledger, donations (bench/report.py).

Written after the county's people (bench/report_county.py), with ids laid
out here like theirs; not timed.
"""

import datetime

from bench.report_county import TERM_START, County, insert_with_ids


def populate_money(county: County, *, n_students: int, n_ledger: int) -> int:
    """Four projects, awards to the approved and the boarders; returns the number of awards."""
    from django.utils import timezone

    from donations import models as d

    term, district, admin = county.term, county.district, county.admin
    approved, school_of = county.approved, county.school_of
    now = timezone.now()
    # Aid: four projects; awards to the approved and the boarders, all paid but 5 %.
    projects = [
        ("BOARDING", "寄宿生生活补助", "provincial", "boarding"),
        ("PRESCHOOL", "学前资助", "central", "preschool"),
        ("NUTRITION", "营养改善", "county", "nutrition"),
        ("LOVE", "爱心助学金", "social", "tuition"),
    ]
    insert_with_ids(
        d.AidProject,
        [
            "id",
            "district_id",
            "code",
            "name",
            "source",
            "purpose",
            "levels",
            "tiers",
            "boarding",
            "gender",
            "late_after_days",
        ],
        [(k + 1, district.pk, *p, [], [], "any", "", 30) for k, p in enumerate(projects)],
    )
    eligible = sorted(set(approved) | {i for i in range(n_students) if i % 4 == 0})
    award_rows, k = [], 0
    for project in (1, 2, 3):
        for i in eligible:
            award_rows.append((k + 1, project, i + 1, term.pk, 75_000, projects[project - 1][3], i))
            k += 1
    # All paid but one in twenty; donations make up the rest of the ledger's rows.
    paid = [a for n, a in enumerate(award_rows) if n % 20 != 0][: n_ledger * 7 // 10]
    contributions_n = max(0, n_ledger - len(paid) - 6)
    paid_ids = {a[0] for a in paid}
    # A fixed day before every payment (paid 50 days into the term): the database
    # refuses a payment dated before its award was made.
    created = datetime.datetime.combine(
        TERM_START + datetime.timedelta(days=10), datetime.time(4), tzinfo=datetime.UTC
    )
    award_table = (
        d.Award,
        [
            "id",
            "project_id",
            "student_id",
            "term_id",
            "amount_fen",
            "status",
            "purpose",
            "term_code",
            "student_id_hash",
            "reason",
            "late_since",
            "created_at",
        ],
        [
            (
                a[0],
                a[1],
                a[2],
                a[3],
                a[4],
                "paid" if a[0] in paid_ids else "awarded",
                a[5],
                term.code,
                f"h{a[6]:063d}",
                "",
                None if a[0] in paid_ids else TERM_START,
                created,
            )
            for a in award_rows
        ],
    )
    # Each account receives every award of its project, paid or not, and a
    # million fen more: the database refuses awards beyond what an account
    # holds (donations migration 0013), so the awards are written after the
    # ledger and before their payments.
    need = {p: 0 for p in (1, 2, 3, 4)}
    for a in award_rows:
        need[a[1]] += a[4]
    sources = {1: ["provincial", "county"], 2: ["central", "provincial"], 3: ["county", "school"]}
    fundings, ledger, funding_id, entry_id = [], [], 1, 1
    balance = {p: 0 for p in (1, 2, 3, 4)}
    for project, names_ in sources.items():
        half = need[project] // 2
        for n, source in enumerate(names_):
            amount = half if n == 0 else need[project] - half + 1_000_000
            fundings.append((funding_id, project, term.pk, source, amount))
            balance[project] += amount
            ledger.append(
                (entry_id, project, "appropriation", amount, balance[project], source, funding_id)
            )
            funding_id += 1
            entry_id += 1
    insert_with_ids(
        d.ProjectFunding, ["id", "project_id", "term_id", "source", "amount_fen"], fundings
    )
    disbursement_rows = []
    for n, a in enumerate(paid):
        balance[a[1]] -= a[4]
        ledger.append((entry_id, a[1], "disbursement", -a[4], balance[a[1]], "", None))
        disbursement_rows.append(
            (
                n + 1,
                a[0],
                1,
                a[4],
                "bank_transfer",
                TERM_START + datetime.timedelta(days=50),
                f"B{n}",
                entry_id,
                admin.pk,
            )
        )
        entry_id += 1
    donors = 2_000
    insert_with_ids(
        d.Donor,
        ["id", "district_id", "kind", "name", "anonymous"],
        [
            (
                k + 1,
                district.pk,
                ["organisation", "staff", "individual"][k % 3],
                f"捐赠人{k}",
                k % 5 == 0,
            )
            for k in range(donors)
        ],
    )
    contribution_rows = []
    for n in range(contributions_n):
        amount = 10_000 + (n % 50) * 1_000
        balance[4] += amount
        ledger.append((entry_id, 4, "contribution", amount, balance[4], "", None))
        contribution_rows.append(
            (
                n + 1,
                1 + n % donors,
                4,
                amount,
                TERM_START + datetime.timedelta(days=n % 120),
                "posted",
                f"R{n:09d}",
                entry_id,
                now,
            )
        )
        entry_id += 1
    insert_with_ids(
        d.FundAccount,
        ["id", "project_id", "balance_fen"],
        [(p, p, balance[p]) for p in (1, 2, 3, 4)],
    )
    insert_with_ids(
        d.LedgerEntry,
        ["id", "account_id", "kind", "amount_fen", "balance_after_fen", "source", "funding_id"],
        ledger,
    )
    insert_with_ids(*award_table)
    insert_with_ids(
        d.Disbursement,
        [
            "id",
            "award_id",
            "instalment",
            "amount_fen",
            "method",
            "paid_on",
            "bank_reference",
            "ledger_entry_id",
            "paid_by_id",
        ],
        disbursement_rows,
    )
    insert_with_ids(
        d.Contribution,
        [
            "id",
            "donor_id",
            "project_id",
            "amount_fen",
            "received_on",
            "status",
            "receipt_number",
            "ledger_entry_id",
            "posted_at",
        ],
        contribution_rows,
    )
    d.Allocation.objects.create(
        project_id=1,
        term=term,
        left_out=[
            {
                "student": i + 1,
                "school": school_of[i],
                "tier": "hardship",
                "rank": n,
                "reason": ["quota_full", "funds_exhausted", "duplicate_aid"][n % 3],
            }
            for n, i in enumerate(eligible[-2_000:])
        ],
    )
    insert_with_ids(
        d.ItemKind,
        ["id", "district_id", "name", "unit", "stock"],
        [(1, district.pk, "课外读物", "本", 0), (2, district.pk, "文具", "套", 0)],
    )
    insert_with_ids(
        d.ItemDonation,
        [
            "id",
            "donor_id",
            "item_kind_id",
            "quantity",
            "value_fen",
            "received_on",
            "recorded_by_id",
        ],
        [
            (k + 1, 1 + k % donors, 1 + k % 2, 100, 200_000, TERM_START, admin.pk)
            for k in range(1_000)
        ],
    )
    insert_with_ids(
        d.ItemDistribution,
        [
            "id",
            "item_kind_id",
            "student_id",
            "quantity",
            "given_on",
            "signed_by_student",
            "signed_by_guardian",
            "given_by_id",
        ],
        [
            (k + 1, 1 + k % 2, 1 + (k * 5) % n_students, 2, TERM_START, True, True, admin.pk)
            for k in range(20_000)
        ],
    )
    insert_with_ids(
        d.Pledge,
        ["id", "donor_id", "kind", "project_id", "purpose", "schedule", "status", "created_by_id"],
        [
            (
                k + 1,
                1 + k,
                "money",
                4,
                "",
                "once",
                ["fulfilled", "overdue", "pledged"][k % 3],
                admin.pk,
            )
            for k in range(500)
        ],
    )
    insert_with_ids(
        d.PledgeInstalment,
        ["id", "pledge_id", "due_on", "amount"],
        [(k + 1, k + 1, TERM_START + datetime.timedelta(days=30), 100_000) for k in range(500)],
    )
    return len(award_rows)
