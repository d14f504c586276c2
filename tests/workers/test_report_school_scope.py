"""A school's report counts the donations and items that reached that school, not the county's;
a payment dated before its award never makes a negative average; a school without funding of
its own says so instead of drawing an empty chart.

Two primary schools A and B of one district, each with a donation project of its own, one
project shared by both and one with no award at all; books donated into the district's stock
and given to students of both schools. Each figure below is summed by hand from this world.
"""

import datetime
import re

import pytest
from django.utils import timezone

from donations.models import (
    AidProject,
    Award,
    Donor,
    DonorKind,
    FundSource,
    ItemKind,
    Pledge,
    PledgeInstalment,
    PledgeKind,
    PledgeSchedule,
    PledgeStatus,
)
from donations.services.contributions import contribution_post, contribution_record
from donations.services.items import item_distribute, item_donation_record
from tests.report_scene import add_students, award_bulk, kindergarten_scene, pay_bulk
from tests.workers.test_reports import build
from workers.factories import DistrictFactory, SchoolFactory, TermFactory, member
from workers.models import ReportStatus
from workers.reporting import exports
from workers.reporting.arithmetic import average
from workers.reports import ReportReader, for_files

pytestmark = pytest.mark.django_db

IN_TERM = datetime.date(2026, 9, 20)


class World:
    pass


def html(report, reader) -> str:
    """The report's web page in English, as its administrator exports it."""
    return exports.to_html(for_files(report, ReportReader(reader).data(report)), language="en")


def _project(district, code):
    return AidProject.objects.create(
        district=district, code=code, name=f"{code}助学", source=FundSource.SOCIAL, purpose=code
    )


def _give(world, name, project, amount_fen, *, anonymous=False):
    donor = Donor.objects.create(
        district=world.district, kind=DonorKind.ORGANISATION, name=name, anonymous=anonymous
    )
    contribution = contribution_record(
        by=world.admin,
        donor_id=donor.pk,
        project_id=project.pk,
        amount_fen=amount_fen,
        received_on=IN_TERM,
    )
    contribution_post(contribution_id=contribution.pk)
    return donor


def _pledge(world, donor, project, status, kind=PledgeKind.MONEY):
    pledge = Pledge.objects.create(
        donor=donor,
        kind=kind,
        project=project,
        purpose="" if project else "寄宿生课外读物",
        schedule=PledgeSchedule.ONCE,
        status=status,
        created_by=world.admin,
    )
    PledgeInstalment.objects.create(pledge=pledge, due_on=datetime.date(2026, 10, 1), amount=1)


@pytest.fixture
def world():
    w = World()
    w.district = DistrictFactory(code="D-SCOPE", name="两校县")
    w.term = TermFactory(district=w.district)
    w.a = SchoolFactory(district=w.district, code="A", name="甲小学", level="primary")
    w.b = SchoolFactory(district=w.district, code="B", name="乙小学", level="primary")
    w.admin = member("administrator", w.a, w.b)
    kids_a, kids_b = add_students(w.a, w.term, 10), add_students(w.b, w.term, 10)
    own_a, own_b = _project(w.district, "OWN-A"), _project(w.district, "OWN-B")
    shared, unawarded = _project(w.district, "SHARED"), _project(w.district, "NO-AWARD")
    # Money in: A's own 1,000.00; B's own 2,000.00 + 300.00 anonymous; the shared 800.00;
    # 150.00 to a project nobody was awarded this term.
    paper = _give(w, "县报社", own_a, 100_000)
    _give(w, "乙公司", own_b, 200_000)
    _give(w, "某人", own_b, 30_000, anonymous=True)
    shop = _give(w, "丙商店", shared, 80_000)
    _give(w, "丁女士", unawarded, 15_000)
    # Awards: A's project to A, B's to B, the shared one to one child of each school.
    award_bulk(own_a, w.term, kids_a[:1], 50_000, by=w.admin)
    award_bulk(own_b, w.term, kids_b[:1], 50_000, by=w.admin)
    award_bulk(shared, w.term, [kids_a[1], kids_b[1]], 30_000, by=w.admin)
    # Pledges due in the term: one open to A's project, one overdue to the shared project,
    # one of books (no project).
    _pledge(w, paper, own_a, PledgeStatus.PLEDGED)
    _pledge(w, shop, shared, PledgeStatus.OVERDUE)
    _pledge(w, shop, None, PledgeStatus.PLEDGED, kind=PledgeKind.ITEMS)
    # 100 books worth 2,500.00 into the district's stock; 4 given in A, 6 in B.
    books = ItemKind.objects.create(district=w.district, name="课外读物", unit="本")
    item_donation_record(
        by=w.admin,
        donor_id=shop.pk,
        item_kind_id=books.pk,
        quantity=100,
        value_fen=250_000,
        received_on=IN_TERM,
    )
    for kid, quantity in [(kids_a[2], 4), (kids_b[2], 2), (kids_b[3], 4)]:
        item_distribute(
            by=w.admin,
            item_kind_id=books.pk,
            student_id=kid.pk,
            quantity=quantity,
            given_on=datetime.date(2026, 10, 2),
            signed_by_student=True,
            signed_by_guardian=True,
        )
    return w


