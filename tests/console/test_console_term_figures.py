"""The console counts the term's sessions and home visits as the term report does.

The weekly check's rows count academic pairings in school weeks only; the
term report counts every session of the term's pairings, a care pairing's
home visits too. The console's home and weekly page show the report's count
(`term_tutoring_figures`), so the two never disagree for the same schools.
"""

import datetime
import re
from decimal import Decimal

import pytest

from donations.models import AidProject, FundSource, ProjectFunding
from donations.services.ledger import fund_account_of, ledger_post
from mentoring.models import PairingKind, SessionKind
from tests.console.console_world import EN, paired, pupil, signed_in
from tests.report_scene import appropriate, award_bulk, pay_bulk
from workers.factories import TutoringSessionFactory
from workers.reports import report_build, report_start

pytestmark = pytest.mark.django_db


def _sessions(pairing, kinds: list[str], minutes: int = 40) -> None:
    for n, kind in enumerate(kinds):
        TutoringSessionFactory(
            pairing=pairing,
            kind=kind,
            minutes=minutes,
            date=pairing.term.start_date + datetime.timedelta(days=n + 1),
        )


def _term_world(world):
    """Academic and care pairings in schools A and B, with tutoring and home visits."""
    a, b, term = world.schools["A"], world.schools["B"], world.terms["one"]
    tutoring, visit = SessionKind.TUTORING, SessionKind.HOME_VISIT
    _sessions(paired(a, term, "王小丽"), [tutoring, tutoring, visit])
    care_a = paired(a, term, "张小军")
    care_a.kind = PairingKind.CARE
    care_a.save()
    _sessions(care_a, [visit, visit, SessionKind.MATERIAL_HELP], minutes=60)
    care_b = paired(b, term, "刘小东")
    care_b.kind = PairingKind.CARE
    care_b.save()
    _sessions(care_b, [visit, visit, visit, visit], minutes=30)
    _sessions(paired(b, term, "陈小红"), [tutoring, SessionKind.COUNSELLING])


def _report(by, **where):
    report = report_start(by=by, **where)
    report_build(report, lambda value: None)
    report.refresh_from_db()
    return report.data["mentoring"]


def _home_figures(html: str) -> tuple[int, int]:
    tile = html.split('data-figure="weekly"', 1)[1].split('data-figure="arrived"', 1)[0]
    sessions, visits = re.search(r"(\d+) sessions, (\d+) home visits", tile).groups()
    return int(sessions), int(visits)


def _weekly_row(html: str, code: str) -> list[int]:
    row = html.split(f'data-school="{code}"', 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r"<td>(\d+)</td>", row)
    # Sessions, minutes, home visits: the three cells after the weeks met.
    return [int(n) for n in cells[:3]]


def test_the_console_home_shows_the_reports_sessions_and_home_visits(world):
    _term_world(world)
    term, a = world.terms["one"], world.schools["A"]
    school_admin, district_admin = world.users["school_admin"], world.users["district_admin"]

    school_report = _report(school_admin, term_id=term.pk, school_id=a.pk)["total"]
    district_report = _report(district_admin, term_id=term.pk, district_id=a.district_id)["total"]
    school = signed_in(school_admin).get("/console/", **EN).content.decode()
    district = signed_in(district_admin).get("/console/", **EN).content.decode()

    # Care pairings' home visits count: 1 + 2 in A, 4 more in B.
    assert (school_report["sessions"], school_report["home_visits"]) == (6, 3)
    assert (district_report["sessions"], district_report["home_visits"]) == (12, 7)
    assert _home_figures(school) == (6, 3)
    assert _home_figures(district) == (12, 7)


def test_the_weekly_page_shows_the_reports_figures_per_school_and_mentor(world):
    _term_world(world)
    term, a, b = world.terms["one"], world.schools["A"], world.schools["B"]
    admin = world.users["district_admin"]

    report = _report(admin, term_id=term.pk, district_id=a.district_id)["schools"]
    page = signed_in(admin).get("/console/weekly/", **EN).content.decode()

    for school in (a, b):
        figures = report[school.code]
        expected = [figures["sessions"], figures["minutes"], figures["home_visits"]]
        assert _weekly_row(page, school.code) == expected
    assert _weekly_row(page, b.code) == [6, 200, 4]
    # A care mentor, with no week checked, is listed with its sessions.
    mentors = page.split('id="mentors"', 1)[1].split('id="reminders"', 1)[0]
    assert mentors.count("data-mentor=") == 4


def _money_world(world):
    """A provincial project shared by schools A and B, and a donation project of A's alone.

    Of the government awards A's are partly paid and B's not at all; the
    donations are paid in full, so a rate over all funds would differ from the
    government funds' rate the report gives.
    """
    a, b, term = world.schools["A"], world.schools["B"], world.terms["one"]
    by = world.users["district_admin"]
    grant = AidProject.objects.create(
        district=a.district,
        code="GRANT",
        name="助学金",
        source=FundSource.PROVINCIAL,
        purpose="living",
    )
    funding = ProjectFunding.objects.create(
        project=grant, term=term, source=FundSource.PROVINCIAL, amount_fen=1_000_000
    )
    appropriate(grant, funding, 800_000)
    gifts = AidProject.objects.create(
        district=a.district, code="GIFT", name="爱心捐助", source=FundSource.SOCIAL, purpose="gift"
    )
    ledger_post(account_id=fund_account_of(gifts).pk, kind="contribution", amount_fen=60_000, by=by)
    in_a = [pupil(a, term, f"甲{n}") for n in range(3)]
    in_b = [pupil(b, term, f"乙{n}") for n in range(2)]
    pay_bulk(award_bulk(grant, term, in_a, 50_000, by=by)[:2], by=by)
    award_bulk(grant, term, in_b, 50_000, by=by)
    pay_bulk(award_bulk(gifts, term, in_a[:2], 30_000, by=by), by=by)


def _home_money(html: str) -> dict:
    tiles = html.split('data-figure="arrived"', 1)[1]
    rates = dict(re.findall(r'data-rate="(\w+)">[^<]*?([\d.]+)%', tiles))
    arrived = re.search(r'<div class="figure">([\d,.]+)</div>', tiles).group(1)
    return {"received": arrived, **rates}


def test_the_console_home_shows_the_reports_money_and_government_rates(world):
    _money_world(world)
    term, a = world.terms["one"], world.schools["A"]
    school_admin, district_admin = world.users["school_admin"], world.users["district_admin"]

    for admin, where in (
        (school_admin, {"school_id": a.pk}),
        (district_admin, {"district_id": a.district_id}),
    ):
        report = report_start(by=admin, term_id=term.pk, **where)
        report_build(report, lambda value: None)
        report.refresh_from_db()
        funds = report.data["aid"]["funds"]
        home = _home_money(signed_in(admin).get(f"/console/?term={term.pk}", **EN).content.decode())

        expected = {"received": f"{Decimal(funds['all']['received']):,.2f}"}
        for rate in ("arrival", "payout"):
            if funds["government"][f"{rate}_rate"] is not None:
                expected[rate] = funds["government"][f"{rate}_rate"]
        assert home == expected, admin
    # The school's own report leaves the shared grant's money out; the district's counts it.
    assert expected == {"received": "8,000.00", "arrival": "80.00", "payout": "40.00"}
