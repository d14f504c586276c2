"""The report benchmark's county, written with COPY (bench/report.py; not timed).

Every row's id is laid out here (the rows refer to each other by them);
`core.bulk.insert` takes primary keys from each table's sequence, so
`insert_with_ids` sets the sequence to the first id of the rows before writing them
and checks that the rows got exactly their ids.
"""

import datetime
import random
from dataclasses import dataclass, field

SEED = 2026
SCHOOLS = 60
TERM_START = datetime.date(2026, 9, 1)
WEEKS = 20


@dataclass
class County:
    """What the money part and the benchmark need of the county written."""

    term: object
    district: object
    admin: object
    approved: list[int]
    school_of: list[int]
    counts: dict = field(default_factory=dict)


def insert_with_ids(model, names: list[str], rows: list[tuple]) -> None:
    """Write `rows`, each `(id, *values of names[1:])`, with these ids, consecutive."""
    from django.db import connection

    from core import bulk

    if not rows:
        return
    assert names[0] == "id", names
    ids = [row[0] for row in rows]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, %s), %s, false)",
            [model._meta.db_table, model._meta.pk.column, ids[0]],
        )
    written = bulk.insert(model, names[1:], [row[1:] for row in rows])
    if written != ids:
        raise RuntimeError(f"{model.__name__}: the rows' ids are not consecutive from {ids[0]}")


def populate_people(n_students: int, n_sessions: int) -> County:
    """The schools, students, identification, mentors, pairings, sessions and weekly checks."""
    from django.utils import timezone

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
    insert_with_ids(
        m.School,
        ["id", "code", "name", "level", "district_id"],
        [(i + 1, f"B{i:03d}", f"学校{i}", levels[i], district.pk) for i in range(SCHOOLS)],
    )
    school_of = [1 + i % SCHOOLS for i in range(n_students)]
    insert_with_ids(
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
    insert_with_ids(m.StudentRecord, names, records)
    # The previous term's roster, so the report compares (it reads that term too).
    insert_with_ids(
        m.StudentRecord,
        names,
        [(n_students + r[0], r[1], previous.pk, *r[3:]) for r in records[: n_students * 9 // 10]],
    )
    # Identification: 15 % of the students, 1 in 4 from government lists; a few objections.
    assessed = [i for i in range(n_students) if i % 20 in (0, 3, 7)]
    statuses = ["approved"] * 8 + ["publicized", "rejected"]
    tiers = ["special_hardship", "hardship", "general_hardship", "not_in_hardship"]
    insert_with_ids(
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
    insert_with_ids(
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
    insert_with_ids(
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
    insert_with_ids(
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
    insert_with_ids(
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
    insert_with_ids(
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
    insert_with_ids(
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
            _insert_sessions(m, sessions)
            sessions = []
    _insert_sessions(m, sessions)
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
    insert_with_ids(
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
    counts = {
        "students": n_students,
        "pairings": len(pairings),
        "sessions": m.TutoringSession.objects.count(),
        "compliance weeks": len(weeks),
    }
    return County(term, district, admin, approved, school_of, counts)


def _insert_sessions(m, rows):
    insert_with_ids(
        m.TutoringSession,
        ["id", "pairing_id", "date", "minutes", "subject", "kind", "content", "logged_by_id"],
        rows,
    )
