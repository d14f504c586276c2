"""factory_boy factories, one per model: the demo (workers/demo.py) builds its county with them,
and the tests their data. They live here, not in tests/, so that production code never
imports the tests (the image leaves tests/ out)."""

import datetime
import functools

import factory
from django.conf import settings
from django.contrib.auth.hashers import make_password
from factory.django import DjangoModelFactory
from faker.providers.person.zh_CN import Provider as ChineseNames

from mentoring import bank_accounts, idnumbers
from mentoring.models import (
    ApplicantRelation,
    Assessment,
    AssessmentRoute,
    AssessmentStatus,
    District,
    Gender,
    GuardianAccount,
    HardshipIndicator,
    HardshipKind,
    IndicatorSource,
    Membership,
    Mentor,
    MentorKind,
    Pairing,
    PairingKind,
    PairingStatus,
    Role,
    School,
    SchoolLevel,
    SessionKind,
    Student,
    StudentRecord,
    Subject,
    Term,
    TutoringSession,
    User,
    VillageCommittee,
)
from workers.models import Job, JobKind

# The test accounts' password (the demo sets its own): never a real account's.
DEFAULT_PASSWORD = "bangfu-test-pass-2026"  # noqa: S105  # nosec B105


# Given names by the gender Faker draws them for (the two lists share none).
_FEMALE_GIVEN_NAMES = frozenset(ChineseNames.first_names_female)
_MALE_GIVEN_NAMES = frozenset(ChineseNames.first_names_male)
# Longest first, so that a two-character surname (欧阳) is not read as 欧.
_SURNAMES = sorted(ChineseNames.last_names, key=len, reverse=True)


def guardian_relation_of(name: str) -> str:
    """The parent a made-up guardian's name reads as: 母亲 for a woman's name, 父亲 for a man's.

    The factories draw guardians' names without a gender; an applicant named
    张玉梅 must not be filed as the child's father. A name neither list knows
    (家长, a name typed in a test) is an appointed guardian.
    """
    surname = next((s for s in _SURNAMES if name.startswith(s) and len(name) > len(s)), "")
    given = name[len(surname) :]
    if given in _FEMALE_GIVEN_NAMES:
        return ApplicantRelation.MOTHER
    if given in _MALE_GIVEN_NAMES:
        return ApplicantRelation.FATHER
    return ApplicantRelation.GUARDIAN


class DistrictFactory(DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"D{n:03d}")
    name = factory.Sequence(lambda n: f"District {n}")


class SchoolFactory(DjangoModelFactory):
    class Meta:
        model = School
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"S{n:04d}")
    name = factory.Sequence(lambda n: f"School {n}")
    level = SchoolLevel.PRIMARY
    district = factory.SubFactory(DistrictFactory)


