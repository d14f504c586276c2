"""The report's aid by government-list category, for any school year's identifications and awards.

`workers.reporting.collect_money.award_categories` reads the category from the
identifications' side and leaves the rest to a project and school's totals.
Whatever the students' assessments (approved or not, in either term of the
year, with or without a category) and awards (any project, school, status),
its rows must say what the rule says, written out here apart from it: each
award not cancelled counts under the category of its student's
identification in force (`identifications_in_force`, itself proven in
tests/mentoring/test_school_year_property.py), or under none.
"""

from collections import defaultdict
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from donations.models import AidProject, Award, AwardStatus, FundSource
from donations.services.ledger import fund_account_of, ledger_post
from mentoring.models import AssessmentStatus, HardshipKind
from mentoring.selectors.school_year import identifications_in_force
from workers.factories import (
    AssessmentFactory,
    DistrictFactory,
    SchoolFactory,
    StudentFactory,
    TermFactory,
    UserFactory,
)
from workers.reporting.collect_money import aid_rows

ASSESSMENT = st.none() | st.tuples(
    st.sampled_from([AssessmentStatus.APPROVED, AssessmentStatus.SUBMITTED]),
    st.sampled_from(["", HardshipKind.DIBAO, HardshipKind.ORPHAN]),
)
STUDENT = st.fixed_dictionaries(
    {
        "school": st.integers(0, 1),
        "autumn": ASSESSMENT,
        "spring": ASSESSMENT,
        # The status of the student's spring award in each project (at most one per project).
        "awards": st.dictionaries(
            st.integers(0, 1), st.sampled_from([AwardStatus.AWARDED, AwardStatus.CANCELLED])
        ),
    }
)


def world(students: list[dict]):
    district = DistrictFactory()
    schools = [SchoolFactory(district=district) for _ in range(2)]
    autumn = TermFactory(district=district)
    spring = TermFactory(
        district=district,
        code="2027-spring",
        school_year="2026-2027",
        start_date=date(2027, 2, 22),
        end_date=date(2027, 7, 2),
    )
    projects = [
        AidProject.objects.create(
            district=district,
            code=f"P{n}",
            name=f"助学金 {n}",
            source=FundSource.PROVINCIAL,
            purpose=f"living-{n}",
        )
        for n in range(2)
    ]
    by = UserFactory()
    for project in projects:
        ledger_post(
            account_id=fund_account_of(project).pk,
            kind="appropriation",
            amount_fen=10_000_000,
            by=by,
        )
    for n, described in enumerate(students):
        student = StudentFactory(school=schools[described["school"]])
        for term, name in ((autumn, "autumn"), (spring, "spring")):
            if described[name] is not None:
                status, category = described[name]
                AssessmentFactory(
                    student=student,
                    term=term,
                    status=status,
                    tier="hardship",
                    government_category=category,
                )
        for project, status in described["awards"].items():
            Award.objects.create(
                project=projects[project],
                student=student,
                term=spring,
                amount_fen=10_000 * (n + 1) + project,
                status=status,
                purpose=projects[project].purpose,
                term_code=spring.code,
                student_id_hash=student.id_hash,
            )
    return district, schools, spring


@pytest.mark.django_db
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(students=st.lists(STUDENT, min_size=1, max_size=6))
def test_each_award_counts_under_the_category_of_its_identification_in_force(students):
    district, schools, spring = world(students)
    category_of = dict(
        identifications_in_force(spring).values_list("student", "government_category")
    )
    expected = defaultdict(lambda: {"students": set(), "awards": 0, "amount_fen": 0})
    for award in Award.objects.filter(term=spring).exclude(status=AwardStatus.CANCELLED):
        key = (
            award.project_id,
            award.student.school_id,
            category_of.get(award.student_id, ""),
        )
        expected[key]["students"].add(award.student_id)
        expected[key]["awards"] += 1
        expected[key]["amount_fen"] += award.amount_fen

    rows = aid_rows(spring, [s.pk for s in schools], district)["award_categories"]
    got = {
        (row["project"], row["school"], row["category"]): (
            row["students"],
            row["awards"],
            row["amount_fen"],
        )
        for row in rows
    }
    assert len(got) == len(rows), "one row per project, school and category"
    assert got == {
        key: (len(sums["students"]), sums["awards"], sums["amount_fen"])
        for key, sums in expected.items()
    }
