"""students/{id}/archive/ and its printable page: a student's identification, aid, pairings,
sessions, visits and scores across terms and years, for whoever sees the student."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from donations.models import AidProject, FundSource, LedgerKind, PaymentMethod
from donations.services.awards import award_create
from donations.services.disbursements import disbursement_pay, disbursement_reverse
from donations.services.ledger import fund_account_of, ledger_post
from mentoring.models import (
    AccessLogEntry,
    AssessmentEvent,
    AssessmentStatus,
    PairingStatus,
    Role,
    SessionKind,
    Subject,
    SubjectScore,
)
from tests.conftest import ACCESS_LOG_QUERIES, client_for
from tests.mentoring.pairings.pairing_world import World, build_world, clock  # noqa: F401
from workers.factories import (
    AssessmentFactory,
    GuardianAccountFactory,
    PairingFactory,
    StudentRecordFactory,
    TermFactory,
    TutoringSessionFactory,
    member,
)


def archive_url(student_id) -> str:
    return f"/api/v1/students/{student_id}/archive/"


def page_url(student_id) -> str:
    return f"/teacher/students/{student_id}/archive/"


class Scene:
    """The owner's mentee in school A with two terms of one school year and one of the next."""

    def __init__(self, w: World):
        self.w = w
        self.student = w.owned.student
        GuardianAccountFactory(student=self.student)
        district = w.term.district
        self.autumn = w.term
        self.spring = TermFactory(
            district=district,
            code="2027-spring",
            school_year="2026-2027",
            start_date=datetime.date(2027, 2, 20),
            end_date=datetime.date(2027, 7, 2),
            holiday_weeks=[],
        )
        self.next_autumn = TermFactory(
            district=district,
            code="2027-autumn",
            school_year="2027-2028",
            start_date=datetime.date(2027, 9, 1),
            end_date=datetime.date(2028, 1, 20),
            holiday_weeks=[],
        )
        self.district_admin = member(
            Role.ADMINISTRATOR, w.school_a, w.school_b, username="district.admin"
        )
        self.project = AidProject.objects.create(
            district=district,
            code="LIVING",
            name="生活补助",
            source=FundSource.PROVINCIAL,
            purpose="living",
        )
        ledger_post(
            account_id=fund_account_of(self.project).pk,
            kind=LedgerKind.APPROPRIATION,
            amount_fen=10_000_000,
            by=None,
        )
        self.grow(self.autumn, sessions=1)

    def grow(self, term, *, sessions: int, pay: bool = True):
        """A record, a score, an approved assessment, a paid award and sessions in `term`."""
        w = self.w
        record = StudentRecordFactory(student=self.student, term=term, grade=4)
        SubjectScore.objects.create(
            record=record, subject=Subject.MATH, start_score=Decimal("52"), end_score=70
        )
        assessment = AssessmentFactory(
            student=self.student, term=term, status=AssessmentStatus.APPROVED, tier="hardship"
        )
        for action, before, after in (
            ("submit", "", "submitted"),
            ("approve", "submitted", "approved"),
        ):
            AssessmentEvent.objects.create(
                assessment=assessment,
                action=action,
                from_status=before,
                to_status=after,
                by=w.admin_a,
            )
        award = award_create(
            by=self.district_admin,
            project_id=self.project.pk,
            student_id=self.student.pk,
            term_id=term.pk,
            amount_fen=31_250,
            instalments=None,
        )
        if pay:
            disbursement_pay(
                by=self.district_admin,
                award_id=award.pk,
                method=PaymentMethod.BANK_TRANSFER,
                # Paid on the frozen today, the day the award is made: a payment is
                # never dated later, nor before its award.
                paid_on=timezone.localdate(),
                instalment=1,
                amount_fen=None,
                bank_reference=f"ICBC-{term.code}",
            )
        pairing = (
            w.owned
            if term == self.autumn
            else PairingFactory(mentor=w.owned.mentor, student=self.student, term=term)
        )
        for n in range(sessions):
            TutoringSessionFactory(
                pairing=pairing, date=term.start_date + datetime.timedelta(days=7 + n), minutes=45
            )
        TutoringSessionFactory(
            pairing=pairing,
            date=term.start_date + datetime.timedelta(days=20),
            kind=SessionKind.HOME_VISIT,
            subject="",
            minutes=60,
        )
        return award


@pytest.fixture
def scene(db, clock) -> Scene:  # noqa: F811
    return Scene(build_world())


# Who reads it


def test_anonymous_request_answers_401(api, scene):
    assert api.get(archive_url(scene.student.pk)).status_code == 401


