"""/console/matching/<id>/: the pairings a run keeps as they are (`pairings_kept_by`).

A run of a term whose earlier proposal was approved finds its pairs active
and locks them: it proposes nothing for those students. Its page lists them,
by the rule the run locked them by, so that an administrator sees what stays
and can propose another mentor for a kept student (`match_run_pair_add`;
approving then ends the kept pairing).
"""

import dataclasses
import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mentoring.models import (
    AccessLogEntry,
    AssessmentStatus,
    Gender,
    MatchRun,
    MatchRunStatus,
    Mentor,
    Pairing,
    PairingKind,
    PairingStatus,
    ProposedPair,
    Student,
)
from mentoring.selectors.match_runs import pairings_kept_by
from tests.console.console_world import (
    EN,
    READERS,
    approve_run,
    assessment,
    paired,
    pupil,
    signed_in,
)
from workers.factories import MentorFactory, PairingFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/console/matching/"


@dataclasses.dataclass
class SecondRun:
    first: MatchRun  # approved: the girl's care pairing is active
    run: MatchRun  # proposed after it: keeps that pairing, proposes nothing
    girl: Student
    kept: Pairing
    women: list[Mentor]


def _start(client, term, capture) -> MatchRun:
    with capture(execute=True):
        started = client.post(PAGE, {"term": term.pk, "kinds": ["care"]})
    assert started.status_code == 302, started.content.decode()
    return MatchRun.objects.order_by("-pk").first()