def test_a_schools_report_counts_only_the_donations_and_items_that_reached_it(
    world, django_capture_on_commit_callbacks
):
    report = build(world, django_capture_on_commit_callbacks, school=world.a)

    # Issued: its money agrees with the ledger and it reconciles.
    assert report.status == ReportStatus.ISSUED, report.error
    donations = report.data["donations"]
    # Only A's own project: 1,000.00 in one contribution. B's, the shared project's and the
    # unawarded project's money is the district's.
    assert donations["money"] == "1000.00" == report.data["headline"]["donations"]
    assert donations["contributions"] == 1
    assert donations["by_project"] == {"OWN-A": {"amount": "1000.00", "contributions": 1}}
    assert [d["donor"] for d in donations["by_donor"]] == ["县报社"]
    assert donations["pledges"] == {"fulfilled": 0, "overdue": 0, "open": 1, "cancelled": 0}
    # Books: none received by the school, 4 given to its students at 25.00 each.
    assert donations["items"] == [
        {
            "name": "课外读物",
            "unit": "本",
            "received": 0,
            "received_value": "0.00",
            "given": 4,
            "given_value": "100.00",
        }
    ]
    assert report.sources["contributions"] == 1
    assert "乙公司" not in str(report.data["donations"])


def test_the_district_report_counts_both_schools_donations_and_items(
    world, django_capture_on_commit_callbacks
):
    report = build(world, django_capture_on_commit_callbacks)

    assert report.status == ReportStatus.ISSUED, report.error
    donations = report.data["donations"]
    # 1,000 + 2,000 + 300 + 800 + 150 = 4,250.00 in five contributions.
    assert donations["money"] == "4250.00" == report.data["headline"]["donations"]
    assert donations["contributions"] == 5
    assert {code: p["amount"] for code, p in donations["by_project"].items()} == {
        "OWN-A": "1000.00",
        "OWN-B": "2300.00",
        "SHARED": "800.00",
        "NO-AWARD": "150.00",
    }
    assert donations["pledges"] == {"fulfilled": 0, "overdue": 1, "open": 2, "cancelled": 0}
    [books] = donations["items"]
    assert (books["received"], books["received_value"]) == (100, "2500.00")
    assert (books["given"], books["given_value"]) == (10, "250.00")


def test_b_report_has_its_own_and_the_two_add_up_to_the_awarded_projects(
    world, django_capture_on_commit_callbacks
):
    report = build(world, django_capture_on_commit_callbacks, school=world.b)

    assert report.status == ReportStatus.ISSUED, report.error
    donations = report.data["donations"]
    assert donations["money"] == "2300.00"
    assert donations["contributions"] == 2
    assert donations["by_project"] == {"OWN-B": {"amount": "2300.00", "contributions": 2}}
    assert donations["items"][0]["given"] == 6
    assert donations["items"][0]["received"] == 0


def test_a_schools_html_says_whose_donations_it_counts_and_that_it_has_no_funding(
    world, django_capture_on_commit_callbacks
):
    report = build(world, django_capture_on_commit_callbacks, school=world.a)
    page = html(report, world.admin)
    # No funding rows of its own: a sentence instead of an empty chart.
    assert "No funding recorded for this school this term." in page
    assert page.count('<svg class="chart') == 2
    assert "counts only the donations to its own aid projects" in page
    assert "Items are donated into the district&#x27;s stock" in page
    district = build(world, django_capture_on_commit_callbacks)
    district_page = html(district, world.admin)
    assert "No funding recorded for this district this term." in district_page
    assert "counts only the donations" not in district_page


def test_a_school_with_funding_draws_its_chart(django_capture_on_commit_callbacks):
    scene = kindergarten_scene()
    report = build(scene, django_capture_on_commit_callbacks, school=scene.schools["kg"])
    page = html(report, scene.admin)
    assert "No funding recorded" not in page
    assert page.count('<svg class="chart') == 3


def test_an_average_that_rounds_to_zero_is_never_negative_zero():
    assert average(-1, 30) == "0.0"
    assert average(0, 7) == "0.0"
    assert average(-1, 10) == "-0.1"  # the arithmetic itself stays honest
    assert average(1, 30) == "0.0"


def test_a_payment_dated_before_its_award_counts_no_days_not_negative_ones(
    django_capture_on_commit_callbacks,
):
    district = DistrictFactory(code="D-DAYS")
    term = TermFactory(district=district)
    school = SchoolFactory(district=district, code="EARLY", level="primary")
    admin = member("administrator", school)
    project = _project(district, "GIFT")
    world = World()
    world.district, world.term, world.admin = district, term, admin
    _give(world, "县报社", project, 1_000_000)
    kids = add_students(school, term, 20)
    awarded_at = timezone.make_aware(datetime.datetime(2026, 10, 10, 9, 0))
    awards = award_bulk(project, term, kids, 10_000, by=admin, created_at=awarded_at)
    # Nineteen paid the day they were awarded, one dated the day before its award. The
    # database now refuses such a payment (donations 0022), so the award is moved a day
    # later after its payment: a payment recorded before that rule, which the report may
    # still meet.
    pay_bulk(awards, by=admin, paid_on=datetime.date(2026, 10, 10))
    Award.objects.filter(pk=awards[19].pk).update(
        created_at=awarded_at + datetime.timedelta(days=1)
    )

    report = build(world, django_capture_on_commit_callbacks, school=school)

    assert report.status == ReportStatus.ISSUED, report.error
    figures = report.data["aid"]["schools"]["EARLY"]
    assert figures["payments"] == 20
    assert figures["average_days_to_payment"] == "0.0"
    assert figures["longest_days_to_payment"] == 0
    page = html(report, world.admin)
    assert not re.search(r">-0\.0<|>-\d", page)
