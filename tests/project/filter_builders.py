"""Row builders of the filter test: each makes a row on the world `w`, with the fields given."""

import datetime
from dataclasses import dataclass
from unittest import mock

from django.utils import timezone

from donations.models import AidProject, Award, AwardStatus, FundSource, LedgerKind
from donations.services.contributions import contribution_record
from donations.services.ledger import fund_account_of, ledger_post
from mentoring.models import (
    AccessLogEntry,
    AccessLogStudent,
    Application,
    ApplicationCode,
    AssessmentStatus,
    MatchRun,
    MatchRunStatus,
    Notification,
    ReviewCommittee,
    Role,
    SessionKind,
    VisitPlan,
    VisitPlanEntry,
    WeeklyCompliance,
)
from tests.conftest import client_for
from workers.factories import (
    AssessmentFactory,
    DistrictFactory,
    GuardianAccountFactory,
    MentorFactory,
    PairingFactory,
    SchoolFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    TutoringSessionFactory,
    member,
)
from workers.models import Report, ReportStatus


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


def visit_plan(w, *, school=None, term=None):
    return VisitPlan.objects.create(
        school=school or w.school, term=term or w.term, created_by=w.root
    )


def visit_entry(w, *, plan=None, student_=None, visitor=None, visited=False):
    plan = plan or w.visit_plan
    visit = None
    if visited:
        visit = TutoringSessionFactory(
            pairing=w.pairing, date=w.day(-1), kind=SessionKind.HOME_VISIT
        )
    return VisitPlanEntry.objects.create(
        plan=plan,
        student=student_ or student(w, school=plan.school),
        visitor=visitor or MentorFactory(schools=[plan.school]),
        planned_on=w.today,
        purpose="家访",
        visit=visit,
    )


def _entry_elsewhere(w, *, term=None):
    """An entry of a plan of another school of the district (or of another term)."""
    if term is not None:
        return visit_entry(w, plan=visit_plan(w, term=term))
    return visit_entry(w, plan=visit_plan(w, school=SchoolFactory(district=w.district)))


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
    GuardianAccountFactory(student=award_.student)
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


def report(
    w, *, term=None, school=None, district=None, status=ReportStatus.BUILDING, school_year=""
):
    """A term's report, or a school year's when `school_year` is given."""
    fields = {}
    if status == ReportStatus.ISSUED:
        fields = {"data": {}, "built_at": timezone.now()}
    return Report.objects.create(
        term=None if school_year else term or w.term,
        school_year=school_year,
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


def score(w, *, student_=None, term=None, subject="math"):
    """A score of `student_` (a new student of the world's school) in `term` (the world's)."""
    from mentoring.models import StudentRecord, SubjectScore

    term = term or w.term
    student_ = student_ or student(w, term=term)
    record = StudentRecord.objects.get_or_create(
        student=student_, term=term, defaults={"level": "primary", "grade": 3, "class_name": "1班"}
    )[0]
    return SubjectScore.objects.create(record=record, subject=subject, start_score=60).pk


def application_code(w, *, school=None, term=None, closed=True):
    """A code of the school's term; closed by default, so that several may exist."""
    count = ApplicationCode.objects.count()
    return ApplicationCode.objects.create(
        school=school or w.school,
        term=term or w.term,
        code=f"FILTER{count:04d}",
        created_by=w.root,
        closed_at=timezone.now() if closed else None,
    )


def family_application(w, *, school=None, term=None, status="pending", source="family_page"):
    return Application.objects.create(
        school=school or w.school,
        term=term or w.term,
        source=source,
        status=status,
        child_name="李小红",
        guardian_name="李红梅",
        guardian_relation="mother",
        guardian_phone="13900001111",
        hardship_kinds=["long_term_illness"],
        circumstances="母亲长期患病",
        commitment="承诺",
    )


def review_committee(w, *, school=None, term=None, stage="class"):
    count = ReviewCommittee.objects.count()
    return ReviewCommittee.objects.create(
        school=school or w.school,
        term=term or w.term,
        stage=stage,
        class_name=f"{count}班" if stage == "class" else "",
        name="评议小组",
        created_by=w.root,
    )
