"""The roster import's 村(居)委会代码 column: the committee of each family's residence."""

import pytest

from mentoring.models import Student
from tests.mentoring.roster.roster_scene import (
    admin,  # noqa: F401
    csv_file,
    errors_of,
    roster_row,
    row_counts,
    send,
    term,  # noqa: F401
)
from workers.factories import DistrictFactory, VillageCommitteeFactory

pytestmark = pytest.mark.django_db
COLUMN = "村(居)委会代码"


def test_each_row_names_its_committee_by_code_and_a_blank_one_names_none(
    admin,  # noqa: F811
    term,  # noqa: F811
    school_a,
):
    east = VillageCommitteeFactory(district=school_a.district, code="V-EAST")
    rows = [roster_row(1, school_a, **{COLUMN: "V-EAST"}), roster_row(2, school_a)]

    response = send(admin, csv_file(rows), term)

    assert response.status_code == 200, response.content
    committees = dict(Student.objects.values_list("student_number", "committee"))
    assert committees == {"G000000001": east.pk, "G000000002": None}


def test_a_code_the_district_does_not_list_is_refused_by_row_and_nothing_is_written(
    admin,  # noqa: F811
    term,  # noqa: F811
    school_a,
):
    VillageCommitteeFactory(district=DistrictFactory(), code="V-WEST")
    rows = [
        roster_row(1, school_a, **{COLUMN: "V-WEST"}),
        roster_row(2, school_a, **{COLUMN: "NOWHERE"}),
    ]

    response = send(admin, csv_file(rows), term)

    assert response.status_code == 400
    assert errors_of(response) == [(2, COLUMN), (3, COLUMN)]
    assert response.json()["errors"][0]["message"] == (
        "No committee with this code in the term's district."
    )
    assert row_counts() == (0, 0, 0)


def test_a_second_import_moves_the_family_to_another_committee(
    admin,  # noqa: F811
    term,  # noqa: F811
    school_a,
):
    VillageCommitteeFactory(district=school_a.district, code="V-EAST")
    west = VillageCommitteeFactory(district=school_a.district, code="V-WEST")
    send(admin, csv_file([roster_row(1, school_a, **{COLUMN: "V-EAST"})]), term)

    response = send(admin, csv_file([roster_row(1, school_a, **{COLUMN: "V-WEST"})]), term)

    assert response.status_code == 200, response.content
    assert Student.objects.get().committee == west
