"""The console says things in words, not in codes (issue 17 B).

A newcomer saw `special_hardship` in an allocation's "why", `living_subsidy` under
a project's name, the solver's weight keys and "null" on the matching form, and
the service's messages naming those keys when a start was refused.
"""

import re

import pytest

from donations.models import Award, ProjectTierShare
from mentoring.models import AssessmentStatus, MatchRun
from tests.console.console_world import EN, aid_project, assessment, signed_in

pytestmark = pytest.mark.django_db

MATCHING = "/console/matching/"
WEIGHT_KEYS = (
    "subject_miss",
    "grade_miss",
    "continuity",
    "unmatched_unranked",
    "load_step",
    "max_candidates",
    "same_gender_from_age",
)


def test_a_tier_left_out_by_its_share_is_named_in_words_not_its_code(world):
    a, term = world.schools["A"], world.terms["one"]
    project = aid_project(world, code="LIVING_SUBSIDY")
    ProjectTierShare.objects.create(project=project, tier="special_hardship", places=1)
    first = assessment(a, term, "王小丽", AssessmentStatus.APPROVED, tier="special_hardship")
    second = assessment(a, term, "刘小东", AssessmentStatus.APPROVED, tier="special_hardship")
    client = signed_in(world.users["district_admin"])

    response = client.post(f"/console/aid/{project.pk}/allocate/", {"term": term.pk}, **EN)

    assert response.status_code == 302
    assert Award.objects.filter(project=project).count() == 1
    html = client.get(response["Location"], **EN).content.decode()
    left = html[html.index('id="left-out"') :]
    awarded = Award.objects.get(project=project).student_id
    left_out = second if awarded == first.student_id else first
    assert f'data-student="{left_out.student_id}" data-reason="tier_share_full"' in left
    assert "The places of the tier “Special hardship” in the project are used up (1/1)." in left
    assert "special_hardship" not in left.replace('data-reason="tier_share_full"', "")


def test_a_projects_page_does_not_show_its_purpose_code(world):
    project = aid_project(world, code="LIVING_SUBSIDY")  # its purpose: "living_subsidy"
    assert project.purpose == "living_subsidy"

    html = (
        signed_in(world.users["district_admin"])
        .get(f"/console/aid/{project.pk}/?term={world.terms['one'].pk}", **EN)
        .content.decode()
    )

    assert "生活补助" in html
    assert "living_subsidy" not in html


def test_the_start_form_names_each_weight_in_words_not_keys(world):
    district = world.terms["one"].district
    district.same_gender_from_age = None
    district.save()
    html = signed_in(world.users["school_admin"]).get(MATCHING, **EN).content.decode()
    form = html[html.index('id="start"') : html.index("</form>", html.index('id="start"'))]

    assert "<legend>Kinds of pairing</legend>" in form
    assert "Per weak subject the mentor does not teach" in form
    assert "Same-gender mentors from the age of" in form
    # The keys are the boxes' names, never their words.
    shown = re.sub(r'\s(name|id|for)="[^"]*"', "", form)
    for key in WEIGHT_KEYS:
        assert key not in shown, key
    assert "null" not in form and "None" not in form
    # No safeguarding rule in the district: the box is empty.
    assert 'name="same_gender_from_age" id="same-gender" value=""' in form


def test_a_refused_start_names_the_boxes_in_words_not_the_services_keys(world):
    posted = {
        "term": world.terms["one"].pk,
        "kinds": ["care"],
        "weight_subject_miss": "many",
        "weight_unmatched": "",
        "weight_max_candidates": "0",
        "same_gender_from_age": "99",
    }

    response = signed_in(world.users["school_admin"]).post(MATCHING, posted, **EN)

    assert response.status_code == 400
    html = response.content.decode()
    problems = html[html.index('id="problems"') : html.index("</ul>", html.index('id="problems"'))]
    assert "Per weak subject the mentor does not teach: a whole number from 0 to 100000." in (
        problems
    )
    assert "Mentors considered per student: at least 1." in problems
    assert (
        "Leaving a student unmatched, by need, neediest first (comma-separated): "
        "one or more whole numbers, separated by commas." in problems
    )
    assert (
        "Same-gender mentors from the age of: an age from 0 to 20, "
        "or an empty box for no such rule." in problems
    )
    for code in ("subject_miss", "max_candidates", "unmatched takes", "same_gender", "null"):
        assert code not in problems, code
    assert not MatchRun.objects.exists()


def test_a_start_with_no_kind_asks_for_a_kind_of_pairing(world):
    response = signed_in(world.users["school_admin"]).post(
        MATCHING, {"term": world.terms["one"].pk}, **EN
    )

    assert response.status_code == 400
    assert "Choose at least one kind of pairing." in response.content.decode()
    assert not MatchRun.objects.exists()
