"""A match run's page lists every unmatched student, also one whose pair was removed by hand.

The run's figures are counted from its rows as they stand (`proposal_figures`),
so removing a pair leaves the student listed unmatched, with who removed it and
when, and a form to pair her by hand with a mentor the rules allow
(`match_run_pair_add`, the API's service). Approving asks for a tick naming
the pairs and the unmatched students reviewed.
"""

import dataclasses
import datetime

import pytest
from django.test import Client
from django.utils import timezone

from mentoring.models import (
    AssessmentStatus,
    Gender,
    MatchRun,
    MatchRunStatus,
    Mentor,
    PairingStatus,
    ProposedPair,
    Student,
)
from tests.console.console_world import EN, assessment, signed_in
from workers.factories import MentorFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/console/matching/"
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@dataclasses.dataclass
class Run:
    run: MatchRun
    girls: list[Student]  # 14: paired only with women (the district's safeguarding rule)
    women: list[Mentor]
    man: Mentor


def _teacher(school, family: str, gender: str) -> Mentor:
    user = UserFactory(first_name="老师", last_name=family)
    return MentorFactory(user=user, schools=[school], gender=gender)


@pytest.fixture
def solved(world, django_capture_on_commit_callbacks) -> Run:
    a, term = world.schools["A"], world.terms["one"]
    term.district.same_gender_from_age = 12
    term.district.save()
    fourteen = timezone.localdate().replace(day=1) - datetime.timedelta(days=14 * 366)
    girls = [
        assessment(a, term, name, AssessmentStatus.APPROVED, tier="hardship").student
        for name in ("许晶", "王小丽")
    ]
    Student.objects.filter(pk__in=[g.pk for g in girls]).update(
        gender=Gender.FEMALE, birth_date=fourteen
    )
    women, man = (
        [_teacher(a, family, Gender.FEMALE) for family in ("王", "赵")],
        _teacher(a, "刘", Gender.MALE),
    )
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(world.users["school_admin"]).post(PAGE, {"term": term.pk, "kinds": ["care"]})
    run = MatchRun.objects.get()
    assert run.status == MatchRunStatus.PROPOSED
    assert ProposedPair.objects.filter(run=run).count() == 2
    return Run(run=run, girls=girls, women=women, man=man)


def _page(client: Client, run, **query) -> str:
    response = client.get(f"{PAGE}{run.pk}/", query, **EN)
    assert response.status_code == 200
    return response.content.decode()


def _unmatched(html: str) -> dict[int, str]:
    """The unmatched students listed, by id, each with the words of its row."""
    if 'data-unmatched="care"' not in html:
        return {}
    table = html.split('data-unmatched="care"', 1)[1].split("</table>", 1)[0]
    rows = table.split('<tr data-student="')[1:]
    return {int(row.split('"', 1)[0]): row.split("</tr>", 1)[0] for row in rows}


def _state(run) -> list:
    return sorted(
        ProposedPair.objects.filter(run=run).values_list("pairing__student", "pairing__mentor")
    )


def _remove_xu(client: Client, s: Run):
    pair = ProposedPair.objects.get(run=s.run, pairing__student=s.girls[0])
    return client.post(f"{PAGE}pairs/{pair.pk}/remove/")


def _add(client: Client, s: Run, mentor: Mentor, **extra):
    return client.post(
        f"{PAGE}{s.run.pk}/pairs/add/",
        {"student": f"care:{s.girls[0].pk}", "mentor": mentor.pk},
        **extra,
    )


def test_a_removed_pairs_student_is_listed_unmatched_with_who_removed_it(world, solved):
    client = signed_in(world.users["district_admin"])
    before = _page(client, solved.run)
    assert "Students: 2. Pairs proposed: 2, kept: 0. Unmatched: 0." in before
    assert _unmatched(before) == {}

    assert _remove_xu(client, solved).status_code == 302

    after = _page(client, solved.run)
    assert "Students: 2. Pairs proposed: 1, kept: 0. Unmatched: 1." in after
    row = _unmatched(after)[solved.girls[0].pk]
    assert (
        "许晶" in row
        and f"removed by hand by {world.users['district_admin'].display_name} on" in row
    )
    # Her form is a link away, and the tick names what there is to approve.
    assert f'data-pair="care:{solved.girls[0].pk}"' in row
    assert 'name="reviewed" value="1:1"' in after
    chinese = signed_in(world.users["district_admin"]).get(f"{PAGE}{solved.run.pk}/", **ZH)
    assert "2名学生" in chinese.content.decode() and "未匹配1人" in chinese.content.decode()
    # The trace is the run's: also in what the API shows of it.
    removed = MatchRun.objects.get().summary["removed_by_hand"]
    assert [(r["student"], r["kind"], r["by"]) for r in removed] == [
        (solved.girls[0].pk, "care", "district_admin")
    ]