@pytest.mark.parametrize(
    "persona", ["colleague", "outsider", "volunteer", "admin_b", "donor", "supervisor"]
)
def test_a_reader_who_does_not_see_the_student_gets_404_like_a_missing_one(scene, persona):
    client = client_for(getattr(scene.w, persona))
    foreign = client.get(archive_url(scene.student.pk))
    missing = client.get(archive_url(987_654_321))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    assert client.get(archive_url("99999999999999999999")).status_code == 404
    assert not AccessLogEntry.objects.exists()


@pytest.mark.parametrize("persona", ["admin_a", "district_admin", "superuser"])
def test_administrators_read_every_section(scene, persona):
    user = scene.district_admin if persona == "district_admin" else getattr(scene.w, persona)
    response = client_for(user).get(archive_url(scene.student.pk))
    assert response.status_code == 200, response.content
    term = response.json()["terms"][0]
    assert term["term_code"] == "2026-autumn"
    assert [a["status"] for a in term["identification"]] == ["approved"]
    assert [e["action"] for e in term["identification"][0]["events"]] == ["submit", "approve"]
    assert [(a["amount"], a["paid"]) for a in term["aid"]] == [("312.50", "312.50")]
    assert term["aid"][0]["payments"][0]["amount"] == "312.50"
    assert term["scores"] == [
        {
            "id": term["scores"][0]["id"],
            "subject": "math",
            "start_score": "52.0",
            "end_score": "70.0",
        }
    ]
    assert [p["id"] for p in term["pairings"]] == [scene.w.owned.pk]
    assert len(term["sessions"]) == 1 and len(term["visits"]) == 1
    assert term["visits"][0]["kind"] == "home_visit"


def test_the_mentor_reads_the_archive_without_the_aid(scene):
    body = client_for(scene.w.owner).get(archive_url(scene.student.pk)).json()
    term = body["terms"][0]
    assert term["aid"] is None
    # The mentor proposed no assessment: identification is for administrators.
    assert term["identification"] is None
    assert body["years"][0]["awarded"] is None and body["years"][0]["paid"] is None
    assert term["scores"][0]["end_score"] == "70.0"
    assert len(term["sessions"]) == 1 and len(term["visits"]) == 1
    assert body["student"] == {
        "id": scene.student.pk,
        "name": scene.student.name,
        "student_number": scene.student.student_number,
        "gender": scene.student.gender,
        "school": scene.w.school_a.code,
        "school_name": scene.w.school_a.name,
    }
    # No ID number, birth date, income or guardian in the archive.
    text = str(body)
    assert scene.student.id_masked not in text
    assert "income" not in text and "guardian" not in text


def test_a_mentor_whose_pairing_ended_still_reads_it(scene):
    scene.w.owned.status = PairingStatus.ENDED
    scene.w.owned.save()
    assert client_for(scene.w.owner).get(archive_url(scene.student.pk)).status_code == 200


def test_the_archive_spans_terms_and_years_with_each_years_totals(scene):
    scene.grow(scene.spring, sessions=3)
    cancelled = scene.grow(scene.next_autumn, sessions=2, pay=False)
    cancelled.status = "cancelled"
    cancelled.save()
    body = client_for(scene.w.admin_a).get(archive_url(scene.student.pk)).json()
    assert [t["term_code"] for t in body["terms"]] == ["2026-autumn", "2027-spring", "2027-autumn"]
    assert [t["school_year"] for t in body["terms"]] == ["2026-2027", "2026-2027", "2027-2028"]
    assert body["years"] == [
        {
            "school_year": "2026-2027",
            "awarded": "625.00",
            "paid": "625.00",
            "sessions": 4,
            "session_minutes": 180,
            "visits": 2,
        },
        {
            "school_year": "2027-2028",
            "awarded": "0.00",
            "paid": "0.00",
            "sessions": 2,
            "session_minutes": 90,
            "visits": 1,
        },
    ]


def test_a_reversed_payment_shows_and_does_not_count_as_paid(scene):
    award = scene.w.owned.student.awards.get()
    payment = award.disbursements.get()
    disbursement_reverse(by=scene.district_admin, disbursement_id=payment.pk, reason="付错了账户")
    body = client_for(scene.w.admin_a).get(archive_url(scene.student.pk)).json()
    aid = body["terms"][0]["aid"][0]
    assert aid["paid"] == "0.00"
    assert [p["reversed"] for p in aid["payments"]] == [True]
    assert body["years"][0]["paid"] == "0.00"


def test_each_read_is_written_to_the_access_log(scene):
    client_for(scene.w.owner).get(archive_url(scene.student.pk))
    entry = AccessLogEntry.objects.get()
    assert (entry.user, entry.action, entry.object_kind, entry.object_id) == (
        scene.w.owner,
        "read",
        "student",
        scene.student.pk,
    )
    assert list(entry.students.values_list("student_id", flat=True)) == [scene.student.pk]


