"""A project's places per village committee: set through the projects API, kept by allocation."""

import pytest

from donations.models import AidProject, Award, CommitteeQuota
from donations.services.allocation import allocate
from tests.conftest import client_for
from tests.donations.committees.committee_scene import (
    EN,
    approved_student,
    build,
    living_subsidy,
)
from workers.factories import DistrictFactory, TermFactory, VillageCommitteeFactory

pytestmark = pytest.mark.django_db
PROJECTS = "/api/v1/projects/"


def reasons(allocation) -> dict[int, str]:
    return {row["student"]: row["reason"] for row in allocation.left_out}


def test_no_committee_gets_more_than_its_quota_and_those_left_out_are_named():
    scene = build()
    project = living_subsidy(scene, places=[2, 1])
    first = [approved_student(scene, committee=0, need=90 - n) for n in range(3)]
    second = [approved_student(scene, school=1, committee=1, need=80 - n) for n in range(2)]
    homeless = approved_student(scene, committee=None, need=99)

    allocation = allocate(by=scene.district_admin, project=project, term=scene.term)

    awarded = set(Award.objects.filter(project=project).values_list("student", flat=True))
    assert awarded == {first[0].pk, first[1].pk, second[0].pk}
    assert reasons(allocation) == {
        first[2].pk: "committee_quota_full",
        second[1].pk: "committee_quota_full",
        homeless.pk: "no_committee",
    }
    full = next(row for row in allocation.left_out if row["student"] == first[2].pk)
    assert scene.committees[0].name in full["detail"]


def test_a_committee_without_a_quota_this_term_gives_no_place():
    scene = build()
    project = living_subsidy(scene, places=[1])
    student = approved_student(scene, committee=1)

    allocation = allocate(by=scene.district_admin, project=project, term=scene.term)

    assert reasons(allocation) == {student.pk: "no_committee_quota"}
    assert not Award.objects.filter(project=project).exists()


def test_a_second_run_counts_the_awards_already_made_against_the_committee():
    scene = build()
    project = living_subsidy(scene, places=[1])
    approved_student(scene, committee=0, need=90)
    allocate(by=scene.district_admin, project=project, term=scene.term)
    late = approved_student(scene, committee=0, need=95)

    again = allocate(by=scene.district_admin, project=project, term=scene.term)

    assert again.awarded == 0
    assert reasons(again) == {late.pk: "committee_quota_full"}


def test_a_project_that_does_not_use_committees_ignores_them():
    scene = build()
    project = living_subsidy(scene, uses_committees=False, places=[1])
    students = [approved_student(scene, committee=0, need=90 - n) for n in range(2)]
    homeless = approved_student(scene, committee=None)

    allocation = allocate(by=scene.district_admin, project=project, term=scene.term)

    assert allocation.awarded == 3
    assert allocation.left_out == []
    assert set(Award.objects.values_list("student", flat=True)) == {
        *(s.pk for s in students),
        homeless.pk,
    }


def test_the_projects_api_sets_and_shows_the_committee_quotas():
    scene = build()
    project = living_subsidy(scene, uses_committees=False)
    body = {
        "uses_committees": True,
        "committee_quotas": [
            {"term": scene.term.pk, "committee": scene.committees[0].pk, "places": 12},
            {"term": scene.term.pk, "committee": scene.committees[1].pk, "places": 3},
        ],
    }

    response = client_for(scene.district_admin).patch(
        f"{PROJECTS}{project.pk}/", body, format="json"
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["uses_committees"] is True
    assert [(q["committee_code"], q["places"]) for q in data["committee_quotas"]] == [
        (scene.committees[0].code, 12),
        (scene.committees[1].code, 3),
    ]
    assert AidProject.objects.get(pk=project.pk).uses_committees


def test_bad_committee_quotas_are_refused_naming_every_bad_row_and_nothing_is_written():
    scene = build()
    project = living_subsidy(scene, places=[5])
    foreign = VillageCommitteeFactory(district=DistrictFactory())
    foreign_term = TermFactory(district=foreign.district)
    body = {
        "committee_quotas": [
            {"term": foreign_term.pk, "committee": scene.committees[0].pk, "places": 1},
            {"term": scene.term.pk, "committee": foreign.pk, "places": 0},
            {"term": scene.term.pk, "committee": scene.committees[1].pk, "places": 2},
            {"term": scene.term.pk, "committee": scene.committees[1].pk, "places": 2},
        ],
        "tier_shares": [{"tier": "no-such-tier", "percent": 50}],
    }

    response = client_for(scene.district_admin).patch(
        f"{PROJECTS}{project.pk}/", body, format="json", **EN
    )

    assert response.status_code == 400, response.content
    errors = response.json()
    assert set(errors) >= {
        "committee_quotas[0].term",
        "committee_quotas[1].committee",
        "committee_quotas[1].places",
        "committee_quotas[3]",
        "tier_shares[0].tier",
    }
    assert errors["committee_quotas[1].committee"] == [
        "Unknown committee in the project's district."
    ]
    assert list(CommitteeQuota.objects.values_list("committee", "places")) == [
        (scene.committees[0].pk, 5)
    ]


def test_a_project_list_reads_its_committee_quotas_in_a_constant_number_of_queries(
    django_assert_max_num_queries,
):
    scene = build(committees=6)
    for n in range(4):
        living_subsidy(scene, places=[1, 2, 3, 4, 5, 6], code=f"P{n}")
    client = client_for(scene.district_admin)
    client.get(PROJECTS)  # warm the per-user caches

    with django_assert_max_num_queries(12):
        response = client.get(PROJECTS)

    assert response.status_code == 200
    assert all(len(p["committee_quotas"]) == 6 for p in response.json()["results"])