def test_the_removed_student_is_paired_by_hand_with_an_allowed_mentor(world, solved):
    client = signed_in(world.users["school_admin"])
    _remove_xu(client, solved)
    xu = solved.girls[0]

    form = _page(client, solved.run, pair=f"care:{xu.pk}")
    options = form.split(f'id="add-mentor-care-{xu.pk}"', 1)[1].split("</select>", 1)[0]
    assert {f'value="{w.pk}"' in options for w in solved.women} == {True}
    # At 14 she is paired with women only: the man is not offered.
    assert f'value="{solved.man.pk}"' not in options

    response = _add(client, solved, solved.women[1])

    assert response.status_code == 302
    pair = ProposedPair.objects.select_related("pairing").get(run=solved.run, pairing__student=xu)
    assert (pair.pairing.mentor_id, pair.pairing.status, pair.by_hand) == (
        solved.women[1].pk,
        PairingStatus.PROPOSED,
        True,
    )
    page = _page(client, solved.run)
    assert "Students: 2. Pairs proposed: 2, kept: 0. Unmatched: 0." in page
    assert _unmatched(page) == {}


@pytest.mark.parametrize(
    ("reader", "status"),
    [("other_school_admin", 404), ("teacher", 403), ("donor", 403), ("anonymous", 302)],
)
def test_only_the_runs_administrators_pair_an_unmatched_student(world, solved, reader, status):
    _remove_xu(signed_in(world.users["school_admin"]), solved)
    before = _state(solved.run)
    client = Client() if reader == "anonymous" else signed_in(world.users[reader])

    assert _add(client, solved, solved.women[0]).status_code == status
    assert _state(solved.run) == before


def test_a_mentor_the_rules_refuse_is_refused_with_the_reason_and_nothing_written(world, solved):
    client = signed_in(world.users["school_admin"])
    _remove_xu(client, solved)
    before = _state(solved.run)

    response = _add(client, solved, solved.man, **EN)

    assert response.status_code == 400
    html = response.content.decode()
    problems = html.split('id="problems"', 1)[1].split("</ul>", 1)[0]
    assert "The district&#x27;s safeguarding rule: from the age of 12" in problems
    assert _state(solved.run) == before
    # The page shows her form again, and she is still listed unmatched.
    assert f'data-add="care:{solved.girls[0].pk}"' in html
    assert solved.girls[0].pk in _unmatched(html)


def test_approving_is_below_the_proposal_and_asks_for_the_tick(world, solved):
    client = signed_in(world.users["school_admin"])
    _remove_xu(client, solved)
    page = _page(client, solved.run)
    assert page.index('id="proposal"') < page.index('id="approve"')
    assert page.index('data-unmatched="care"') < page.index('id="approve"')
    approve = f"{PAGE}{solved.run.pk}/approve/"

    untick = client.post(approve, {}, **EN)
    stale = client.post(approve, {"reviewed": "2:0"}, **EN)

    assert (untick.status_code, stale.status_code) == (400, 400)
    assert "Tick the box to confirm that you have reviewed the proposal." in untick.content.decode()
    assert "it now has 1 pairs and 1 unmatched students" in stale.content.decode()
    assert MatchRun.objects.get().status == MatchRunStatus.PROPOSED

    approved = client.post(approve, {"reviewed": "1:1"})

    assert approved.status_code == 302
    assert MatchRun.objects.get().status == MatchRunStatus.APPROVED
    # Approved, she is still listed unmatched, with who removed her pair.
    row = _unmatched(_page(client, solved.run))[solved.girls[0].pk]
    assert (
        f"removed by hand by {world.users['school_admin'].display_name}" in row
        and "data-pair" not in row
    )
