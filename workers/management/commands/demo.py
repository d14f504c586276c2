"""Load the demo district and run what exists of the term on it.

Safe to run again: accounts and schools are found by their keys and their
passwords reset to the documented one.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from mentoring.models import Role, SchoolLevel
from tests.factories import DistrictFactory, MembershipFactory, SchoolFactory, UserFactory
from workers.jobs import account_census_start
from workers.models import Job

# Published in the README so anyone can try the demo; never used outside it.
DEMO_PASSWORD = "bangfu-demo-2026"  # noqa: S105

# username, role, schools (by code), display name
DEMO_ACCOUNTS = [
    ("admin", Role.ADMINISTRATOR, ["SUNSHINE-PS"], ("王", "校长")),
    ("district_admin", Role.ADMINISTRATOR, ["SUNSHINE-PS", "RED-STAR-JMS"], ("李", "科长")),
    ("teacher_a", Role.TEACHER, ["SUNSHINE-PS"], ("张", "老师")),
    ("teacher_b", Role.TEACHER, ["RED-STAR-JMS"], ("刘", "老师")),
    ("volunteer", Role.VOLUNTEER, ["SUNSHINE-PS"], ("陈", "志愿者")),
    ("donor_org", Role.DONOR, ["SUNSHINE-PS", "RED-STAR-JMS"], ("县报社", "")),
    ("donor_person", Role.DONOR, ["SUNSHINE-PS"], ("赵", "女士")),
    ("supervisor", Role.SUPERVISOR, ["SUNSHINE-PS", "RED-STAR-JMS"], ("周", "代表")),
]


class Command(BaseCommand):
    help = "Load the demo district (schools and one account per role) and run the term's jobs."

    def handle(self, *args, **options):
        with transaction.atomic():
            schools = self._schools()
            users = self._accounts(schools)
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password: {DEMO_PASSWORD}):"))
        for username, role, codes, _name in DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<15} {role:<14} {', '.join(codes)}")

        job = account_census_start(by=users["district_admin"])
        job = Job.objects.get(pk=job.pk)
        self.stdout.write(
            f"Job #{job.pk} ({job.kind}): {job.status}, {job.progress}% — "
            f"{job.result['accounts'] if job.result else '?'} accounts in "
            f"{len(job.result['schools']) if job.result else '?'} schools"
        )
        self.stdout.write(
            "\nStart the server with `make serve`, then open http://127.0.0.1:8000/api/docs/\n"
            "or get a token:  curl -X POST http://127.0.0.1:8000/api/v1/auth/token/ "
            "-H 'Content-Type: application/json' "
            f'-d \'{{"username": "admin", "password": "{DEMO_PASSWORD}"}}\''
        )

    def _schools(self):
        district = DistrictFactory(code="DEMO-COUNTY", name="示范县")
        return {
            "SUNSHINE-PS": SchoolFactory(
                code="SUNSHINE-PS", name="阳光小学", level=SchoolLevel.PRIMARY, district=district
            ),
            "RED-STAR-JMS": SchoolFactory(
                code="RED-STAR-JMS",
                name="红星初级中学",
                level=SchoolLevel.JUNIOR_MIDDLE,
                district=district,
            ),
        }

    def _accounts(self, schools):
        users = {}
        for username, role, codes, (last_name, first_name) in DEMO_ACCOUNTS:
            user = UserFactory(
                username=username,
                last_name=last_name,
                first_name=first_name,
                email=f"{username}@demo.bangfu.local",
                password=DEMO_PASSWORD,
            )
            for code in codes:
                MembershipFactory(user=user, school=schools[code], role=role)
            users[username] = user
        return users