def _queries(scene, django_assert_max_num_queries, client, limit):
    with django_assert_max_num_queries(limit):
        response = client.get(archive_url(scene.student.pk))
    assert response.status_code == 200
    return response.json()


def test_queries_do_not_grow_with_terms_sessions_or_awards(scene, django_assert_max_num_queries):
    client = client_for(scene.w.admin_a)
    # The user; the student; whether the reader administers the school; the
    # records, scores, assessments and their events, awards and their
    # payments, pairings and sessions; then the access log.
    limit = 12 + ACCESS_LOG_QUERIES
    _queries(scene, django_assert_max_num_queries, client, limit)
    scene.grow(scene.spring, sessions=12)
    scene.grow(scene.next_autumn, sessions=12)
    body = _queries(scene, django_assert_max_num_queries, client, limit)
    assert sum(len(t["sessions"]) for t in body["terms"]) == 25


# The printable page


def test_the_page_shows_the_archive_to_the_mentor_and_logs_the_read(scene):
    scene.grow(scene.spring, sessions=1)
    response = client_for_page(scene.w.owner).get(page_url(scene.student.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert scene.student.name in html
    assert "2026年秋季学期" in html and "2027年春季学期" in html
    assert "70.0" in html
    assert "312.50" not in html  # the aid is for administrators
    assert (
        AccessLogEntry.objects.filter(object_kind="student", object_id=scene.student.pk).count()
        == 1
    )


def test_the_page_shows_the_aid_to_administrators(scene):
    html = client_for_page(scene.w.admin_a).get(page_url(scene.student.pk)).content.decode()
    assert "312.50" in html and "生活补助" in html


def test_the_page_answers_404_outside_the_scope_and_asks_strangers_to_log_in(scene, client):
    assert client_for_page(scene.w.colleague).get(page_url(scene.student.pk)).status_code == 404
    assert client_for_page(scene.w.donor).get(page_url(scene.student.pk)).status_code == 404
    assert client.get(page_url(scene.student.pk)).status_code == 302
    assert not AccessLogEntry.objects.exists()


def client_for_page(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_a_teacher_sees_the_identification_they_proposed_and_no_other(scene):
    # The administrators' assessment is in autumn; the teacher proposes the student in spring.
    proposed = AssessmentFactory(student=scene.student, term=scene.spring, created_by=scene.w.owner)
    body = client_for(scene.w.owner).get(archive_url(scene.student.pk)).json()
    by_term = {t["term_code"]: t for t in body["terms"]}
    assert by_term["2026-autumn"]["identification"] == []
    assert [a["id"] for a in by_term["2027-spring"]["identification"]] == [proposed.pk]
    assert by_term["2027-spring"]["aid"] is None


def test_the_page_names_the_tier_and_each_step_in_words_not_codes(scene):
    # Issue 17: the tier showed as its code ("hardship"), each step as its action ("approve").
    html = (
        client_for_page(scene.w.admin_a)
        .get(page_url(scene.student.pk), HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    identification = html[html.index("<h3>Identification</h3>") : html.index("<h3>Aid</h3>")]
    # The default tier, in the page's language (a tier the district renamed keeps its name).
    assert "Approved · Hardship" in identification
    assert "hardship" not in identification
    steps = re.findall(r"<li>\d{1,2} [A-Z][a-z]{2} \d{4} ([^<:]*)", identification)
    assert steps == ["Application submitted", "Approved"]


def test_the_page_leads_back_to_the_readers_own_page_and_offers_the_language_menu(scene):
    # A newcomer found the archive a dead end: no bar, no way back, no language menu.
    for user, back in ((scene.w.owner, "/teacher/"), (scene.w.admin_a, "/console/")):
        html = client_for_page(user).get(page_url(scene.student.pk)).content.decode()
        assert f'<a href="{back}" id="back-link">返回首页</a>' in html
        assert 'action="/i18n/setlang/"' in html and 'name="language"' in html


def test_the_page_leads_back_to_the_list_it_was_opened_from_on_this_site_only(scene):
    # A console user opened the archive from the roster search and had only "back to start".
    client = client_for_page(scene.w.admin_a)
    url = page_url(scene.student.pk)

    searched = client.get(url, {"back": "/console/roster/?q=王"}, HTTP_ACCEPT_LANGUAGE="en")
    elsewhere = client.get(url, {"back": "https://evil.example/x"}).content.decode()
    scheme_relative = client.get(url, {"back": "//evil.example/x"}).content.decode()

    html = searched.content.decode()
    assert '<a href="/console/roster/?q=王" id="came-from-link">Back to the list</a>' in html
    assert '<a href="/console/" id="back-link">' in html
    assert "came-from-link" not in elsewhere and "came-from-link" not in scheme_relative
