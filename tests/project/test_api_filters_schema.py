"""Every filter the OpenAPI schema names filters; every other query parameter answers 400.

The test walks `/api/schema/`: each list endpoint (a GET answering a
paginated list) and each query parameter it documents, pagination aside.
`ROWS` holds, per endpoint and parameter, a builder that makes one row the
filter must keep and one it must drop, and the value to filter by. A new
list endpoint or filter without a builder here fails
`test_every_documented_filter_has_a_row_builder`, so a filter cannot be
added to the schema without being shown to filter.
"""

import datetime
from dataclasses import dataclass
from functools import cache
from unittest import mock

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from donations.models import AidProject, Award, AwardStatus, FundSource, LedgerKind
from donations.services.contributions import contribution_post, contribution_record
from donations.services.ledger import fund_account_of, ledger_post
from mentoring.models import (
    AccessLogEntry,
    AccessLogStudent,
    AssessmentRoute,
    AssessmentStatus,
    MatchRun,
    MatchRunStatus,
    MentorKind,
    Notification,
    PairingKind,
    PairingStatus,
    Role,
    SchoolLevel,
    SessionKind,
    WeeklyCompliance,
)
from tests.conftest import client_for
from tests.write_operations import World
from workers.factories import (
    AssessmentFactory,
    DistrictFactory,
    JobFactory,
    MentorFactory,
    PairingFactory,
    SchoolFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    TutoringSessionFactory,
    member,
)
from workers.models import JobKind, JobStatus, Report, ReportStatus

PAGINATION = {"page", "page_size"}


