"""factory_boy factories, one per model; the demo data is built with them too."""

import factory
from factory.django import DjangoModelFactory

from mentoring.models import District, Membership, Role, School, SchoolLevel, User
from workers.models import Job, JobKind

DEFAULT_PASSWORD = "bangfu-test-pass-2026"


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
        self.set_password(extracted or DEFAULT_PASSWORD)
        if create:
            self.save(update_fields=["password"])


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
