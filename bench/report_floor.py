"""The report benchmark's floor: the report's figures by hand-written SQL (bench/report.py).

One statement per figure, with the report's groupings, run through a raw
cursor and its rows fetched, nothing else: what the report job cannot beat.
"""

import time

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
    # The ledger's own sums the report reconciles with (collect_money.ledger_sums), by project
    # and kind.
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
