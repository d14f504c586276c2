"""One scene of every role and every record, for the permission matrices and the API fuzz.

Two districts: school A and school B in the first, school C in the second.
Each role is a user of school A (the district administrator administers A
and B, every school of the first district; the platform administrator is a
superuser). Each school holds one record of every model
(tests/admin_scene.py `records_in`, plus what only the API shows: an
objection, a week of compliance, a reminder, a proposed pair, an entry of
the access log, a home-visit plan with one planned visit). Some roles also
own records of their own: a mentor its mentor profile, pairing, mentee,
session, week and planned visit; the donor its donor, pledge, contribution
and gift of items; every signed-in role its account,
a reminder and a job it started.

Seen from a role, a record of a model stands in one of four relations
(RELATIONS): its own, a colleague's (school A, someone else's), another
school's of the same district (school B), another district's (school C).
A role that owns no record of a model has school A's as its own.
"""

import contextlib
import dataclasses
import datetime

from django.db import models, transaction
from django.urls import URLResolver, get_resolver

from donations.models import (
    Award,
    Contribution,
    Donor,
    DonorKind,
    ItemDonation,
    PaymentBatch,
    PaymentMethod,
    Pledge,
    PledgeKind,
    PledgeSchedule,
)
from donations.services.payment_files import DEFAULT_COLUMNS
from mentoring.models import (
    AccessAction,
    AccessLogEntry,
    Application,
    ApplicationCode,
    ApplicationSource,
    ApplicationStatus,
    Assessment,
    CommitteeMember,
    District,
    GuardianAccount,
    MatchRun,
    Mentor,
    MentorKind,
    Notification,
    NotificationKind,
    Objection,
    Pairing,
    ProposedPair,
    ReviewCommittee,
    ReviewStage,
    School,
    Student,
    StudentRecord,
    SubjectScore,
    TutoringSession,
    User,
    VisitPlan,
    VisitPlanEntry,
    WeeklyCompliance,
)
from tests.admin_scene import DAY, records_in
from workers.factories import (
    DistrictFactory,
    JobFactory,
    MentorFactory,
    PairingFactory,
    SchoolFactory,
    StudentFactory,
    StudentRecordFactory,
    TutoringSessionFactory,
    UserFactory,
    member,
)
from workers.models import Job

ROLES = [
    "anonymous",
    "teacher",
    "volunteer",
    "school_admin",
    "district_admin",
    "donor",
    "supervisor",
    "platform",
]
RELATIONS = ("own", "colleague", "school", "district")
MENTOR_KINDS = {"teacher": MentorKind.PARTY_TEACHER, "volunteer": MentorKind.VOLUNTEER}


@dataclasses.dataclass
class Scene:
    users: dict[str, User | None]
    # Per role: the records it owns.
    own: dict[str, dict[type, models.Model]]
    # The records of every model in school A, school B (same district), school C.
    places: list[dict[type, models.Model]]
    # Per signed-in role: a Bearer access token.
    tokens: dict[str, str] = dataclasses.field(default_factory=dict)

    def of(self, role: str, kind: type, relation: str) -> models.Model:
        if relation == "own":
            return self.own.get(role, {}).get(kind, self.places[0][kind])
        return self.places[RELATIONS.index(relation) - 1][kind]

    def objects(self, role: str, kind: type, relations=RELATIONS) -> list[models.Model]:
        return [self.of(role, kind, relation) for relation in relations]


def _reminder(user: User, school: School) -> Notification:
    return Notification.objects.create(
        recipient=user,
        kind=NotificationKind.MISSED_WEEK,
        key=f"missed:{user.pk}",
        school=school,
        subject="本周未辅导",
        body="本周还没有辅导记录。",
    )


def _week(pairing: Pairing) -> WeeklyCompliance:
    monday = DAY - datetime.timedelta(days=DAY.weekday())
    year, week, _ = monday.isocalendar()
    return WeeklyCompliance.objects.create(
        pairing=pairing,
        term=pairing.term,
        school=pairing.student.school,
        mentor=pairing.mentor,
        week_start=monday,
        iso_year=year,
        iso_week=week,
    )


def _read_by(user: User, student: Student) -> AccessLogEntry:
    entry = AccessLogEntry.objects.create(
        user=user,
        action=AccessAction.READ,
        object_kind="student",
        object_id=student.pk,
        path=f"/api/v1/students/{student.pk}/",
    )
    entry.students.create(student=student)
    return entry


def _api_records(place: dict, school: School, by: User) -> None:
    """What the API shows beyond the admin's models, in one school."""
    place[District] = school.district
    place[Objection] = Objection.objects.create(
        assessment=place[Assessment], text="异议", filed_by=by
    )
    place[WeeklyCompliance] = _week(place[Pairing])
    place[Notification] = _reminder(place[User], school)
    pairing = PairingFactory(
        student=StudentFactory(school=school),
        mentor=place[Mentor],
        term=place[MatchRun].term,
    )
    place[ProposedPair] = ProposedPair.objects.create(run=place[MatchRun], pairing=pairing)
    place[AccessLogEntry] = _read_by(place[User], place[Student])
    place[SubjectScore] = _score(place[StudentRecord])
    place[VisitPlan] = VisitPlan.objects.create(
        school=school, term=place[Pairing].term, created_by=by
    )
    place[VisitPlanEntry] = _planned_visit(place[VisitPlan], place[Pairing])
    place[PaymentBatch] = _payment_batch(place[Award], school, by)
    _application_records(place, school, by)


