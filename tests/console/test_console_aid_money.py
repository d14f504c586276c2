"""The aid page, the console's home and the term report count a school's money alike.

One selector (`donations.selectors.term_money`) lists the projects and sums the
money of the home page and the aid page, by the report's rule
(`donations.money_words.funds_counted`): a project shared with other schools
shows its allocated and received as the district's, labelled so, and leaves
them out of a school's totals; a project for another level of school is not
listed to a school it does not concern.
"""

import pytest
from django.utils import timezone

from console.home import term_glance
from donations.models import AidProject
from donations.services.disbursements import disbursement_pay
from mentoring.models import School
from tests.conftest import client_for
from tests.console.console_world import EN, aid_project, aided, build_world, signed_in
from workers.models import Report

pytestmark = pytest.mark.django_db

PAGE = "/console/aid/"


@pytest.fixture
def world():
    world = build_world()
    shared = aid_project(world, code="LIVING")
    own = aid_project(world, code="OWN", arrived_fen=600_000)
    kindergarten = aid_project(world, code="KG", arrived_fen=300_000)
    AidProject.objects.filter(pk=kindergarten.pk).update(levels=["preschool"])
    paid = aided(world, shared, world.schools["A"], "王小丽")
    aided(world, shared, world.schools["B"], "赵小刚")
    aided(world, own, world.schools["A"], "钱小红")
    disbursement_pay(
        by=world.users["district_admin"],
        award_id=paid.pk,
        method="bank_transfer",
        paid_on=timezone.localdate(),
        instalment=1,
        bank_reference="ICBC-1",
    )
    world.projects = {"shared": shared, "own": own, "kg": kindergarten}
    return world


def _report(user, body, capture) -> dict:
    with capture(execute=True):
        response = client_for(user).post("/api/v1/reports/", body, format="json")
    assert response.status_code == 202, response.json()
    return Report.objects.get(pk=response.json()["id"]).data["aid"]["funds"]["all"]


def _aid_totals(user) -> dict:
    html = signed_in(user).get(PAGE, **EN).content.decode()
    totals = html[html.index('id="totals"') :]
    return {
        name: totals.split(f'data-total="{name}">', 1)[1].split(" yuan", 1)[0]
        for name in ("allocated", "arrived", "awarded", "paid")
    }


def _plain(grouped: str) -> str:
    return grouped.replace(",", "")


@pytest.mark.parametrize(
    ("reader", "received", "allocated"),
    [
        # The school's own project only: the shared project's money is the district's.
        ("school_admin", "6000.00", "10000.00"),
        # The whole district: every project's money.
        ("district_admin", "19000.00", "30000.00"),
    ],
)
def test_home_aid_page_and_report_agree_on_the_money(
    world, reader, received, allocated, django_capture_on_commit_callbacks
):
    user = world.users[reader]
    term = world.terms["one"]
    schools = list(School.objects.filter(memberships__user=user).distinct())
    body = {"term": term.pk}
    if reader == "school_admin":
        body["school"] = world.schools["A"].pk
    else:
        body["district"] = term.district_id

    home = term_glance(user, schools, term)["money"]
    page = _aid_totals(user)
    report = _report(user, body, django_capture_on_commit_callbacks)

    assert _plain(home["received"]) == _plain(page["arrived"]) == report["received"] == received
    assert _plain(home["allocated"]) == _plain(page["allocated"]) == report["allocated"]
    assert report["allocated"] == allocated
    assert _plain(home["paid"]) == _plain(page["paid"]) == report["paid"]
    assert _plain(home["awarded"]) == _plain(page["awarded"]) == report["awarded"]


def test_a_shared_projects_funds_are_labelled_the_districts_for_a_school_admin(world):
    html = signed_in(world.users["school_admin"]).get(PAGE, **EN).content.decode()

    shared = html[html.index(f'data-project="{world.projects["shared"].pk}"') :]
    shared = shared[: shared.index("</tr>")]
    own = html[html.index(f'data-project="{world.projects["own"].pk}"') :]
    own = own[: own.index("</tr>")]
    assert 'data-figure="arrived" data-shared>10,000.00 yuan' in shared
    assert "shared with other schools</div>" in shared
    assert 'data-figure="arrived">6,000.00 yuan' in own
    assert "data-shared" not in own


def test_a_primary_schools_admin_does_not_see_a_kindergarten_only_project(world):
    html = signed_in(world.users["school_admin"]).get(PAGE, **EN).content.decode()

    assert f'data-project="{world.projects["own"].pk}"' in html
    assert f'data-project="{world.projects["kg"].pk}"' not in html


def test_a_project_awarded_to_no_one_yet_is_labelled_so_not_shared(world):
    waiting = aid_project(world, code="WAITING", arrived_fen=200_000)
    html = signed_in(world.users["school_admin"]).get(PAGE, **EN).content.decode()

    row = html[html.index(f'data-project="{waiting.pk}"') :]
    row = row[: row.index("</tr>")]
    # Its money is still left out of the school's totals (no award of the school's)...
    assert 'data-figure="arrived" data-shared>2,000.00 yuan' in row
    # ...but no other school shares it: nobody has an award of it yet.
    assert "the district&#x27;s, not yet awarded</div>" in row
    assert "shared with other schools" not in row
    page = signed_in(world.users["school_admin"]).get(f"{PAGE}{waiting.pk}/", **EN)
    assert "Funds arrived · the district&#x27;s, not yet awarded" in page.content.decode()