@pytest.fixture
def second(world, django_capture_on_commit_callbacks) -> SecondRun:
    a, term = world.schools["A"], world.terms["one"]
    term.district.same_gender_from_age = 12
    term.district.save()
    fourteen = timezone.localdate().replace(day=1) - datetime.timedelta(days=14 * 366)
    girl = assessment(a, term, "王小丽", AssessmentStatus.APPROVED, tier="hardship").student
    Student.objects.filter(pk=girl.pk).update(gender=Gender.FEMALE, birth_date=fourteen)
    women = [
        MentorFactory(user=UserFactory(first_name="老师", last_name=family), schools=[a])
        for family in ("王", "赵")
    ]
    client = signed_in(world.users["school_admin"])
    first = _start(client, term, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        approve_run(client, first)
    run = _start(client, term, django_capture_on_commit_callbacks)
    run.refresh_from_db()
    assert run.status == MatchRunStatus.PROPOSED and run.pk != first.pk
    kept = Pairing.objects.get(student=girl, status=PairingStatus.ACTIVE, kind=PairingKind.CARE)
    return SecondRun(first=first, run=run, girl=girl, kept=kept, women=women)


def _kept_rows(html: str) -> set[int]:
    if 'id="kept-pairings"' not in html:
        return set()
    table = html[html.index('id="kept-pairings"') :]
    table = table[: table.index("</table>")]
    return {int(part.split('"')[1]) for part in table.split("data-kept=")[1:]}


def test_a_second_run_proposes_nothing_and_lists_the_pairing_it_keeps(world, second):
    admin = world.users["school_admin"]

    html = signed_in(admin).get(f"{PAGE}{second.run.pk}/", **EN).content.decode()

    care = second.run.summary["kinds"]["care"]
    assert (care["proposed"], care["kept"]) == (0, 1)
    assert _kept_rows(html) == {second.kept.pk}
    row = html[html.index(f'data-kept="{second.kept.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "王小丽" in row and second.kept.mentor.user.display_name in row
    # Named on the page, so recorded as the API's `pairings/` list is.
    entry = AccessLogEntry.objects.get(user=admin, object_kind="pairing")
    assert list(entry.students.values_list("student_id", flat=True)) == [second.girl.pk]


def test_the_kept_pairings_are_those_the_run_locked(world, second):
    """One rule: what the run's solve found standing, less what its approval would end."""
    locked = {tuple(pair) for pair in second.run.inputs["locked"]["care"]}

    kept = {(p.student_id, p.mentor_id) for p in pairings_kept_by(second.run)}

    assert kept == locked == {(second.girl.pk, second.kept.mentor_id)}


def test_an_approved_runs_own_pairs_are_its_proposal_not_kept(world, second):
    html = signed_in(world.users["school_admin"]).get(f"{PAGE}{second.first.pk}/").content.decode()

    assert _kept_rows(html) == set()
    assert not pairings_kept_by(second.first).exists()


def test_only_the_runs_schools_and_kinds_are_kept(world, second):
    a, b, term = world.schools["A"], world.schools["B"], world.terms["one"]
    # An academic pairing of school A (the world's 李小明 has one too), a care pairing of B,
    # and one of A ended: none is the care run of school A's to keep.
    paired(a, term, "周小平")
    care_b = paired(b, term, "赵小刚")
    Pairing.objects.filter(pk=care_b.pk).update(kind=PairingKind.CARE)
    ended = paired(a, term, "孙小梅")
    Pairing.objects.filter(pk=ended.pk).update(
        kind=PairingKind.CARE, status=PairingStatus.ENDED, ended_on=timezone.localdate()
    )

    html = signed_in(world.users["district_admin"]).get(f"{PAGE}{second.run.pk}/").content.decode()

    assert _kept_rows(html) == {second.kept.pk}


@pytest.mark.parametrize("reader", [*READERS, "anonymous"])
def test_the_kept_pairings_are_shown_only_to_the_runs_administrators(world, second, reader):
    client = Client() if reader == "anonymous" else signed_in(world.users[reader])

    response = client.get(f"{PAGE}{second.run.pk}/")

    expected = {"school_admin": 200, "district_admin": 200, "other_school_admin": 404}
    assert response.status_code == expected.get(reader, 302 if reader == "anonymous" else 403)
    assert ("王小丽" in response.content.decode()) == (response.status_code == 200)


def test_a_kept_student_is_given_another_mentor_through_the_proposal(world, second):
    client = signed_in(world.users["school_admin"])
    other = next(w for w in second.women if w.pk != second.kept.mentor_id)
    form = client.get(f"{PAGE}{second.run.pk}/?replace={second.kept.pk}", **EN).content.decode()
    assert f'id="replace-{second.kept.pk}"' in form
    assert f'value="care:{second.girl.pk}"' in form

    added = client.post(
        f"{PAGE}{second.run.pk}/pairs/add/",
        {"student": f"care:{second.girl.pk}", "mentor": other.pk},
    )

    assert added.status_code == 302
    proposal = ProposedPair.objects.get(run=second.run)
    assert (proposal.pairing.student_id, proposal.pairing.mentor_id) == (second.girl.pk, other.pk)
    html = client.get(f"{PAGE}{second.run.pk}/").content.decode()
    # Proposed now, no longer kept: approving ends the kept pairing.
    assert _kept_rows(html) == set()
    assert f'data-proposal="{proposal.pk}"' in html
    approve_run(client, second.run)
    second.kept.refresh_from_db()
    assert second.kept.status == PairingStatus.ENDED
    assert Pairing.objects.get(
        student=second.girl, kind=PairingKind.CARE, status=PairingStatus.ACTIVE
    ).mentor_id == (other.pk)


# --- queries -----------------------------------------------------------------------------


def _queries(client, run) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"{PAGE}{run.pk}/").status_code == 200
    return len(queries)


def test_the_kept_pairings_cost_the_same_queries_for_1_or_11(world, second):
    a, term = world.schools["A"], world.terms["one"]
    client = signed_in(world.users["school_admin"])
    few = _queries(client, second.run)
    for n in range(10):
        PairingFactory(
            mentor=MentorFactory(schools=[a]),
            student=pupil(a, term, f"学生{n}"),
            term=term,
            kind=PairingKind.CARE,
            started_on=term.start_date,
        )

    assert len(_kept_rows(client.get(f"{PAGE}{second.run.pk}/").content.decode())) == 11
    assert _queries(client, second.run) == few


def test_the_selector_reads_the_kept_pairings_in_one_query(
    world, second, django_assert_num_queries
):
    with django_assert_num_queries(1):
        shown = [
            (p.student.name, p.student.school.name, p.mentor.user.display_name)
            for p in pairings_kept_by(second.run)
        ]

    assert shown == [("王小丽", "阳光小学", second.kept.mentor.user.display_name)]