@cache
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _paginated(operation: dict) -> bool:
    content = operation["responses"].get("200", {}).get("content", {})
    ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    component = schema()["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
    return "results" in component.get("properties", {})


def list_endpoints() -> dict[str, set[str]]:
    """Each list path of the schema and the filter parameters it documents."""
    return {
        path: {p["name"] for p in item["get"].get("parameters", []) if p["in"] == "query"}
        - PAGINATION
        for path, item in schema()["paths"].items()
        if "get" in item and _paginated(item["get"])
    }


@dataclass
class Case:
    """`?param=value` must list `keep` and not `drop` (ids, or `key` of each row)."""

    value: object
    keep: object
    drop: object
    user: object = None


def ids(rows, key="id"):
    return {row[key] for row in rows}


# Row builders: each makes a row on the world `w`, with the fields given.


def _district_school(w):
    return SchoolFactory(district=DistrictFactory())


def _term2(w):
    return TermFactory(district=w.district, code="2027-spring", school_year="2026-2027")


def assessment(w, **fields):
    fields.setdefault("student", w.student())
    fields.setdefault("term", w.term)
    fields.setdefault("status", AssessmentStatus.SUBMITTED)
    return AssessmentFactory(created_by=w.root, **fields)


def award(w, *, project=None, student=None, term=None, status=AwardStatus.AWARDED):
    project = project or w.project
    student = student or w.student()
    term = term or w.term
    if status == AwardStatus.AWARDED:
        # The account holds what the award promises: the database refuses less.
        ledger_post(
            account_id=fund_account_of(project).pk,
            kind=LedgerKind.APPROPRIATION,
            amount_fen=10_000,
            by=w.root,
            source=FundSource.SOCIAL,
        )
    return Award.objects.create(
        project=project,
        student=student,
        term=term,
        amount_fen=10_000,
        purpose=project.purpose,
        term_code=term.code,
        student_id_hash=student.id_hash,
        created_by=w.root,
        status=status,
    )


def project(w, *, code, district=None, source=FundSource.SOCIAL, purpose="books"):
    return AidProject.objects.create(
        district=district or w.district, code=code, name=code, source=source, purpose=purpose
    )


def pairing(w, **fields):
    fields.setdefault("student", w.student())
    fields.setdefault("mentor", MentorFactory(schools=[w.school]))
    fields.setdefault("term", w.term)
    return PairingFactory(started_on=w.term.start_date, **fields)


def week(w, *, pairing_=None, monday=None, met=False):
    pairing_ = pairing_ or pairing(w)
    monday = monday or (w.today - datetime.timedelta(days=w.today.weekday() + 7))
    iso = monday.isocalendar()
    return WeeklyCompliance.objects.create(
        pairing=pairing_,
        term=pairing_.term,
        school=pairing_.student.school,
        mentor=pairing_.mentor,
        week_start=monday,
        iso_year=iso.year,
        iso_week=iso.week,
        met=met,
    )


def access_entry(w, *, user=None, action="list", student=None, at=None):
    entry = AccessLogEntry.objects.create(
        user=user or w.root,
        action=action,
        object_kind="student",
        path="/api/v1/students/",
        at=at or timezone.now(),
    )
    AccessLogStudent.objects.create(entry=entry, student=student or w.student())
    return entry


def ledger_entry(w, *, proj=None, kind=LedgerKind.APPROPRIATION, at=None):
    account = fund_account_of(proj or w.project)
    with mock.patch("django.utils.timezone.now", return_value=at or timezone.now()):
        return ledger_post(
            account_id=account.pk, kind=kind, amount_fen=100, by=w.root, source=FundSource.SOCIAL
        )


def contribution(w, *, donor=None, proj=None):
    return contribution_record(
        by=w.root,
        donor_id=(donor or w.donor).pk,
        project_id=(proj or w.project).pk,
        amount_fen=100,
        received_on=w.today,
    )


def paid(w, award_):
    """A disbursement of `award_`, through the API, with money in its account to pay it."""
    ledger_post(
        account_id=fund_account_of(award_.project).pk,
        kind=LedgerKind.APPROPRIATION,
        amount_fen=award_.amount_fen,
        by=w.root,
        source=FundSource.SOCIAL,
    )
    response = client_for(w.root).post(
        "/api/v1/disbursements/",
        {"award": award_.pk, "method": "bank_transfer", "paid_on": w.day(0), "bank_reference": "B"},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def match_run(w, *, term=None, status=MatchRunStatus.PROPOSED):
    run = MatchRun.objects.create(term=term or w.term, status=status, created_by=w.root)
    run.schools.set([w.school])
    return run


def report(w, *, term=None, school=None, district=None, status=ReportStatus.BUILDING):
    fields = {}
    if status == ReportStatus.ISSUED:
        fields = {"data": {}, "built_at": timezone.now()}
    return Report.objects.create(
        term=term or w.term,
        scope="school" if school else "district",
        district=district or w.district,
        school=school,
        version=Report.objects.count() + 1,
        status=status,
        built_by=w.root,
        **fields,
    )


def student(w, *, school=None, term=None, name="王小明", number=None, gender="female", **record):
    w._students += 1
    fields = {"student_number": number} if number else {}
    row = StudentFactory(school=school or w.school, name=name, gender=gender, **fields)
    StudentRecordFactory(student=row, term=term or w.term, **record)
    return row


def _public(w, school):
    return assessment(
        w,
        student=student(w, school=school),
        status=AssessmentStatus.PUBLICIZED,
        tier="hardship",
        notice_starts_on=w.today,
        notice_ends_on=w.today + datetime.timedelta(days=7),
    )


def notification(w, *, kind="missed_week", read_at=None):
    return Notification.objects.create(
        recipient=w.root,
        kind=kind,
        key=f"filters-{Notification.objects.count()}",
        subject="s",
        body="b",
        read_at=read_at,
    )


def _two_students(w):
    return w.student(), w.student()


def _access_student(w):
    a, b = _two_students(w)
    return Case(a.pk, access_entry(w, student=a).pk, access_entry(w, student=b).pk)


def _award_by_student(w):
    a, b = _two_students(w)
    return Case(a.pk, award(w, student=a).pk, award(w, student=b).pk)


def _disbursement_by_award(w):
    # Through the service, so that each award has its instalment plan to pay.
    a, b = w._award(), w._award()
    return Case(a.pk, paid(w, a), paid(w, b))


def _ledger_in_time(w, param):
    now = timezone.now()
    old = ledger_entry(w, at=now - datetime.timedelta(days=10)).pk
    new = ledger_entry(w).pk
    middle = (now - datetime.timedelta(days=5)).date().isoformat()
    return Case(middle, new, old) if param == "created_after" else Case(middle, old, new)


def _access_in_time(w, param):
    now = timezone.now()
    old = access_entry(w, at=now - datetime.timedelta(days=10)).pk
    new = access_entry(w, at=now).pk
    middle = (now - datetime.timedelta(days=5)).isoformat()
    return Case(middle, new, old) if param == "since" else Case(middle, old, new)


def _sessions_in_time(w, param):
    early = TutoringSessionFactory(pairing=w.pairing, date=w.today - datetime.timedelta(days=20))
    late = TutoringSessionFactory(pairing=w.pairing, date=w.today - datetime.timedelta(days=1))
    middle = (w.today - datetime.timedelta(days=10)).isoformat()
    if param == "date_after":
        return Case(middle, late.pk, early.pk)
    return Case(middle, early.pk, late.pk)


def _session_of(w, **pairing_fields):
    return TutoringSessionFactory(pairing=pairing(w, **pairing_fields), date=w.day(-1)).pk


def _students_by_record(w, **pair):
    ((name, (keep, drop)),) = pair.items()
    return Case(keep, student(w, **{name: keep}).pk, student(w, **{name: drop}).pk)


def _users_by(w, param):
    if param == "role":
        return Case("teacher", member(Role.TEACHER, w.school).pk, member(Role.DONOR, w.school).pk)
    if param == "school":
        other = SchoolFactory(district=w.district)
        return Case(w.school.pk, member(Role.TEACHER, w.school).pk, member(Role.TEACHER, other).pk)
    inactive = member(Role.TEACHER, w.school, is_active=False)
    return Case("true", member(Role.TEACHER, w.school).pk, inactive.pk)


ROWS = {
    ("/api/v1/access-log/", "action"): lambda w: Case(
        "read", access_entry(w, action="read").pk, access_entry(w, action="list").pk
    ),
    ("/api/v1/access-log/", "user"): lambda w: (
        lambda u: Case(u.pk, access_entry(w, user=u).pk, access_entry(w).pk)
    )(member(Role.ADMINISTRATOR, w.school)),
    ("/api/v1/access-log/", "student"): _access_student,
    ("/api/v1/access-log/", "since"): lambda w: _access_in_time(w, "since"),
    ("/api/v1/access-log/", "until"): lambda w: _access_in_time(w, "until"),
    ("/api/v1/assessments/", "route"): lambda w: Case(
        "government_list",
        assessment(w, route=AssessmentRoute.GOVERNMENT_LIST).pk,
        assessment(w, route=AssessmentRoute.APPLICATION).pk,
    ),
    ("/api/v1/assessments/", "school"): lambda w: (
        lambda other: Case(
            w.school.pk,
            assessment(w).pk,
            assessment(w, student=student(w, school=other)).pk,
        )
    )(SchoolFactory(district=w.district)),
    ("/api/v1/assessments/", "status"): lambda w: Case(
        "approved",
        assessment(w, status=AssessmentStatus.APPROVED, tier="hardship").pk,
        assessment(w).pk,
    ),
    ("/api/v1/assessments/", "term"): lambda w: Case(
        w.term.pk, assessment(w).pk, assessment(w, term=_term2(w)).pk
    ),
    ("/api/v1/assessments/", "tier"): lambda w: Case(
        "special",
        assessment(w, status=AssessmentStatus.CLASS_REVIEWED, tier="special").pk,
        assessment(w, status=AssessmentStatus.CLASS_REVIEWED, tier="hardship").pk,
    ),
    ("/api/v1/assessments/", "student"): lambda w: (
        lambda a, b: Case(a.pk, assessment(w, student=a).pk, assessment(w, student=b).pk)
    )(*_two_students(w)),
    ("/api/v1/awards/", "project"): lambda w: Case(
        "OTHER", award(w, project=project(w, code="OTHER", purpose="b")).pk, award(w).pk
    ),
    ("/api/v1/awards/", "school"): lambda w: Case(
        w.school.pk,
        award(w).pk,
        award(w, student=student(w, school=SchoolFactory(district=w.district))).pk,
    ),
    ("/api/v1/awards/", "status"): lambda w: Case(
        "cancelled", award(w, status=AwardStatus.CANCELLED).pk, award(w).pk
    ),
    ("/api/v1/awards/", "term"): lambda w: Case(
        w.term.pk, award(w).pk, award(w, term=_term2(w)).pk
    ),
    ("/api/v1/awards/", "student"): _award_by_student,
    ("/api/v1/compliance/", "mentor"): lambda w: (
        lambda a, b: Case(a.mentor_id, week(w, pairing_=a).pk, week(w, pairing_=b).pk)
    )(pairing(w), pairing(w)),
    ("/api/v1/compliance/", "met"): lambda w: Case(
        "true", week(w, met=True).pk, week(w, met=False).pk
    ),
    ("/api/v1/compliance/", "pairing"): lambda w: (
        lambda a: Case(a.pk, week(w, pairing_=a).pk, week(w).pk)
    )(pairing(w)),
    ("/api/v1/compliance/", "school"): lambda w: (
        lambda other: Case(
            w.school.pk,
            week(w).pk,
            week(
                w,
                pairing_=pairing(
                    w, student=student(w, school=other), mentor=MentorFactory(schools=[other])
                ),
            ).pk,
        )
    )(SchoolFactory(district=w.district)),
    ("/api/v1/compliance/", "term"): lambda w: (
        lambda spring: Case(
            w.term.pk,
            week(w).pk,
            week(
                w,
                pairing_=pairing(w, term=spring, student=student(w, term=spring)),
                monday=spring.start_date - datetime.timedelta(days=spring.start_date.weekday()),
            ).pk,
        )
    )(_term2(w)),
    ("/api/v1/compliance/", "week"): lambda w: (
        lambda monday: Case(
            monday.isoformat(),
            week(w, monday=monday).pk,
            week(w, monday=monday - datetime.timedelta(days=7)).pk,
        )
    )(w.today - datetime.timedelta(days=w.today.weekday() + 7)),
    ("/api/v1/contributions/", "donor"): lambda w: (
        lambda other: Case(w.donor.pk, contribution(w).pk, contribution(w, donor=other).pk)
    )(type(w.donor).objects.create(district=w.district, kind="individual", name="李")),
    ("/api/v1/contributions/", "project"): lambda w: Case(
        "OTHER", contribution(w, proj=project(w, code="OTHER")).pk, contribution(w).pk
    ),
    ("/api/v1/contributions/", "status"): lambda w: Case(
        "posted",
        contribution_post(contribution_id=contribution(w).pk).pk,
        contribution(w).pk,
    ),
    ("/api/v1/disbursements/", "award"): _disbursement_by_award,
    ("/api/v1/fund-accounts/", "district"): lambda w: (
        lambda other: Case(
            w.district.code,
            fund_account_of(w.project).pk,
            fund_account_of(project(w, code="FAR", district=other)).pk,
        )
    )(DistrictFactory()),
    ("/api/v1/fund-accounts/", "source"): lambda w: Case(
        "central",
        fund_account_of(project(w, code="C", source=FundSource.CENTRAL)).pk,
        fund_account_of(w.project).pk,
    ),
    ("/api/v1/jobs/", "kind"): lambda w: Case(
        "pledge_check",
        JobFactory(kind=JobKind.PLEDGE_CHECK, started_by=w.root).pk,
        JobFactory(kind=JobKind.ACCOUNT_CENSUS, started_by=w.root).pk,
    ),
    ("/api/v1/jobs/", "status"): lambda w: Case(
        "failed",
        JobFactory(status=JobStatus.FAILED, started_by=w.root).pk,
        JobFactory(status=JobStatus.PENDING, started_by=w.root).pk,
    ),
    ("/api/v1/ledger/", "account"): lambda w: (
        lambda other: Case(
            fund_account_of(w.project).pk,
            ledger_entry(w).pk,
            ledger_entry(w, proj=other).pk,
        )
    )(project(w, code="OTHER")),
    ("/api/v1/ledger/", "project"): lambda w: Case(
        "OTHER", ledger_entry(w, proj=project(w, code="OTHER")).pk, ledger_entry(w).pk
    ),
    ("/api/v1/ledger/", "kind"): lambda w: Case(
        "contribution",
        ledger_entry(w, kind=LedgerKind.CONTRIBUTION).pk,
        ledger_entry(w, kind=LedgerKind.APPROPRIATION).pk,
    ),
    ("/api/v1/ledger/", "created_after"): lambda w: _ledger_in_time(w, "created_after"),
    ("/api/v1/ledger/", "created_before"): lambda w: _ledger_in_time(w, "created_before"),
    ("/api/v1/match-runs/", "status"): lambda w: Case(
        "approved",
        match_run(w, status=MatchRunStatus.APPROVED).pk,
        match_run(w).pk,
    ),
    ("/api/v1/match-runs/", "term"): lambda w: Case(
        w.term.pk, match_run(w).pk, match_run(w, term=_term2(w)).pk
    ),
    ("/api/v1/mentors/", "active"): lambda w: Case(
        "false",
        MentorFactory(schools=[w.school], active=False).pk,
        MentorFactory(schools=[w.school]).pk,
    ),
    ("/api/v1/mentors/", "kind"): lambda w: Case(
        "leader",
        MentorFactory(schools=[w.school], kind=MentorKind.LEADER).pk,
        MentorFactory(schools=[w.school], kind=MentorKind.TEACHER).pk,
    ),
    ("/api/v1/mentors/", "school"): lambda w: (
        lambda other: Case(
            w.school.pk,
            MentorFactory(schools=[w.school]).pk,
            MentorFactory(schools=[other]).pk,
        )
    )(SchoolFactory(district=w.district)),
    ("/api/v1/notifications/", "kind"): lambda w: Case(
        "late_award", notification(w, kind="late_award").pk, notification(w).pk
    ),
    ("/api/v1/notifications/", "unread"): lambda w: Case(
        "true", notification(w).pk, notification(w, read_at=timezone.now()).pk
    ),
    ("/api/v1/pairings/", "kind"): lambda w: Case(
        "care", pairing(w, kind=PairingKind.CARE).pk, pairing(w, kind=PairingKind.ACADEMIC).pk
    ),
    ("/api/v1/pairings/", "mentor"): lambda w: (lambda a, b: Case(a.mentor_id, a.pk, b.pk))(
        pairing(w), pairing(w)
    ),
    ("/api/v1/pairings/", "school"): lambda w: (
        lambda other: Case(
            w.school.pk,
            pairing(w).pk,
            pairing(w, student=student(w, school=other), mentor=MentorFactory(schools=[other])).pk,
        )
    )(SchoolFactory(district=w.district)),
    ("/api/v1/pairings/", "status"): lambda w: Case(
        "proposed",
        pairing(w, status=PairingStatus.PROPOSED).pk,
        pairing(w, status=PairingStatus.ACTIVE).pk,
    ),
    ("/api/v1/pairings/", "student"): lambda w: (lambda a, b: Case(a.student_id, a.pk, b.pk))(
        pairing(w), pairing(w)
    ),
    ("/api/v1/pairings/", "term"): lambda w: (
        lambda spring: Case(
            w.term.pk,
            pairing(w).pk,
            pairing(w, term=spring, student=student(w, term=spring)).pk,
        )
    )(_term2(w)),
    ("/api/v1/projects/", "district"): lambda w: Case(
        w.district.code, w.project.pk, project(w, code="FAR", district=DistrictFactory()).pk
    ),
    ("/api/v1/projects/", "purpose"): lambda w: Case(
        "girls", w.project.pk, project(w, code="B", purpose="books").pk
    ),
    ("/api/v1/projects/", "source"): lambda w: Case(
        "central", project(w, code="C", source=FundSource.CENTRAL).pk, w.project.pk
    ),
    ("/api/v1/public/notices/", "school"): lambda w: (
        lambda other: Case(
            w.school.code,
            _public(w, w.school).student.school.name,
            _public(w, other).student.school.name,
        )
    )(SchoolFactory(district=w.district, name="另一所小学")),
    ("/api/v1/reports/", "district"): lambda w: (
        lambda far: Case(
            w.district.pk,
            report(w).pk,
            report(w, district=far, term=TermFactory(district=far)).pk,
        )
    )(DistrictFactory()),
    ("/api/v1/reports/", "school"): lambda w: Case(
        w.school.pk, report(w, school=w.school).pk, report(w).pk
    ),
    ("/api/v1/reports/", "scope"): lambda w: Case(
        "district", report(w).pk, report(w, school=w.school).pk
    ),
    ("/api/v1/reports/", "status"): lambda w: Case(
        "issued", report(w, status=ReportStatus.ISSUED).pk, report(w).pk
    ),
    ("/api/v1/reports/", "term"): lambda w: Case(
        w.term.pk, report(w).pk, report(w, term=_term2(w)).pk
    ),
    ("/api/v1/schools/", "district"): lambda w: Case(
        w.district.code, w.school.pk, _district_school(w).pk
    ),
    ("/api/v1/schools/", "level"): lambda w: Case(
        "junior_middle",
        SchoolFactory(district=w.district, level=SchoolLevel.JUNIOR_MIDDLE).pk,
        SchoolFactory(district=w.district, level=SchoolLevel.PRIMARY).pk,
    ),
    ("/api/v1/sessions/", "date_after"): lambda w: _sessions_in_time(w, "date_after"),
    ("/api/v1/sessions/", "date_before"): lambda w: _sessions_in_time(w, "date_before"),
    ("/api/v1/sessions/", "kind"): lambda w: Case(
        "home_visit",
        TutoringSessionFactory(pairing=w.pairing, date=w.day(-1), kind=SessionKind.HOME_VISIT).pk,
        TutoringSessionFactory(pairing=w.pairing, date=w.day(-1), kind=SessionKind.TUTORING).pk,
    ),
    ("/api/v1/sessions/", "mentor"): lambda w: (
        lambda a, b: Case(
            a.mentor_id,
            TutoringSessionFactory(pairing=a, date=w.day(-1)).pk,
            TutoringSessionFactory(pairing=b, date=w.day(-1)).pk,
        )
    )(pairing(w), pairing(w)),
    ("/api/v1/sessions/", "pairing"): lambda w: Case(
        w.pairing.pk,
        TutoringSessionFactory(pairing=w.pairing, date=w.day(-1)).pk,
        _session_of(w),
    ),
    ("/api/v1/sessions/", "student"): lambda w: Case(
        w.pairing.student_id,
        TutoringSessionFactory(pairing=w.pairing, date=w.day(-1)).pk,
        _session_of(w),
    ),
    ("/api/v1/sessions/", "term"): lambda w: (
        lambda spring: Case(
            w.term.pk,
            TutoringSessionFactory(pairing=w.pairing, date=w.day(-1)).pk,
            _session_of(w, term=spring, student=student(w, term=spring)),
        )
    )(_term2(w)),
    ("/api/v1/students/", "boarding"): lambda w: _students_by_record(w, boarding=(True, False)),
    ("/api/v1/students/", "class_name"): lambda w: _students_by_record(
        w, class_name=("2班", "1班")
    ),
    ("/api/v1/students/", "gender"): lambda w: _students_by_record(w, gender=("male", "female")),
    ("/api/v1/students/", "grade"): lambda w: _students_by_record(w, grade=(5, 3)),
    ("/api/v1/students/", "level"): lambda w: _students_by_record(
        w, level=("junior_middle", "primary")
    ),
    ("/api/v1/students/", "school"): lambda w: Case(
        w.school.pk,
        student(w).pk,
        student(w, school=SchoolFactory(district=w.district)).pk,
    ),
    ("/api/v1/students/", "search"): lambda w: Case(
        "赵", student(w, name="赵小红").pk, student(w, name="钱小明").pk
    ),
    ("/api/v1/students/", "struggling"): lambda w: _students_by_record(w, struggling=(True, False)),
    ("/api/v1/students/", "term"): lambda w: (
        lambda spring: Case(w.term.pk, student(w).pk, student(w, term=spring).pk)
    )(_term2(w)),
    ("/api/v1/terms/", "code"): lambda w: Case("2026-autumn", w.term.pk, _term2(w).pk),
    ("/api/v1/terms/", "district"): lambda w: Case(
        w.district.code, w.term.pk, TermFactory(district=DistrictFactory()).pk
    ),
    ("/api/v1/terms/", "school_year"): lambda w: Case(
        "2030-2031",
        TermFactory(district=w.district, code="2030-autumn", school_year="2030-2031").pk,
        w.term.pk,
    ),
    ("/api/v1/users/", "is_active"): lambda w: _users_by(w, "is_active"),
    ("/api/v1/users/", "role"): lambda w: _users_by(w, "role"),
    ("/api/v1/users/", "school"): lambda w: _users_by(w, "school"),
}

# How each list names its rows, when not by `id`.
ROW_KEY = {"/api/v1/public/notices/": "school_name"}


def documented_filters() -> list[tuple[str, str]]:
    return sorted((path, name) for path, names in list_endpoints().items() for name in names)


def test_every_documented_filter_has_a_row_builder():
    assert set(documented_filters()) == set(ROWS)


def test_the_filters_the_issue_found_ignored_are_documented():
    filters = list_endpoints()
    assert "student" in filters["/api/v1/awards/"]
    assert "student" in filters["/api/v1/assessments/"]
    assert "award" in filters["/api/v1/disbursements/"]


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    return World(django_capture_on_commit_callbacks)


@pytest.mark.parametrize(("path", "param"), documented_filters())
def test_each_documented_filter_keeps_the_matching_row_and_drops_the_other(path, param, world):
    case = ROWS[(path, param)](world)
    client = client_for(case.user or world.root)

    everything = client.get(path, {"page_size": 1000})
    filtered = client.get(path, {param: case.value, "page_size": 1000})

    assert everything.status_code == 200, everything.content
    assert filtered.status_code == 200, filtered.content
    key = ROW_KEY.get(path, "id")
    # Both rows are visible without the filter, so the filter is what drops one.
    assert {case.keep, case.drop} <= ids(everything.json()["results"], key)
    listed = ids(filtered.json()["results"], key)
    assert case.keep in listed
    assert case.drop not in listed


def _concrete(path, world):
    if "{id}" in path:
        return path.replace("{id}", str(world.run.pk))
    return path


@pytest.mark.parametrize("path", sorted(list_endpoints()))
def test_an_unknown_query_parameter_answers_400_naming_it(path, world):
    client = client_for(world.root)

    response = client.get(_concrete(path, world), {"colour": "red", "page_size": 5})

    assert response.status_code == 400, (path, response.status_code, response.content)
    assert list(response.json()) == ["colour"]


def test_unknown_parameters_and_bad_values_are_named_together(world):
    response = client_for(world.root).get(
        "/api/v1/awards/", {"student_id": "1", "sort": "x", "status": "lost"}
    )

    assert response.status_code == 400
    assert set(response.json()) == {"student_id", "sort", "status"}


def test_pagination_and_format_are_known(world):
    response = client_for(world.root).get(
        "/api/v1/awards/", {"page": 1, "page_size": 10, "format": "json"}
    )

    assert response.status_code == 200, response.content


def test_a_filter_in_the_issue_no_longer_answers_everything(world):
    a, b = _two_students(world)
    kept, dropped = award(world, student=a), award(world, student=b)

    response = client_for(world.root).get("/api/v1/awards/", {"student": a.pk})

    assert [row["id"] for row in response.json()["results"]] == [kept.pk]
    assert dropped.pk != kept.pk
