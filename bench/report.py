"""Benchmark: the term report of a county on PostgreSQL, against hand-written SQL (the floor).

Run with `DATABASE_URL=postgres://... .venv/bin/python bench/report.py`
(`--students`, `--sessions`, `--ledger` to change the size). A fresh
database `<name>_report_bench` is created and dropped at the end. It holds a
county of 60 schools and 100,000 students with their identification, aid
(awards, payments and donations: 300,000 ledger rows), 40,000 mentoring
pairs with 2,000,000 sessions and their weekly compliance, written with
COPY (not timed). Then, in the same run:

- the report job (`report_build`: every aggregate query, the money check
  against the ledger, the figures, the records for administrators, the
  stored version), timed whole;
- the floor: hand-written SQL computing the same figures with the same
  groupings, one statement per figure, through a raw cursor, rows fetched
  and nothing else;
- both twice, the best of each kept, and a check that they agree.

Target (issue 7): the job within 2x the floor, and under 30 s.
"""

import argparse
import atexit
import datetime
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SEED = 2026
SCHOOLS = 60
TERM_START = datetime.date(2026, 9, 1)
WEEKS = 20


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL=postgres://... : the benchmark runs on PostgreSQL.")
    database = settings.DATABASES["default"]
    database["TEST"]["NAME"] = database["NAME"] + "_report_bench"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    atexit.register(lambda: connection.creation.destroy_test_db(old_name, verbosity=0))


def _ids(start, count):
    return range(start, start + count)