class VillageCommitteeFactory(DjangoModelFactory):
    class Meta:
        model = VillageCommittee

    district = factory.SubFactory(DistrictFactory)
    code = factory.Sequence(lambda n: f"V{n:04d}")
    name = factory.Sequence(lambda n: f"Village {n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.password = _hashed(extracted or DEFAULT_PASSWORD, settings.PASSWORD_HASHERS[0])
        if create:
            self.save(update_fields=["password"])


@functools.cache
def _hashed(raw: str, hasher: str) -> str:
    """One hash per password: the production hasher takes ~0.5 s, too slow per demo account.

    Demo and test accounts share their published passwords, so sharing the salt
    reveals nothing more.
    """
    return make_password(raw)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership
        django_get_or_create = ("user", "school", "role")

    user = factory.SubFactory(UserFactory)
    school = factory.SubFactory(SchoolFactory)
    role = Role.TEACHER


def member(role: str, *schools: School, **user_fields) -> User:
    """A user holding `role` in each of `schools`."""
    user = UserFactory(**user_fields)
    for school in schools:
        MembershipFactory(user=user, school=school, role=role)
    return user


class JobFactory(DjangoModelFactory):
    class Meta:
        model = Job

    kind = JobKind.ACCOUNT_CENSUS
    started_by = factory.SubFactory(UserFactory)
    school = None


class TermFactory(DjangoModelFactory):
    class Meta:
        model = Term
        django_get_or_create = ("district", "code")

    district = factory.SubFactory(DistrictFactory)
    code = "2026-autumn"
    school_year = "2026-2027"
    start_date = datetime.date(2026, 9, 1)
    end_date = datetime.date(2027, 1, 22)
    holiday_weeks = factory.LazyFunction(lambda: ["2026-09-28", "2026-10-05"])


def id_number_for(n: int, birth: datetime.date) -> str:
    """A valid 18-digit ID number, different for each n below ten million.

    The area code (51xxxx, Sichuan) carries n // 1000 and the sequence n % 1000,
    so two students never share a number, whatever their birth dates.
    """
    return idnumbers.with_check_digit(f"51{n // 1000 % 10000:04d}{birth:%Y%m%d}{n % 1000:03d}")


class StudentFactory(DjangoModelFactory):
    """Pass `id_number=` to set the ID; otherwise a valid one is made up."""

    class Meta:
        model = Student
        django_get_or_create = ("school", "student_number")

    class Params:
        id_number = factory.LazyAttributeSequence(lambda o, n: id_number_for(n, o.birth_date))

    school = factory.SubFactory(SchoolFactory)
    student_number = factory.Sequence(lambda n: f"G{n:09d}")
    name = factory.Faker("name", locale="zh_CN")
    gender = factory.Iterator([Gender.FEMALE, Gender.MALE])
    birth_date = factory.Faker(
        "date_between", start_date=datetime.date(2011, 9, 1), end_date=datetime.date(2020, 8, 31)
    )
    id_hash = factory.LazyAttribute(
        lambda o: idnumbers.keyed_hash(o.id_number, key=settings.ID_HASH_KEY)
    )
    id_masked = factory.LazyAttribute(lambda o: idnumbers.mask(o.id_number))
    village = factory.Faker("street_name", locale="zh_CN")
    guardian_name = factory.LazyFunction(lambda: guardian_name())
    guardian_phone = factory.Sequence(lambda n: f"138{n:08d}")


# The names the tests give review committee members. A guardian of the same name
# is the applicant's kin to the committee (mentoring.services.review_committees),
# so a random guardian who drew one turned a test's decision into a 400 now and then.
COMMITTEE_MEMBER_NAMES = frozenset(
    {"周敏", "陈校长", "孙老师", "赵老师", "钱老师", "王大山", "王建国", "王五", "李代表"}
)


def guardian_name() -> str:
    """A random Chinese name that no test gives a committee member."""
    faker = factory.Faker._get_faker(locale="zh_CN")
    while (name := faker.name()) in COMMITTEE_MEMBER_NAMES:
        pass
    return name


class GuardianAccountFactory(DjangoModelFactory):
    """Pass `number=` to set the account number; otherwise a 19-digit card number is made up."""

    class Meta:
        model = GuardianAccount
        django_get_or_create = ("student",)

    class Params:
        number = factory.Sequence(lambda n: f"622848{n:013d}")

    student = factory.SubFactory(StudentFactory)
    holder_name = factory.LazyAttribute(lambda o: o.student.guardian_name or "监护人")
    bank_name = "中国农业银行"
    number_encrypted = factory.LazyAttribute(
        lambda o: bank_accounts.encrypt(o.number, keys=settings.GUARDIAN_ACCOUNT_KEYS)
    )
    number_masked = factory.LazyAttribute(lambda o: bank_accounts.mask(o.number))
    number_hash = factory.LazyAttribute(
        lambda o: bank_accounts.keyed_hash(o.number, key=settings.ID_HASH_KEY)
    )


class StudentRecordFactory(DjangoModelFactory):
    class Meta:
        model = StudentRecord
        django_get_or_create = ("student", "term")

    student = factory.SubFactory(StudentFactory)
    term = factory.SubFactory(
        TermFactory, district=factory.SelfAttribute("..student.school.district")
    )
    level = factory.LazyAttribute(lambda o: o.student.school.level)
    grade = 3
    class_name = "1班"
    boarding = False
    household_size = 4
    income_per_capita_fen = 320_000
    struggling = False
    weak_subjects = factory.LazyFunction(list)


class HardshipIndicatorFactory(DjangoModelFactory):
    class Meta:
        model = HardshipIndicator

    student = factory.SubFactory(StudentFactory)
    kind = HardshipKind.DIBAO
    source = IndicatorSource.FAMILY_APPLICATION
    recorded_on = datetime.date(2026, 9, 10)


class MentorFactory(DjangoModelFactory):
    """Pass `schools=[...]`; by default the mentor serves one new school."""

    class Meta:
        model = Mentor
        django_get_or_create = ("user",)
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    kind = MentorKind.TEACHER
    subjects = factory.LazyFunction(lambda: [Subject.MATH])
    grades = factory.LazyFunction(lambda: [3, 4])
    gender = Gender.FEMALE
    capacity = 3
    min_mentees = factory.LazyAttribute(
        lambda o: 1 if o.kind in (MentorKind.PARTY_TEACHER, MentorKind.LEADER) else 0
    )
    party_branch = factory.LazyAttribute(
        lambda o: "第一党支部" if o.kind == MentorKind.PARTY_TEACHER else ""
    )
    vetted_until = factory.LazyAttribute(
        lambda o: datetime.date(2027, 8, 31) if o.kind == MentorKind.VOLUNTEER else None
    )

    @factory.post_generation
    def schools(self, create, extracted, **kwargs):
        if not create:
            return
        self.schools.set(extracted if extracted is not None else [SchoolFactory()])


class PairingFactory(DjangoModelFactory):
    """An active pairing by default; mentor and student share the student's school."""

    class Meta:
        model = Pairing
        skip_postgeneration_save = True

    student = factory.SubFactory(StudentFactory)
    # A mentor with no school yet: it is given the student's school below.
    mentor = factory.SubFactory(MentorFactory, schools=[])
    term = factory.SubFactory(
        TermFactory, district=factory.SelfAttribute("..student.school.district")
    )
    kind = PairingKind.ACADEMIC
    status = PairingStatus.ACTIVE
    started_on = datetime.date(2026, 9, 7)
    reason = "test pairing"

    @factory.post_generation
    def mentor_school(self, create, extracted, **kwargs):
        if create and not self.mentor.schools.exists():
            self.mentor.schools.add(self.student.school)


class TutoringSessionFactory(DjangoModelFactory):
    class Meta:
        model = TutoringSession

    pairing = factory.SubFactory(PairingFactory)
    date = datetime.date(2026, 9, 15)
    minutes = 45
    subject = Subject.MATH
    kind = SessionKind.TUTORING
    content = "分数加减法练习"
    logged_by = factory.LazyAttribute(lambda o: o.pairing.mentor.user)


class AssessmentFactory(DjangoModelFactory):
    class Meta:
        model = Assessment

    student = factory.SubFactory(StudentFactory)
    term = factory.SubFactory(
        TermFactory, district=factory.SelfAttribute("..student.school.district")
    )
    route = AssessmentRoute.APPLICATION
    status = AssessmentStatus.SUBMITTED
    reason = "家庭困难申请"