def _payment_batch(award: Award, school: School, by: User) -> PaymentBatch:
    """A transfer batch with one row due: the school's award, into its guardian's account."""
    account = GuardianAccount.objects.get(student=award.student)
    batch = PaymentBatch.objects.create(
        school=school,
        project=award.project,
        term=award.term,
        method=PaymentMethod.BANK_TRANSFER,
        columns=DEFAULT_COLUMNS,
        created_by=by,
    )
    batch.rows.create(
        number=1,
        award=award,
        instalment=1,
        amount_fen=award.amount_fen,
        holder_name=account.holder_name,
        bank_name=account.bank_name,
        number_masked=account.number_masked,
        number_encrypted=account.number_encrypted,
    )
    return batch


def _application_records(place: dict, school: School, by: User) -> None:
    """A code, a family's pending application and a review committee of the school."""
    term = place[Pairing].term
    place[ApplicationCode] = ApplicationCode.objects.create(
        school=school, term=term, code=f"SCENE{ApplicationCode.objects.count():03d}", created_by=by
    )
    place[Application] = Application.objects.create(
        school=school,
        term=term,
        source=ApplicationSource.FAMILY_PAGE,
        status=ApplicationStatus.PENDING,
        code=place[ApplicationCode],
        child_name="无此人",
        grade=3,
        class_name="1班",
        guardian_name="李红梅",
        guardian_relation="mother",
        guardian_phone="13900001111",
        hardship_kinds=["long_term_illness"],
        circumstances="母亲长期患病",
        commitment="承诺",
    )
    committee = ReviewCommittee.objects.create(
        school=school,
        term=term,
        stage=ReviewStage.CLASS,
        class_name="9班",
        name="九班评议小组",
        created_by=by,
    )
    for name, role in [
        ("陈校长", "school_leader"),
        ("孙老师", "teacher_rep"),
        ("周敏", "parent_rep"),
    ]:
        committee.members.create(name=name, role=role)
    # One above the minimum, so that this member may leave.
    place[CommitteeMember] = committee.members.create(name="王芳", role="parent_rep")
    place[ReviewCommittee] = committee


def _score(record: StudentRecord) -> SubjectScore:
    return SubjectScore.objects.create(record=record, subject="math", start_score=55)


def _planned_visit(plan: VisitPlan, pairing: Pairing) -> VisitPlanEntry:
    return VisitPlanEntry.objects.create(
        plan=plan, student=pairing.student, visitor=pairing.mentor, planned_on=DAY, purpose="家访"
    )


def _donor_records(donor: Donor, place: dict, by: User) -> dict[type, models.Model]:
    project = place[Contribution].project
    return {
        Donor: donor,
        Pledge: Pledge.objects.create(
            donor=donor,
            kind=PledgeKind.MONEY,
            project=project,
            schedule=PledgeSchedule.ONCE,
            created_by=by,
        ),
        Contribution: Contribution.objects.create(
            donor=donor, project=project, amount_fen=3_000, received_on=DAY, recorded_by=by
        ),
        ItemDonation: ItemDonation.objects.create(
            donor=donor,
            item_kind=place[ItemDonation].item_kind,
            quantity=2,
            received_on=DAY,
            recorded_by=by,
        ),
    }


def build_scene() -> Scene:
    district = DistrictFactory()
    school_a, school_b = SchoolFactory(district=district), SchoolFactory(district=district)
    school_c = SchoolFactory(district=DistrictFactory())
    platform = UserFactory(is_superuser=True, is_staff=True)
    users = {
        "anonymous": None,
        "teacher": member("teacher", school_a),
        "volunteer": member("volunteer", school_a),
        "school_admin": member("administrator", school_a),
        "district_admin": member("administrator", school_a, school_b),
        "donor": member("donor", school_a),
        "supervisor": member("supervisor", school_a),
        "platform": platform,
    }
    schools = (school_a, school_b, school_c)
    places = [records_in(school, by=platform) for school in schools]
    for place, school in zip(places, schools, strict=True):
        _api_records(place, school, platform)

    own: dict[str, dict[type, models.Model]] = {}
    for role, kind in MENTOR_KINDS.items():
        mentor = MentorFactory(user=users[role], kind=kind, schools=[school_a])
        pairing = PairingFactory(
            student=StudentFactory(school=school_a), mentor=mentor, term=places[0][MatchRun].term
        )
        own[role] = {
            Mentor: mentor,
            Pairing: pairing,
            Student: pairing.student,
            TutoringSession: TutoringSessionFactory(pairing=pairing),
            WeeklyCompliance: _week(pairing),
            SubjectScore: _score(StudentRecordFactory(student=pairing.student, term=pairing.term)),
            VisitPlanEntry: _planned_visit(places[0][VisitPlan], pairing),
        }
    donor = Donor.objects.create(
        district=district, kind=DonorKind.ORGANISATION, name="红星公司", user=users["donor"]
    )
    own["donor"] = _donor_records(donor, places[0], platform)
    for role, user in users.items():
        if user is not None:
            own.setdefault(role, {})
            own[role][User] = user
            own[role][Notification] = _reminder(user, school_a)
            own[role][Job] = JobFactory(school=school_a, started_by=user)
    return Scene(users=users, own=own, places=places)


@contextlib.contextmanager
def scene_for_module(django_db_blocker):
    """The scene with each role's token, for a module-scoped fixture: rolled back after it."""
    from mentoring.authentication import RefreshToken

    with django_db_blocker.unblock(), transaction.atomic():
        scene = build_scene()
        scene.tokens = {
            role: str(RefreshToken.for_user(user).access_token)
            for role, user in scene.users.items()
            if user is not None
        }
        yield scene
        transaction.set_rollback(True)


def walk_urls(patterns=None, prefix=""):
    """(route, pattern) of every URL pattern of config.urls, the route with its prefixes."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from walk_urls(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern
