"""A province of counties to run one term's job over: bench/province.py's data and its tests'.

Each county has its schools, struggling students with a term record, and
teachers as mentors, written with `bulk_create`; the same seed gives the same
rows, so a county run alone and the same county run in the province's job
meet the same data.
"""

import random
from datetime import date

TERM_CODE = "2026-autumn"
# The weights of every county's run (bench/matching_job.py's): candidates capped,
# as a county of ten thousand students needs.
WEIGHTS = {
    "subject_miss": 30,
    "grade_miss": 10,
    "continuity": 20,
    "unmatched": [400, 300, 200],
    "unmatched_unranked": 150,
    "load_step": 2,
    "max_candidates": 50,
}
SUBJECTS = ["chinese", "math", "english", "physics", "chemistry"]


def populate_province(
    code: str, *, counties: int, students_per_county: int, school_size: int = 500
) -> tuple:
    """The province, its counties (districts, in code order) and a platform administrator."""
    from mentoring.models import District, Province, Term, User

    province = Province.objects.create(code=code, name=f"{code} province")
    districts = []
    for n in range(counties):
        # No same-gender rule, so that every county's run may use the same rules.
        district = District.objects.create(
            code=f"{code}-{n:03d}",
            name=f"{code} county {n}",
            province=province,
            same_gender_from_age=None,
        )
        term = Term.objects.create(
            district=district,
            code=TERM_CODE,
            school_year="2026-2027",
            start_date=date(2026, 9, 1),
            end_date=date(2027, 1, 22),
        )
        fill_county(
            district,
            term,
            n_students=students_per_county,
            n_mentors=max(1, students_per_county // 4),
            school_size=school_size,
            rng=random.Random(n),
        )
        districts.append(district)
    admin = User.objects.create(username=f"{code}-admin", is_superuser=True)
    return province, districts, admin


def fill_county(district, term, *, n_students: int, n_mentors: int, school_size: int, rng) -> list:
    """A county's schools, struggling students with a record in `term`, and teachers as mentors.

    The same `rng` state gives the same rows (bench/matching_job.py's county and
    every county of a province are filled by it). Returns the schools.
    """
    from mentoring.models import (
        Membership,
        Mentor,
        School,
        Student,
        StudentRecord,
        User,
    )

    label = district.code
    n_schools = max(1, n_students // school_size)
    schools = School.objects.bulk_create(
        [
            School(code=f"{label}-{i}", name=f"{label} {i}", level="primary", district=district)
            for i in range(n_schools)
        ]
    )
    students = Student.objects.bulk_create(
        [
            Student(
                school=schools[i % n_schools],
                student_number=f"{i:09d}",
                name=f"学生{i}",
                gender="male" if i % 2 else "female",
                birth_date=date(2015, 1 + i % 12, 1),
                id_hash=f"{label}{i:060d}"[-64:],
                id_masked="**************0000",
            )
            for i in range(n_students)
        ],
        batch_size=5000,
    )
    StudentRecord.objects.bulk_create(
        [
            StudentRecord(
                student=s,
                term=term,
                level="primary",
                grade=1 + i % 6,
                class_name="1班",
                struggling=True,
                weak_subjects=rng.sample(SUBJECTS, 2),
            )
            for i, s in enumerate(students)
        ],
        batch_size=5000,
    )
    users = User.objects.bulk_create(
        [User(username=f"{label}-mentor-{j}") for j in range(n_mentors)], batch_size=5000
    )
    Membership.objects.bulk_create(
        [
            Membership(user=u, school=schools[j % n_schools], role="teacher")
            for j, u in enumerate(users)
        ],
        batch_size=5000,
    )
    mentors = Mentor.objects.bulk_create(
        [
            Mentor(
                user=u,
                kind="party_teacher" if j % 3 == 0 else "teacher",
                subjects=rng.sample(SUBJECTS, 2),
                grades=[1 + j % 6, 1 + (j + 1) % 6],
                gender="male" if j % 2 else "female",
                capacity=rng.randint(3, 6),
                min_mentees=1 if j % 3 == 0 else 0,
            )
            for j, u in enumerate(users)
        ],
        batch_size=5000,
    )
    through = Mentor.schools.through
    through.objects.bulk_create(
        [through(mentor=m, school=schools[j % n_schools]) for j, m in enumerate(mentors)],
        batch_size=5000,
    )
    return schools
