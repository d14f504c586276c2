"""Aid projects below the API: standards, allocation by rank, late awards, item pledges."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from core.errors import DomainError
from donations.models import (
    AidRefusal,
    Award,
    Boarding,
    Donor,
    FundSource,
    ItemKind,
    PledgeKind,
    PledgeSchedule,
    PledgeStatus,
    term_amount_fen,
)
from donations.services.allocation import (
    FUNDS_EXHAUSTED,
    QUOTA_FULL,
    StandardRow,
    allocate,
    standard_for,
)
from donations.services.awards import award_create, awards_flag_late
from donations.services.items import item_donation_record
from donations.services.pledges import pledge_create
from donations.services.projects import appropriation_receive, project_save
from mentoring.models import AssessmentStatus, Notification, NotificationKind
from workers.factories import (
    AssessmentFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    member,
)


def test_a_term_pays_half_the_yearly_standard_rounded_half_up_to_the_fen():
    assert term_amount_fen(62_500) == 31_250  # 625.00 a year → 312.50 a term
    assert term_amount_fen(200_000) == 100_000
    assert term_amount_fen(62_501) == 31_251


def test_the_most_specific_standard_applies():
    rows = [
        StandardRow("", "", Boarding.ANY, 20_000),
        StandardRow("special_hardship", "", Boarding.ANY, 50_000),
        StandardRow("special_hardship", "junior_middle", Boarding.ANY, 75_000),
        StandardRow("", "", Boarding.BOARDING, 125_000),
    ]
    pick = standard_for
    assert pick(rows, tier="hardship", level="primary", boarding=False).yearly_fen == 20_000
    assert pick(rows, tier="special_hardship", level="primary", boarding=False).yearly_fen == 50_000
    assert (
        pick(rows, tier="special_hardship", level="junior_middle", boarding=False).yearly_fen
        == 75_000
    )
    assert pick(rows, tier="hardship", level="primary", boarding=True).yearly_fen == 125_000
    assert pick(rows[1:3], tier="hardship", level="primary", boarding=False) is None


@pytest.fixture
def living(district, school_a, district_admin):
    term = TermFactory(district=district)
    project = project_save(
        by=district_admin,
        district=district,
        fields={
            "code": "LIVING",
            "name": "Living subsidy",
            "source": FundSource.PROVINCIAL,
            "purpose": "living",
            "tiers": ["special_hardship", "hardship"],
        },
        standards=[
            {"tier": "special_hardship", "level": "", "boarding": "any", "yearly_fen": 100_000},
            {"tier": "hardship", "level": "", "boarding": "any", "yearly_fen": 40_000},
        ],
        funding=[{"term": term.pk, "source": FundSource.PROVINCIAL, "amount_fen": 150_000}],
        quotas=[{"term": term.pk, "school": school_a.pk, "places": 3}],
    )
    return project, term


def approved(school, term, tier, need):
    student = StudentFactory(school=school)
    StudentRecordFactory(student=student, term=term)
    AssessmentFactory(
        student=student, term=term, status=AssessmentStatus.APPROVED, tier=tier, need_score=need
    )
    return student


def test_allocation_follows_need_and_stops_funding_below_the_first_student_it_cannot_fund(
    living, school_a, district_admin
):
    project, term = living
    appropriation_receive(
        by=district_admin,
        project=project,
        term_id=term.pk,
        source=FundSource.PROVINCIAL,
        amount_fen=90_000,
    )
    # Ranked: special hardship first (need 90, then 80), then hardship.
    first = approved(school_a, term, "special_hardship", 90)  # 500.00 → 400.00 left
    second = approved(school_a, term, "special_hardship", 80)  # 500.00 > 400.00: out
    third = approved(school_a, term, "hardship", 99)  # 200.00 would fit, but ranks lower
    allocation = allocate(by=district_admin, project=project, term=term)
    assert list(Award.objects.filter(project=project).values_list("student", "amount_fen")) == [
        (first.pk, 50_000)
    ]
    reasons = {row["student"]: (row["reason"], row["rank"]) for row in allocation.left_out}
    assert reasons == {second.pk: (FUNDS_EXHAUSTED, 2), third.pk: (FUNDS_EXHAUSTED, 3)}
    assert (allocation.awarded, allocation.amount_fen) == (1, 50_000)


def test_allocation_respects_the_quota_and_running_it_again_adds_nothing(
    living, school_a, district_admin
):
    project, term = living
    appropriation_receive(
        by=district_admin,
        project=project,
        term_id=term.pk,
        source=FundSource.PROVINCIAL,
        amount_fen=150_000,
    )
    students = [approved(school_a, term, "hardship", 50 - i) for i in range(5)]
    first = allocate(by=district_admin, project=project, term=term)
    assert first.awarded == 3
    assert [row["reason"] for row in first.left_out] == [QUOTA_FULL, QUOTA_FULL]
    assert {row["student"] for row in first.left_out} == {students[3].pk, students[4].pk}
    again = allocate(by=district_admin, project=project, term=term)
    assert again.awarded == 0
    assert Award.objects.filter(project=project).count() == 3


def test_a_refused_duplicate_is_recorded_even_though_the_award_is_not(
    living, district, school_a, school_b, district_admin
):
    project, term = living
    appropriation_receive(
        by=district_admin,
        project=project,
        term_id=term.pk,
        source=FundSource.PROVINCIAL,
        amount_fen=150_000,
    )
    other = project_save(
        by=district_admin,
        district=district,
        fields={
            "code": "LIVING-B",
            "name": "Living subsidy, second",
            "source": FundSource.COUNTY,
            "purpose": "living",
        },
    )
    student = StudentFactory(school=school_a)
    award_create(
        by=district_admin,
        project_id=project.pk,
        student_id=student.pk,
        term_id=term.pk,
        amount_fen=20_000,
    )
    with pytest.raises(DomainError) as refused:
        award_create(
            by=district_admin,
            project_id=other.pk,
            student_id=student.pk,
            term_id=term.pk,
            amount_fen=20_000,
        )
    assert "LIVING" in str(refused.value.message)
    refusal = AidRefusal.objects.get()
    assert (refusal.project, refusal.student, refusal.via) == (other, student, "manual")


def test_unpaid_awards_are_flagged_late_once_and_their_administrators_notified_once(
    living, school_a, school_b, district_admin, django_capture_on_commit_callbacks, mailoutbox
):
    project, term = living
    appropriation_receive(
        by=district_admin,
        project=project,
        term_id=term.pk,
        source=FundSource.PROVINCIAL,
        amount_fen=150_000,
    )
    admin_a = member("administrator", school_a)
    member("administrator", school_b)  # another school's: not told
    late = approved(school_a, term, "hardship", 50)
    fresh = approved(school_a, term, "hardship", 40)
    allocate(by=district_admin, project=project, term=term)
    today = timezone.localdate()
    Award.objects.filter(student=late).update(
        created_at=timezone.now() - datetime.timedelta(days=31)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert awards_flag_late(today=today) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert awards_flag_late(today=today) == 0
    assert awards_flag_late(today=today + datetime.timedelta(days=1)) == 0
    award = Award.objects.get(student=late)
    assert award.late_since == today
    assert Award.objects.get(student=fresh).late_since is None
    notes = Notification.objects.filter(kind=NotificationKind.LATE_AWARD)
    assert sorted(notes.values_list("recipient", flat=True)) == sorted(
        [admin_a.pk, district_admin.pk]
    )
    assert {n.data["award"] for n in notes} == {award.pk}
    # In both languages, and e-mailed once to each administrator with an address.
    assert "尚未发放" in notes[0].subject and "is not paid" in notes[0].subject
    with_address = [u for u in (admin_a, district_admin) if u.email]
    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in with_address)
    assert with_address, "the factories give users an e-mail address"


def test_an_item_pledge_is_partly_received_then_fulfilled_by_the_items_recorded(
    district, school_a, district_admin
):
    donor = Donor.objects.create(district=district, kind="organisation", name="书店")
    books = ItemKind.objects.create(district=district, name="图书", unit="本")
    due = timezone.localdate() + datetime.timedelta(days=30)
    pledge = pledge_create(
        by=district_admin,
        donor_id=donor.pk,
        kind=PledgeKind.ITEMS,
        schedule=PledgeSchedule.ONCE,
        instalments=[(due, 100)],
        purpose="books for the library",
        item_name="图书",
        item_unit="本",
    )
    record = {
        "by": district_admin,
        "donor_id": donor.pk,
        "item_kind_id": books.pk,
        "value_fen": 0,
        "received_on": timezone.localdate(),
        "pledge_id": pledge.pk,
    }
    item_donation_record(quantity=40, **record)
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.PARTLY_RECEIVED
    item_donation_record(quantity=60, **record)
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.FULFILLED
    with pytest.raises(DomainError) as wrong:
        item_donation_record(quantity=1, **(record | {"pledge_id": pledge.pk + 999}))
    assert wrong.value.field == "pledge"


def test_an_award_made_early_in_the_morning_counts_from_its_local_day(
    living, school_a, district_admin
):
    # 07:30 in Shanghai is 23:30 UTC the day before: the limit counts from the local day.
    project, term = living
    appropriation_receive(
        by=district_admin,
        project=project,
        term_id=term.pk,
        source=FundSource.PROVINCIAL,
        amount_fen=150_000,
    )
    approved(school_a, term, "hardship", 50)
    allocate(by=district_admin, project=project, term=term)
    made = datetime.datetime(2026, 10, 1, 7, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    Award.objects.update(created_at=made)
    assert awards_flag_late(today=datetime.date(2026, 10, 31)) == 0  # 30 days: not yet
    assert awards_flag_late(today=datetime.date(2026, 11, 1)) == 1


def test_a_students_rank_is_the_districts_whichever_schools_a_run_covers(
    living, school_a, school_b, district_admin
):
    project, term = living
    funds = {"term_id": term.pk, "source": FundSource.PROVINCIAL, "amount_fen": 150_000}
    appropriation_receive(by=district_admin, project=project, **funds)
    neediest = approved(school_b, term, "hardship", 95)  # school B has no places
    first = approved(school_a, term, "hardship", 50)
    tied = [approved(school_a, term, "hardship", 40) for _ in range(2)]

    with translation.override("en"):
        allocate(by=district_admin, project=project, term=term, school_ids=[school_a.pk])
    # Ties of need go by the student's id, so a run again ranks them the same.
    assert dict(Award.objects.filter(project=project).values_list("student", "reason")) == {
        first.pk: "Allocated by rank of need: 2.",
        tied[0].pk: "Allocated by rank of need: 3.",
        tied[1].pk: "Allocated by rank of need: 4.",
    }
    again = allocate(by=district_admin, project=project, term=term)
    assert [(row["student"], row["rank"]) for row in again.left_out] == [(neediest.pk, 1)]
