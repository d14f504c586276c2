"""/console/matching/<id>/: a pair's mentor is chosen among those the rules allow, a refusal says
why, a change by hand gives the new mentor's reasons, and each pair shows its kind."""

import datetime

import pytest
from django.utils import timezone

from mentoring.models import Gender, MatchRun, MatchRunStatus, Mentor, MentorKind, Student
from tests.console.console_world import EN, pupil, signed_in
from tests.console.test_console_matching import (
    PAGE,
    Proposal,
    _girls_pair,
    _proposal_state,
    _teacher,
)

pytestmark = pytest.mark.django_db

# A pair's mentor choice, the refusal's words, the new mentor's reasons, the kind ------------


@pytest.fixture
def tutoring(world, django_capture_on_commit_callbacks) -> Proposal:
    """An academic run: a struggling girl of 14, two women teachers, a woman leader, a man."""
    a, term = world.schools["A"], world.terms["one"]
    term.district.same_gender_from_age = 12
    term.district.save()
    fourteen = timezone.localdate().replace(day=1) - datetime.timedelta(days=14 * 366)
    girl = pupil(a, term, "陈小芳")
    Student.objects.filter(pk=girl.pk).update(gender=Gender.FEMALE, birth_date=fourteen)
    girl.records.update(struggling=True, weak_subjects=["math"])
    women = [
        _teacher(a, "老师", family, Gender.FEMALE, subjects=["math"]) for family in ("周", "吴")
    ]
    _teacher(a, "校长", "孟", Gender.FEMALE, kind=MentorKind.LEADER)
    man = _teacher(a, "老师", "郑", Gender.MALE, subjects=["math"])
    with django_capture_on_commit_callbacks(execute=True):
        started = signed_in(world.users["school_admin"]).post(
            PAGE, {"term": term.pk, "kinds": ["academic"]}
        )
    assert started.status_code == 302, started.content.decode()
    run = MatchRun.objects.get()
    assert run.status == MatchRunStatus.PROPOSED
    return Proposal(run=run, girl=girl, boy=girl, man=man, women=women)


def _leader(p: Proposal) -> Mentor:
    return Mentor.objects.get(kind=MentorKind.LEADER, schools=p.run.schools.get())


def _options(html: str, pair) -> str:
    return html.split(f'id="mentor-{pair.pk}"', 1)[1].split("</select>", 1)[0]


def test_the_change_form_offers_only_the_mentors_the_rules_allow_for_that_pair(world, tutoring):
    pair = _girls_pair(tutoring)
    client = signed_in(world.users["school_admin"])

    html = client.get(f"{PAGE}{tutoring.run.pk}/", {"edit": pair.pk}, **EN).content.decode()

    options = _options(html, pair)
    for woman in tutoring.women:
        assert f'value="{woman.pk}"' in options
    # A leader takes no academic pair; the man may not tutor a girl of 14 here.
    assert f'value="{_leader(tutoring).pk}"' not in options
    assert f'value="{tutoring.man.pk}"' not in options


def test_a_leader_chosen_for_an_academic_pair_is_refused_saying_why(world, tutoring):
    pair = _girls_pair(tutoring)
    before = _proposal_state(tutoring.run)
    url = f"{PAGE}pairs/{pair.pk}/change/"

    english = signed_in(world.users["school_admin"]).post(
        url, {"mentor": _leader(tutoring).pk}, **EN
    )
    chinese = signed_in(world.users["school_admin"]).post(
        url, {"mentor": _leader(tutoring).pk}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    assert english.status_code == chinese.status_code == 400
    problems = english.content.decode().split('id="problems"', 1)[1].split("</ul>", 1)[0]
    assert (
        "School leader mentors take only Care and sponsorship pairs, "
        "not Academic tutoring pairs." in problems
    )
    assert "导师" not in chinese.content.decode().split('id="problems"', 1)[1].split("</ul>")[0]
    assert _proposal_state(tutoring.run) == before


def test_after_a_change_by_hand_the_reasons_are_the_new_mentors(world, tutoring):
    pair = _girls_pair(tutoring)
    other_grades = _teacher(world.schools["A"], "老师", "钱", Gender.FEMALE, grades=[9])
    # A mentor the run knew who teaches other grades and not the weak subject.
    inputs = tutoring.run.inputs
    known = next(m for m in inputs["mentors"] if m["id"] == tutoring.women[0].pk)
    inputs["mentors"].append({**known, "id": other_grades.pk, "subjects": [], "grades": [9]})
    run = MatchRun.objects.get(pk=tutoring.run.pk)
    run.inputs = inputs
    run.save(update_fields=["packed_inputs"])
    assert "Teaches the weak subjects: Mathematics" in _row(world, tutoring.run, pair)

    response = signed_in(world.users["school_admin"]).post(
        f"{PAGE}pairs/{pair.pk}/change/", {"mentor": other_grades.pk}
    )

    assert response.status_code == 302
    changed = _girls_pair(tutoring)
    assert changed.reasons["subjects_matched"] == []
    assert changed.reasons["grade_fit"] is False
    assert changed.reasons["changed_by"] == "school_admin" and changed.reasons["changed_at"]
    row = _row(world, tutoring.run, pair)
    assert "Teaches none of the weak subjects" in row
    assert "Does not teach the student&#x27;s grade" in row
    assert "Teaches the weak subjects" not in row and "changed_at" not in row
    # Who changed it, by real name, as the removed pairs name who removed them.
    assert "(by hand)" in row and world.users["school_admin"].display_name in row


def _row(world, run, pair) -> str:
    page = signed_in(world.users["school_admin"]).get(f"{PAGE}{run.pk}/", **EN).content.decode()
    return page.split(f'data-proposal="{pair.pk}"', 1)[1].split("</tr>", 1)[0]


def test_the_proposal_shows_each_pairs_kind(world, tutoring):
    page = signed_in(world.users["school_admin"]).get(f"{PAGE}{tutoring.run.pk}/", **EN)
    html = page.content.decode()

    header = html.split('id="proposal"', 1)[1].split("</thead>", 1)[0]
    assert '<th scope="col">Kind</th>' in header
    assert '<td class="kind nobreak">Academic tutoring</td>' in _row(
        world, tutoring.run, _girls_pair(tutoring)
    )