def populate(n_students: int, n_sessions: int, n_ledger: int):
    """The county, written with COPY and explicit ids; returns (term, admin, counts)."""
    from django.core.management.color import no_style
    from django.db import connection
    from django.utils import timezone

    from core import bulk
    from donations import models as d
    from mentoring import models as m

    rng = random.Random(SEED)
    now = timezone.now()
    district = m.District.objects.create(code="BENCH", name="基准县")
    admin = m.User.objects.create(username="bench-admin", is_superuser=True)
    previous = m.Term.objects.create(
        district=district,
        code="2026-spring",
        school_year="2025-2026",
        start_date=datetime.date(2026, 2, 20),
        end_date=datetime.date(2026, 7, 10),
    )
    term = m.Term.objects.create(
        district=district,
        code="2026-autumn",
        school_year="2026-2027",
        start_date=TERM_START,
        end_date=datetime.date(2027, 1, 22),
    )
    levels = ["preschool"] * 6 + ["primary"] * 42 + ["junior_middle"] * 12
    bulk.insert(
        m.School,
        ["id", "code", "name", "level", "district_id"],
        [(i + 1, f"B{i:03d}", f"学校{i}", levels[i], district.pk) for i in range(SCHOOLS)],
    )
    school_of = [1 + i % SCHOOLS for i in range(n_students)]
    bulk.insert(
        m.Student,
        [
            "id",
            "school_id",
            "student_number",
            "name",
            "gender",
            "birth_date",
            "id_hash",
            "id_masked",
        ],
        [
            (
                i + 1,
                school_of[i],
                f"{i:09d}",
                f"学生{i}",
                "male" if i % 2 else "female",
                datetime.date(2012 + i % 8, 1 + i % 12, 1),
                f"h{i:063d}",
                "**************0000",
            )
            for i in range(n_students)
        ],
    )
    struggling = [i % 5 == 0 for i in range(n_students)]
    records = []
    for i in range(n_students):
        level = levels[school_of[i] - 1]
        weak = ["math"] if struggling[i] else []
        records.append(
            (i + 1, i + 1, term.pk, level, 1 + i % 6, "1班", i % 4 == 0, struggling[i], weak)
        )
    names = [
        "id",
        "student_id",
        "term_id",
        "level",
        "grade",
        "class_name",
        "boarding",
        "struggling",
        "weak_subjects",
    ]
    bulk.insert(m.StudentRecord, names, records)
    # The previous term's roster, so the report compares (it reads that term too).
    bulk.insert(
        m.StudentRecord,
        names,
        [(n_students + r[0], r[1], previous.pk, *r[3:]) for r in records[: n_students * 9 // 10]],
    )
    # Identification: 15 % of the students, 1 in 4 from government lists; a few objections.
    assessed = [i for i in range(n_students) if i % 20 in (0, 3, 7)]
    statuses = ["approved"] * 8 + ["publicized", "rejected"]
    tiers = ["special_hardship", "hardship", "general_hardship", "not_in_hardship"]
    bulk.insert(
        m.Assessment,
        ["id", "student_id", "term_id", "route", "status", "tier", "need_score"],
        [
            (
                n + 1,
                i + 1,
                term.pk,
                "government_list" if n % 4 == 0 else "application",
                statuses[n % 10],
                tiers[n % 4],
                n % 100,
            )
            for n, i in enumerate(assessed)
        ],
    )
    approved = [i for n, i in enumerate(assessed) if statuses[n % 10] == "approved" and n % 4 != 3]
    bulk.insert(
        m.Objection,
        ["id", "assessment_id", "text", "answer", "answered_at"],
        [
            (
                k + 1,
                1 + k * 7 % len(assessed),
                "请核实",
                "已核实" if k % 3 else "",
                now if k % 3 else None,
            )
            for k in range(300)
        ],
    )
    bulk.insert(
        m.SubjectScore,
        ["id", "record_id", "subject", "start_score", "end_score"],
        [
            (k + 1, i + 1, "math", 50 + i % 20, 48 + i % 25)
            for k, i in enumerate(i for i in range(n_students) if struggling[i])
        ],
    )
    # Mentors: one per 20 students, of every kind, party members in two branches per school.
    n_mentors = n_students // 20
    kinds = ["party_teacher", "teacher", "teacher", "leader", "volunteer"]
    bulk.insert(
        m.User,
        [
            "id",
            "username",
            "password",
            "is_superuser",
            "is_staff",
            "is_active",
            "first_name",
            "last_name",
            "email",
            "date_joined",
        ],
        [
            (admin.pk + k + 1, f"mentor{k}", "!", False, False, True, "", "", "", now)
            for k in range(n_mentors)
        ],
    )
    mentor_school = [1 + k % SCHOOLS for k in range(n_mentors)]
    bulk.insert(
        m.Mentor,
        [
            "id",
            "user_id",
            "kind",
            "subjects",
            "grades",
            "party_branch",
            "gender",
            "capacity",
            "min_mentees",
            "active",
        ],
        [
            (
                k + 1,
                admin.pk + k + 1,
                kinds[k % 5],
                ["math"],
                [1, 2],
                f"{mentor_school[k]}校第{1 + k % 2}支部" if kinds[k % 5] == "party_teacher" else "",
                "female",
                20,
                1 if kinds[k % 5] in ("party_teacher", "leader") else 0,
                True,
            )
            for k in range(n_mentors)
        ],
    )
    bulk.insert(
        m.Mentor.schools.through,
        ["id", "mentor_id", "school_id"],
        [(k + 1, k + 1, mentor_school[k]) for k in range(n_mentors)],
    )
    # Pairings: the struggling (academic) and the approved (care), with a mentor of their school.
    by_school = {}
    for k in range(n_mentors):
        by_school.setdefault(mentor_school[k], []).append(k + 1)
    pairings = []
    for i in range(n_students):
        if struggling[i]:
            pairings.append((i, "academic"))
    for i in approved:
        pairings.append((i, "care"))
    pairing_rows, pairing_mentor = [], []
    for p, (i, kind) in enumerate(pairings):
        mentor = rng.choice(by_school[school_of[i]])
        pairing_mentor.append(mentor)
        status = "ended" if p % 50 == 0 else "active"
        pairing_rows.append(
            (
                p + 1,
                term.pk,
                i + 1,
                mentor,
                kind,
                status,
                TERM_START,
                TERM_START + datetime.timedelta(days=60) if status == "ended" else None,
            )
        )
    bulk.insert(
        m.Pairing,
        ["id", "term_id", "student_id", "mentor_id", "kind", "status", "started_on", "ended_on"],
        pairing_rows,
    )
    per_pairing, extra = divmod(n_sessions, len(pairings))
    sessions, next_id = [], 1
    for p, (_i, kind) in enumerate(pairings):
        for s in range(per_pairing + (p < extra)):
            sessions.append(
                (
                    next_id,
                    p + 1,
                    TERM_START + datetime.timedelta(days=(s * 3) % 140),
                    45,
                    "math" if kind == "academic" else "",
                    "tutoring" if kind == "academic" or s % 4 else "home_visit",
                    "辅导",
                    admin.pk + pairing_mentor[p],
                )
            )
            next_id += 1
        if len(sessions) >= 200_000:
            _insert_sessions(bulk, m, sessions)
            sessions = []
    _insert_sessions(bulk, m, sessions)
    weeks = []
    for p, (i, kind) in enumerate(pairings):
        if kind != "academic":
            continue
        streak = 0
        for w in range(WEEKS):
            met = (p + w) % 9 != 0
            streak = 0 if met else streak + 1
            monday = TERM_START - datetime.timedelta(days=1) + datetime.timedelta(days=7 * w)
            iso = monday.isocalendar()
            weeks.append(
                (
                    len(weeks) + 1,
                    p + 1,
                    term.pk,
                    school_of[i],
                    pairing_mentor[p],
                    monday,
                    iso[0],
                    iso[1],
                    1 if met else 0,
                    45 if met else 0,
                    0,
                    1,
                    met,
                    streak,
                )
            )
    bulk.insert(
        m.WeeklyCompliance,
        [
            "id",
            "pairing_id",
            "term_id",
            "school_id",
            "mentor_id",
            "week_start",
            "iso_year",
            "iso_week",
            "sessions",
            "minutes",
            "home_visits",
            "target_sessions",
            "met",
            "missed_streak",
        ],
        weeks,
    )

    # Aid: four projects; awards to the approved and the boarders, all paid but 5 %.
    projects = [
        ("BOARDING", "寄宿生生活补助", "provincial", "boarding"),
        ("PRESCHOOL", "学前资助", "central", "preschool"),
        ("NUTRITION", "营养改善", "county", "nutrition"),
        ("LOVE", "爱心助学金", "social", "tuition"),
    ]
    bulk.insert(
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
    created = now - datetime.timedelta(days=40)
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
    bulk.insert(d.ProjectFunding, ["id", "project_id", "term_id", "source", "amount_fen"], fundings)
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
    bulk.insert(
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
    bulk.insert(
        d.FundAccount,
        ["id", "project_id", "balance_fen"],
        [(p, p, balance[p]) for p in (1, 2, 3, 4)],
    )
    bulk.insert(
        d.LedgerEntry,
        ["id", "account_id", "kind", "amount_fen", "balance_after_fen", "source", "funding_id"],
        ledger,
    )
    bulk.insert(*award_table)
    bulk.insert(
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
    bulk.insert(
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
    bulk.insert(
        d.ItemKind,
        ["id", "district_id", "name", "unit", "stock"],
        [(1, district.pk, "课外读物", "本", 0), (2, district.pk, "文具", "套", 0)],
    )
    bulk.insert(
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
    bulk.insert(
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
    bulk.insert(
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
    bulk.insert(
        d.PledgeInstalment,
        ["id", "pledge_id", "due_on", "amount"],
        [(k + 1, k + 1, TERM_START + datetime.timedelta(days=30), 100_000) for k in range(500)],
    )
    models = [
        m.School,
        m.Student,
        m.StudentRecord,
        m.Assessment,
        m.Objection,
        m.SubjectScore,
        m.User,
        m.Mentor,
        m.Mentor.schools.through,
        m.Pairing,
        m.TutoringSession,
        m.WeeklyCompliance,
        d.AidProject,
        d.ProjectFunding,
        d.Award,
        d.Donor,
        d.FundAccount,
        d.LedgerEntry,
        d.Disbursement,
        d.Contribution,
        d.ItemKind,
        d.ItemDonation,
        d.ItemDistribution,
        d.Pledge,
        d.PledgeInstalment,
    ]
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
        cursor.execute("ANALYZE")
    counts = {
        "students": n_students,
        "pairings": len(pairings),
        "sessions": m.TutoringSession.objects.count(),
        "compliance weeks": len(weeks),
        "awards": len(award_rows),
        "ledger rows": d.LedgerEntry.objects.count(),
    }
    return term, district, admin, counts


def _insert_sessions(bulk, m, rows):
    bulk.insert(
        m.TutoringSession,
        ["id", "pairing_id", "date", "minutes", "subject", "kind", "content", "logged_by_id"],
        rows,
    )


FLOOR = {
    "enrolment": """
        SELECT s.school_id, r.level, r.boarding, count(*),
               count(*) FILTER (WHERE r.struggling OR ap.student_id IS NOT NULL),
               count(*) FILTER (WHERE (r.struggling OR ap.student_id IS NOT NULL)
                                AND pa.student_id IS NULL)
        FROM mentoring_studentrecord r
        JOIN mentoring_student s ON s.id = r.student_id
        LEFT JOIN (SELECT DISTINCT student_id FROM mentoring_assessment
                   WHERE term_id = %(term)s AND status = 'approved'
                   AND tier <> 'not_in_hardship') ap ON ap.student_id = r.student_id
        LEFT JOIN (SELECT DISTINCT student_id FROM mentoring_pairing
                   WHERE term_id = %(term)s AND status = 'active') pa
               ON pa.student_id = r.student_id
        WHERE r.term_id = %(term)s AND s.school_id = ANY(%(schools)s)
        GROUP BY 1, 2, 3""",
    "scores": """
        SELECT s.school_id, count(x.d), count(*) FILTER (WHERE x.d > 0)
        FROM mentoring_studentrecord r
        JOIN mentoring_student s ON s.id = r.student_id
        LEFT JOIN (SELECT record_id, sum(end_score - start_score) d FROM mentoring_subjectscore
                   WHERE start_score IS NOT NULL AND end_score IS NOT NULL
                   GROUP BY record_id) x ON x.record_id = r.id
        WHERE r.term_id = %(term)s AND r.struggling AND s.school_id = ANY(%(schools)s)
        GROUP BY 1""",
    "assessments": """
        SELECT s.school_id, a.route, a.status, a.tier, count(*)
        FROM mentoring_assessment a JOIN mentoring_student s ON s.id = a.student_id
        WHERE a.term_id = %(term)s AND s.school_id = ANY(%(schools)s) GROUP BY 1, 2, 3, 4""",
    "objections": """
        SELECT s.school_id, count(*), count(o.answered_at)
        FROM mentoring_objection o JOIN mentoring_assessment a ON a.id = o.assessment_id
        JOIN mentoring_student s ON s.id = a.student_id
        WHERE a.term_id = %(term)s AND s.school_id = ANY(%(schools)s) GROUP BY 1""",
    "awards": """
        SELECT s.school_id, w.project_id, count(DISTINCT w.student_id), count(*),
               sum(w.amount_fen), count(*) FILTER (WHERE w.status = 'paid'),
               count(*) FILTER (WHERE w.status = 'awarded'),
               coalesce(sum(w.amount_fen) FILTER (WHERE w.status = 'awarded'), 0),
               count(w.late_since), coalesce(sum(w.amount_fen) FILTER (WHERE w.late_since
               IS NOT NULL), 0)
        FROM donations_award w JOIN mentoring_student s ON s.id = w.student_id
        WHERE w.term_id = %(term)s AND w.status <> 'cancelled'
          AND s.school_id = ANY(%(schools)s)
        GROUP BY 1, 2""",
    "award_categories": """
        SELECT s.school_id, w.project_id, a.government_category, count(DISTINCT w.student_id),
               count(*), sum(w.amount_fen)
        FROM donations_award w JOIN mentoring_student s ON s.id = w.student_id
        LEFT JOIN mentoring_assessment a ON a.student_id = w.student_id AND a.term_id = w.term_id
        WHERE w.term_id = %(term)s AND w.status <> 'cancelled'
          AND s.school_id = ANY(%(schools)s)
        GROUP BY 1, 2, 3""",
    "aided": """
        SELECT s.school_id, count(DISTINCT w.student_id)
        FROM donations_award w JOIN mentoring_student s ON s.id = w.student_id
        WHERE w.term_id = %(term)s AND w.status <> 'cancelled'
          AND s.school_id = ANY(%(schools)s) GROUP BY 1""",
    "payments": """
        SELECT s.school_id, w.project_id, count(*), sum(p.amount_fen),
               sum(e.amount_fen) + coalesce(sum(r.amount_fen), 0),
               sum(p.paid_on - (w.created_at AT TIME ZONE 'Asia/Shanghai')::date),
               max(p.paid_on - (w.created_at AT TIME ZONE 'Asia/Shanghai')::date)
        FROM donations_disbursement p JOIN donations_award w ON w.id = p.award_id
        JOIN mentoring_student s ON s.id = w.student_id
        JOIN donations_ledgerentry e ON e.id = p.ledger_entry_id
        LEFT JOIN donations_ledgerentry r ON r.reverses_id = e.id
        WHERE w.term_id = %(term)s AND s.school_id = ANY(%(schools)s) GROUP BY 1, 2""",
    # The ledger's own sums the report reconciles with (collect.ledger_sums), by project and kind.
    "ledger": """
        SELECT a.project_id, e.kind, sum(e.amount_fen) FROM donations_ledgerentry e
        JOIN donations_fundaccount a ON a.id = e.account_id
        JOIN donations_aidproject j ON j.id = a.project_id
        WHERE j.district_id = %(district)s GROUP BY 1, 2""",
    "projects": "SELECT id, code, name, source, purpose FROM donations_aidproject "
    "WHERE district_id = %(district)s",
    "funding": """
        SELECT f.project_id, f.source, sum(f.amount_fen) FROM donations_projectfunding f
        JOIN donations_aidproject j ON j.id = f.project_id
        WHERE f.term_id = %(term)s AND j.district_id = %(district)s GROUP BY 1, 2""",
    "received": """
        SELECT a.project_id, coalesce(f.source, nullif(e.source, ''), j.source),
               sum(e.amount_fen) + coalesce(sum(r.amount_fen), 0)
        FROM donations_ledgerentry e JOIN donations_fundaccount a ON a.id = e.account_id
        JOIN donations_aidproject j ON j.id = a.project_id
        LEFT JOIN donations_projectfunding f ON f.id = e.funding_id
        LEFT JOIN donations_ledgerentry r ON r.reverses_id = e.id
        WHERE e.kind = 'appropriation' AND j.district_id = %(district)s
          AND (f.term_id = %(term)s OR (e.funding_id IS NULL
               AND (e.created_at AT TIME ZONE 'Asia/Shanghai')::date
                   BETWEEN %(start)s AND %(end)s))
        GROUP BY 1, 2""",
    "left_out": """
        SELECT DISTINCT ON (a.project_id) a.project_id, a.left_out FROM donations_allocation a
        JOIN donations_aidproject j ON j.id = a.project_id
        WHERE a.term_id = %(term)s AND j.district_id = %(district)s
        ORDER BY a.project_id, a.created_at DESC, a.id DESC""",
    "accounts": """
        SELECT a.project_id, a.balance_fen, coalesce(sum(e.amount_fen), 0)
        FROM donations_fundaccount a JOIN donations_aidproject j ON j.id = a.project_id
        LEFT JOIN donations_ledgerentry e ON e.account_id = a.id
        WHERE j.district_id = %(district)s GROUP BY 1, 2""",
    "pairings": """
        SELECT s.school_id, p.kind, count(*) FROM mentoring_pairing p
        JOIN mentoring_student s ON s.id = p.student_id
        WHERE p.term_id = %(term)s AND p.status IN ('active', 'ended')
          AND s.school_id = ANY(%(schools)s) GROUP BY 1, 2""",
    "branch_pairings": """
        SELECT m.party_branch, p.kind, count(*) FROM mentoring_pairing p
        JOIN mentoring_student s ON s.id = p.student_id
        JOIN mentoring_mentor m ON m.id = p.mentor_id
        WHERE p.term_id = %(term)s AND p.status IN ('active', 'ended')
          AND s.school_id = ANY(%(schools)s) GROUP BY 1, 2""",
    "branch_mentors": """
        SELECT m.party_branch, count(DISTINCT p.mentor_id) FROM mentoring_pairing p
        JOIN mentoring_student s ON s.id = p.student_id
        JOIN mentoring_mentor m ON m.id = p.mentor_id
        WHERE p.term_id = %(term)s AND p.status IN ('active', 'ended')
          AND s.school_id = ANY(%(schools)s) GROUP BY 1""",
    "with_mentee": """
        SELECT m.kind, s.school_id, count(DISTINCT p.mentor_id),
               count(DISTINCT p.mentor_id) FILTER (WHERE p.kind = 'care')
        FROM mentoring_pairing p JOIN mentoring_student s ON s.id = p.student_id
        JOIN mentoring_mentor m ON m.id = p.mentor_id
        WHERE p.term_id = %(term)s AND p.status IN ('active', 'ended')
          AND s.school_id = ANY(%(schools)s) GROUP BY 1, 2""",
    "with_mentee_total": """
        SELECT m.kind, count(DISTINCT p.mentor_id),
               count(DISTINCT p.mentor_id) FILTER (WHERE p.kind = 'care')
        FROM mentoring_pairing p JOIN mentoring_student s ON s.id = p.student_id
        JOIN mentoring_mentor m ON m.id = p.mentor_id
        WHERE p.term_id = %(term)s AND p.status IN ('active', 'ended')
          AND s.school_id = ANY(%(schools)s) GROUP BY 1""",
    "roster": """
        SELECT m.kind, ms.school_id, count(DISTINCT m.id) FROM mentoring_mentor m
        JOIN mentoring_mentor_schools ms ON ms.mentor_id = m.id
        WHERE m.active AND ms.school_id = ANY(%(schools)s) GROUP BY 1, 2""",
    "roster_total": """
        SELECT m.kind, count(DISTINCT m.id) FROM mentoring_mentor m
        JOIN mentoring_mentor_schools ms ON ms.mentor_id = m.id
        WHERE m.active AND ms.school_id = ANY(%(schools)s) GROUP BY 1""",
    "sessions": """
        SELECT t.kind, s.school_id, m.party_branch, count(*), sum(t.minutes)
        FROM mentoring_tutoringsession t JOIN mentoring_pairing p ON p.id = t.pairing_id
        JOIN mentoring_student s ON s.id = p.student_id
        JOIN mentoring_mentor m ON m.id = p.mentor_id
        WHERE p.term_id = %(term)s AND s.school_id = ANY(%(schools)s) GROUP BY 1, 2, 3""",
    "compliance": """
        SELECT c.school_id, m.party_branch, c.week_start, count(*), count(*) FILTER (WHERE c.met)
        FROM mentoring_weeklycompliance c JOIN mentoring_mentor m ON m.id = c.mentor_id
        WHERE c.term_id = %(term)s AND c.school_id = ANY(%(schools)s) GROUP BY 1, 2, 3""",
    "streaks": """
        SELECT school_id, count(DISTINCT pairing_id), max(missed_streak)
        FROM mentoring_weeklycompliance
        WHERE term_id = %(term)s AND school_id = ANY(%(schools)s) AND missed_streak >= 2
        GROUP BY 1""",
    "donations": """
        SELECT d.name, d.kind, d.anonymous, j.code, sum(c.amount_fen), count(*)
        FROM donations_contribution c JOIN donations_donor d ON d.id = c.donor_id
        JOIN donations_aidproject j ON j.id = c.project_id
        WHERE j.district_id = %(district)s AND c.status = 'posted'
          AND c.received_on BETWEEN %(start)s AND %(end)s GROUP BY 1, 2, 3, 4""",
    "donation_ledger": """
        SELECT c.project_id, sum(c.amount_fen), sum(e.amount_fen) + coalesce(sum(r.amount_fen), 0)
        FROM donations_contribution c JOIN donations_aidproject j ON j.id = c.project_id
        LEFT JOIN donations_ledgerentry e ON e.id = c.ledger_entry_id
        LEFT JOIN donations_ledgerentry r ON r.reverses_id = e.id
        WHERE j.district_id = %(district)s AND c.status = 'posted'
          AND c.received_on BETWEEN %(start)s AND %(end)s GROUP BY 1""",
    "pledges": """
        SELECT p.status, count(DISTINCT p.id) FROM donations_pledge p
        JOIN donations_donor d ON d.id = p.donor_id
        JOIN donations_pledgeinstalment i ON i.pledge_id = p.id
        WHERE d.district_id = %(district)s AND i.due_on BETWEEN %(start)s AND %(end)s
        GROUP BY 1""",
    "items_received": """
        SELECT k.id, k.name, k.unit, sum(g.quantity), sum(g.value_fen),
               coalesce(sum(g.quantity) FILTER (WHERE g.received_on BETWEEN %(start)s
                                                AND %(end)s), 0),
               coalesce(sum(g.value_fen) FILTER (WHERE g.received_on BETWEEN %(start)s
                                                 AND %(end)s), 0)
        FROM donations_itemdonation g JOIN donations_itemkind k ON k.id = g.item_kind_id
        WHERE k.district_id = %(district)s GROUP BY 1, 2, 3""",
    "items_given": """
        SELECT g.item_kind_id, sum(g.quantity) FROM donations_itemdistribution g
        JOIN donations_itemkind k ON k.id = g.item_kind_id
        JOIN mentoring_student s ON s.id = g.student_id
        WHERE k.district_id = %(district)s AND s.school_id = ANY(%(schools)s)
          AND g.given_on BETWEEN %(start)s AND %(end)s GROUP BY 1""",
    "late_awards": """
        SELECT w.id, w.status, w.late_since, w.amount_fen, j.code, sc.code
        FROM donations_award w JOIN donations_aidproject j ON j.id = w.project_id
        JOIN mentoring_student s ON s.id = w.student_id
        JOIN mentoring_school sc ON sc.id = s.school_id
        WHERE w.term_id = %(term)s AND s.school_id = ANY(%(schools)s) AND w.status <> 'cancelled'
          AND (w.late_since IS NOT NULL OR w.status = 'awarded')
        ORDER BY w.created_at, w.id LIMIT 500""",
    "open_objections": """
        SELECT o.id, o.assessment_id, o.filed_at, sc.code FROM mentoring_objection o
        JOIN mentoring_assessment a ON a.id = o.assessment_id
        JOIN mentoring_student s ON s.id = a.student_id
        JOIN mentoring_school sc ON sc.id = s.school_id
        WHERE a.term_id = %(term)s AND s.school_id = ANY(%(schools)s) AND o.answered_at IS NULL
        ORDER BY o.filed_at, o.id LIMIT 500""",
    "streak_pairings": """
        SELECT c.pairing_id, sc.code, max(c.missed_streak) FROM mentoring_weeklycompliance c
        JOIN mentoring_school sc ON sc.id = c.school_id
        WHERE c.term_id = %(term)s AND c.school_id = ANY(%(schools)s) AND c.missed_streak >= 2
        GROUP BY 1, 2 ORDER BY 3 DESC, 1 LIMIT 500""",
}
# Read once per term: these the job reads for the previous term too, to compare.
PER_TERM = [
    name for name in FLOOR if name not in ("late_awards", "open_objections", "streak_pairings")
]


def floor(term, previous, district, schools) -> tuple[float, dict]:
    """The same figures by hand-written SQL: every statement run and its rows fetched."""
    from django.db import connection

    results, timings = {}, {}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for which in (term, previous):
            params = {
                "term": which.pk,
                "district": district.pk,
                "schools": schools,
                "start": which.start_date,
                "end": which.end_date,
            }
            for name in FLOOR if which is term else PER_TERM:
                at = time.perf_counter()
                cursor.execute(FLOOR[name], params)
                rows = cursor.fetchall()
                timings[name] = timings.get(name, 0) + time.perf_counter() - at
                if which is term:
                    results[name] = rows
    results["_slowest"] = sorted(timings.items(), key=lambda item: -item[1])[:4]
    return time.perf_counter() - started, results


def job(term, district, admin) -> tuple[float, dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workers.models import JobKind, Report, ReportScope
    from workers.reports import report_build
    from workers.services import job_create

    report = Report.objects.create(
        term=term,
        scope=ReportScope.DISTRICT,
        district=district,
        version=(Report.objects.count() + 1),
        job=job_create(kind=JobKind.TERM_REPORT, started_by=admin),
        built_by=admin,
    )
    marks = []
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        report_build(report, lambda value: marks.append((value, time.perf_counter())))
        elapsed = time.perf_counter() - started
    report.refresh_from_db()
    assert report.status == "issued", report.error
    stages, previous_at = [], started
    for value, at in marks:
        stages.append(f"to {value}%: {at - previous_at:.2f} s")
        previous_at = at
    stages.append(f"rest: {started + elapsed - previous_at:.2f} s")
    slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:4]
    return elapsed, {
        "data": report.data,
        "stages": stages,
        "queries": len(queries),
        "slowest": [(float(q["time"]), " ".join(q["sql"].split())[:90]) for q in slowest],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=2_000_000)
    parser.add_argument("--ledger", type=int, default=300_000)
    args = parser.parse_args()
    _django()
    from django.db import connection

    from mentoring.models import School, Term

    started = time.perf_counter()
    term, district, admin, counts = populate(args.students, args.sessions, args.ledger)
    print(
        f"County written in {time.perf_counter() - started:.0f} s (not timed): "
        + ", ".join(f"{n:,} {what}" for what, n in counts.items()),
        flush=True,
    )
    previous = Term.objects.get(district=district, code="2026-spring")
    schools = list(School.objects.filter(district=district).values_list("pk", flat=True))
    jobs, floors = [], []
    for _round in range(2):
        connection.close()
        floors.append(floor(term, previous, district, schools))
        jobs.append(job(term, district, admin))
    (job_s, built), (floor_s, rows) = min(jobs, key=lambda r: r[0]), min(floors, key=lambda r: r[0])
    data = built["data"]
    sessions = sum(r[3] for r in rows["sessions"])
    paid = int(sum(r[3] for r in rows["payments"]))
    assert data["mentoring"]["total"]["sessions"] == sessions
    assert data["aid"]["total"]["paid"] == f"{paid // 100}.{paid % 100:02d}"
    assert data["enrolment"]["total"]["students"] == sum(r[3] for r in rows["enrolment"])
    print(
        f"Report job: {job_s:.2f} s ({', '.join(built['stages'])})\n"
        f"Floor (hand-written SQL, {len(FLOOR) + len(PER_TERM)} statements): {floor_s:.2f} s\n"
        f"Job / floor: {job_s / floor_s:.2f}x (target: within 2x, and under 30 s)\n"
        f"Slowest statements of the job ({built['queries']} queries): "
        + "; ".join(f"{t:.2f} s {sql}" for t, sql in built["slowest"])
        + "\nSlowest of the floor: "
        + ", ".join(f"{name} {t:.2f} s" for name, t in rows["_slowest"])
        + "\n"
        f"Figures agree: {data['enrolment']['total']['students']:,} students, "
        f"{sessions:,} sessions, {data['aid']['total']['paid']} yuan paid, "
        f"aided {data['aid']['total']['share_of_enrolment']} %, "
        f"government funds received {data['aid']['funds']['government']['arrival_rate']} % "
        f"of allocated, paid {data['aid']['funds']['government']['payout_rate']} % of awarded",
        flush=True,
    )


if __name__ == "__main__":
    main()
