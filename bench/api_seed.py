"""The API benchmark's district (bench/api.py), written before gunicorn starts; not timed.

Schools, students with their term records, teachers mentoring students with
past sessions, administrators, donors and an aid project, built with the
factories and core.bulk; `seed` returns the plan locust's users follow
(who logs in, which pairings and students they use).
"""

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass
class Size:
    schools: int
    students_per_school: int
    teachers_per_school: int
    mentees_per_teacher: int
    sessions_per_pairing: int
    donors: int


FULL = Size(10, 400, 20, 2, 8, 20)
TINY = Size(1, 40, 4, 2, 2, 2)


def seed(size: Size) -> dict:
    """A district's schools, students, mentoring pairs with past sessions, donors; the plan."""
    from core import bulk
    from donations.models import AidProject, Donor, DonorKind, FundSource
    from mentoring.authentication import RefreshToken
    from mentoring.models import (
        Pairing,
        Student,
        StudentRecord,
        TutoringSession,
        User,
    )
    from workers.factories import (
        DistrictFactory,
        MentorFactory,
        SchoolFactory,
        TermFactory,
        member,
    )

    today = date.today()
    district = DistrictFactory(code="BENCH", name="Bench county")
    # A term under way: ten weeks behind, seven ahead, so sessions can be logged today.
    start = today - timedelta(days=70 + today.weekday())
    term = TermFactory(
        district=district,
        code=f"{start.year}-bench",
        start_date=start,
        end_date=today + timedelta(days=50),
        holiday_weeks=[],
    )
    plan = {"teachers": [], "administrators": [], "donors": []}
    pages = -(-size.students_per_school // 50)
    pairing_rows, since = [], start + timedelta(days=7)
    for s in range(size.schools):
        school = SchoolFactory(code=f"B{s:03d}", name=f"Bench school {s}", district=district)
        admin = member("administrator", school, username=f"bench-admin-{s}")
        plan["administrators"].append({"user": admin.pk, "pages": pages})
        numbers = range(size.students_per_school)
        student_ids = bulk.insert(
            Student,
            [
                "school_id",
                "student_number",
                "name",
                "gender",
                "birth_date",
                "id_hash",
                "id_masked",
                "village",
                "guardian_name",
                "guardian_phone",
            ],
            [
                (
                    school.pk,
                    f"{s:03d}{n:06d}",
                    f"学生{s}-{n}",
                    "female" if n % 2 else "male",
                    date(2015 + n % 6, 1 + n % 12, 1 + n % 28),
                    f"{s:03d}{n:061d}",
                    "**************" + f"{n % 10000:04d}",
                    "东村",
                    f"家长{n}",
                    "13800000000",
                )
                for n in numbers
            ],
        )
        bulk.insert(
            StudentRecord,
            [
                "student_id",
                "term_id",
                "level",
                "grade",
                "class_name",
                "struggling",
                "weak_subjects",
            ],
            [
                (
                    sid,
                    term.pk,
                    "primary",
                    1 + n % 6,
                    f"{1 + n % 6}-{1 + n % 4}",
                    n % 3 == 0,
                    ["math"] if n % 3 == 0 else [],
                )
                for n, sid in enumerate(student_ids)
            ],
        )
        mentees = iter(student_ids)
        for t in range(size.teachers_per_school):
            teacher = member("teacher", school, username=f"bench-teacher-{s}-{t}")
            mentor = MentorFactory(user=teacher, schools=[school], capacity=4)
            for _ in range(size.mentees_per_teacher):
                pairing_rows.append((term.pk, next(mentees), mentor.pk, teacher.pk))
    pairing_ids = bulk.insert(
        Pairing,
        ["term_id", "student_id", "mentor_id", "kind", "status", "started_on", "reason"],
        [(t, st, m, "academic", "active", since, "bench") for t, st, m, _u in pairing_rows],
    )
    days = (today - since).days
    bulk.insert(
        TutoringSession,
        ["pairing_id", "date", "minutes", "subject", "kind", "content", "logged_by_id"],
        [
            (
                pid,
                since + timedelta(days=k * days // size.sessions_per_pairing),
                45,
                "math",
                "tutoring",
                "分数加减法练习",
                user,
            )
            for pid, (_t, _s, _m, user) in zip(pairing_ids, pairing_rows, strict=True)
            for k in range(size.sessions_per_pairing)
        ],
    )
    by_teacher = {}
    for pid, (_t, _s, _m, user) in zip(pairing_ids, pairing_rows, strict=True):
        by_teacher.setdefault(user, []).append({"id": pid, "since": since.isoformat()})
    plan["teachers"] = [{"user": u, "pairings": p} for u, p in by_teacher.items()]
    project = AidProject.objects.create(
        district=district, code="BENCH", name="春蕾计划", source=FundSource.SOCIAL, purpose="bench"
    )
    for d in range(size.donors):
        user = member("donor", school, username=f"bench-donor-{d}")
        Donor.objects.create(
            district=district, kind=DonorKind.ORGANISATION, name=f"捐赠单位{d}", user=user
        )
        plan["donors"].append({"user": user.pk, "project": project.pk})
    users = {}
    for accounts in plan.values():
        for account in accounts:
            user = users.get(account["user"])
            if user is None:
                user = users[account["user"]] = User.objects.get(pk=account["user"])
            account["token"] = str(RefreshToken.for_user(user).access_token)
    plan["size"] = {
        "students": Student.objects.count(),
        "pairings": Pairing.objects.count(),
        "sessions": TutoringSession.objects.count(),
        "teachers": len(plan["teachers"]),
    }
    return plan
