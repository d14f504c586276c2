"""The rows of the filter test (tests/project/test_api_filters_schema.py): per list endpoint and
filter, the value to filter by, a row the filter must keep and one it must drop.
"""

import datetime

from django.utils import timezone

from donations.models import AwardStatus, FundSource, LedgerKind
from donations.services.contributions import contribution_post
from donations.services.ledger import fund_account_of
from mentoring.models import (
    AssessmentRoute,
    AssessmentStatus,
    MatchRunStatus,
    MentorKind,
    PairingKind,
    PairingStatus,
    Role,
    SchoolLevel,
    SessionKind,
)
from tests.project.filter_builders import (
    Case,
    _access_in_time,
    _access_student,
    _award_by_student,
    _disbursement_by_award,
    _district_school,
    _entry_elsewhere,
    _ledger_in_time,
    _public,
    _session_of,
    _sessions_in_time,
    _students_by_record,
    _term2,
    _two_students,
    _users_by,
    access_entry,
    application_code,
    assessment,
    award,
    contribution,
    family_application,
    ledger_entry,
    match_run,
    notification,
    pairing,
    project,
    report,
    review_committee,
    score,
    student,
    visit_entry,
    visit_plan,
    week,
)
from tests.write_world import committee_award
from workers.factories import (
    DistrictFactory,
    JobFactory,
    MentorFactory,
    SchoolFactory,
    StudentFactory,
    TermFactory,
    TutoringSessionFactory,
    VillageCommitteeFactory,
    member,
)
from workers.models import JobKind, JobStatus, ReportStatus

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
    ("/api/v1/reports/", "school_year"): lambda w: Case(
        w.term.school_year, report(w, school_year=w.term.school_year).pk, report(w).pk
    ),
    ("/api/v1/reports/", "term"): lambda w: Case(
        w.term.pk, report(w).pk, report(w, term=_term2(w)).pk
    ),
    ("/api/v1/districts/", "code"): lambda w: Case(
        w.district.code, w.district.pk, _district_school(w).district_id
    ),
    ("/api/v1/schools/", "district"): lambda w: Case(
        w.district.code, w.school.pk, _district_school(w).pk
    ),
    ("/api/v1/schools/", "level"): lambda w: Case(
        "junior_middle",
        SchoolFactory(district=w.district, level=SchoolLevel.JUNIOR_MIDDLE).pk,
        SchoolFactory(district=w.district, level=SchoolLevel.PRIMARY).pk,
    ),
    ("/api/v1/scores/", "school"): lambda w: Case(
        w.school.pk, score(w), score(w, student_=student(w, school=_district_school(w)))
    ),
    ("/api/v1/scores/", "school_year"): lambda w: (
        lambda later: Case("2026-2027", score(w), score(w, term=later))
    )(TermFactory(district=w.district, code="2099-autumn", school_year="2099-2100")),
    ("/api/v1/scores/", "student"): lambda w: (
        lambda a, b: Case(a.pk, score(w, student_=a), score(w, student_=b))
    )(student(w), student(w)),
    ("/api/v1/scores/", "subject"): lambda w: (
        lambda a: Case("chinese", score(w, student_=a, subject="chinese"), score(w, student_=a))
    )(student(w)),
    ("/api/v1/scores/", "term"): lambda w: Case(w.term.pk, score(w), score(w, term=_term2(w))),
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
    ("/api/v1/visit-plans/", "school"): lambda w: Case(
        w.school.pk,
        visit_plan(w).pk,
        visit_plan(w, school=SchoolFactory(district=w.district)).pk,
    ),
    ("/api/v1/visit-plans/", "term"): lambda w: Case(
        w.term.pk, visit_plan(w).pk, visit_plan(w, term=_term2(w)).pk
    ),
    ("/api/v1/visit-plan-entries/", "plan"): lambda w: Case(
        w.visit_plan.pk, visit_entry(w).pk, _entry_elsewhere(w).pk
    ),
    ("/api/v1/visit-plan-entries/", "school"): lambda w: Case(
        w.school.pk, visit_entry(w).pk, _entry_elsewhere(w).pk
    ),
    ("/api/v1/visit-plan-entries/", "term"): lambda w: Case(
        w.term.pk, visit_entry(w).pk, _entry_elsewhere(w, term=_term2(w)).pk
    ),
    ("/api/v1/visit-plan-entries/", "student"): lambda w: (
        lambda a: Case(a.pk, visit_entry(w, student_=a).pk, visit_entry(w).pk)
    )(student(w)),
    ("/api/v1/visit-plan-entries/", "visitor"): lambda w: (
        lambda m: Case(m.pk, visit_entry(w, visitor=m).pk, visit_entry(w).pk)
    )(MentorFactory(schools=[w.school])),
    ("/api/v1/visit-plan-entries/", "done"): lambda w: Case(
        "true", visit_entry(w, visited=True).pk, visit_entry(w).pk
    ),
    ("/api/v1/village-committees/", "code"): lambda w: Case(
        "V-KEEP",
        VillageCommitteeFactory(district=w.district, code="V-KEEP").pk,
        VillageCommitteeFactory(district=w.district).pk,
    ),
    ("/api/v1/village-committees/", "district"): lambda w: Case(
        w.district.pk,
        VillageCommitteeFactory(district=w.district).pk,
        VillageCommitteeFactory(district=DistrictFactory()).pk,
    ),
    ("/api/v1/village-committees/", "kind"): lambda w: Case(
        "residents",
        VillageCommitteeFactory(district=w.district, kind="residents").pk,
        VillageCommitteeFactory(district=w.district).pk,
    ),
    ("/api/v1/committee-reviews/", "project"): lambda w: (
        lambda a: Case(a.project.code, a.pk, committee_award(w).pk)
    )(committee_award(w)),
    ("/api/v1/committee-reviews/", "committee"): lambda w: (
        lambda a: Case(a.student.committee_id, a.pk, committee_award(w).pk)
    )(committee_award(w)),
    ("/api/v1/committee-reviews/", "school"): lambda w: Case(
        w.school.pk,
        committee_award(w).pk,
        committee_award(w, student=StudentFactory(school=SchoolFactory(district=w.district))).pk,
    ),
    ("/api/v1/committee-reviews/", "term"): lambda w: Case(
        w.term.pk, committee_award(w).pk, committee_award(w, term=_term2(w)).pk
    ),
    ("/api/v1/committee-reviews/", "state"): lambda w: Case(
        "agreed", committee_award(w, agreed=True).pk, committee_award(w).pk
    ),
    ("/api/v1/users/", "is_active"): lambda w: _users_by(w, "is_active"),
    ("/api/v1/users/", "role"): lambda w: _users_by(w, "role"),
    ("/api/v1/users/", "school"): lambda w: _users_by(w, "school"),
    ("/api/v1/applications/", "school"): lambda w: Case(
        w.school.pk,
        family_application(w).pk,
        family_application(w, school=SchoolFactory(district=w.district)).pk,
    ),
    ("/api/v1/applications/", "term"): lambda w: Case(
        w.term.pk, family_application(w).pk, family_application(w, term=_term2(w)).pk
    ),
    ("/api/v1/applications/", "status"): lambda w: Case(
        "declined", family_application(w, status="declined").pk, family_application(w).pk
    ),
    ("/api/v1/applications/", "source"): lambda w: Case(
        "class_teacher",
        family_application(w, source="class_teacher").pk,
        family_application(w).pk,
    ),
    ("/api/v1/application-codes/", "school"): lambda w: Case(
        w.school.pk,
        application_code(w).pk,
        application_code(w, school=SchoolFactory(district=w.district)).pk,
    ),
    ("/api/v1/application-codes/", "term"): lambda w: Case(
        w.term.pk, application_code(w).pk, application_code(w, term=_term2(w)).pk
    ),
    ("/api/v1/review-committees/", "school"): lambda w: Case(
        w.school.pk,
        review_committee(w).pk,
        review_committee(w, school=SchoolFactory(district=w.district)).pk,
    ),
    ("/api/v1/review-committees/", "term"): lambda w: Case(
        w.term.pk, review_committee(w).pk, review_committee(w, term=_term2(w)).pk
    ),
    ("/api/v1/review-committees/", "stage"): lambda w: Case(
        "school", review_committee(w, stage="school").pk, review_committee(w).pk
    ),
}

# How each list names its rows, when not by `id`.
ROW_KEY = {"/api/v1/public/notices/": "school_name"}
