"""The Django admin: every model is there, and school administrators see only their schools."""

import pytest
from django.contrib import admin
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from donations.models import LedgerEntry
from mentoring.models import Student
from tests.factories import (
    DEFAULT_PASSWORD,
    PairingFactory,
    StudentFactory,
    TutoringSessionFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db

DOMAIN_MODELS = [
    "mentoring.User",
    "mentoring.District",
    "mentoring.School",
    "mentoring.Term",
    "mentoring.Student",
    "mentoring.StudentRecord",
    "mentoring.HardshipIndicator",
    "mentoring.Assessment",
    "mentoring.Mentor",
    "mentoring.Pairing",
    "mentoring.TutoringSession",
    "workers.Job",
    "workers.MatchRun",
    "donations.AidProject",
    "donations.FundAccount",
    "donations.LedgerEntry",
    "donations.Donor",
    "donations.Contribution",
    "donations.Award",
    "donations.Disbursement",
    "donations.ItemKind",
    "donations.ItemDonation",
    "donations.ItemDistribution",
    "donations.Pledge",
    "donations.Allocation",
    "donations.AidRefusal",
]


def logged_in(user) -> Client:
    client = Client()
    # django-axes counts logins by request, so the test login passes one.
    assert client.login(request=HttpRequest(), username=user.username, password=DEFAULT_PASSWORD)
    return client


def changelist(model_label: str) -> str:
    app, model = model_label.lower().split(".")
    return reverse(f"admin:{app}_{model}_changelist")


def test_every_domain_model_is_registered_with_history():
    registered = {f"{m._meta.app_label}.{m.__name__}" for m in admin.site._registry}
    assert set(DOMAIN_MODELS) <= registered
    for model, model_admin in admin.site._registry.items():
        if f"{model._meta.app_label}.{model.__name__}" in DOMAIN_MODELS:
            assert hasattr(model_admin, "history_view"), model
    # The ledger cannot be changed from the admin, not even by a platform administrator.
    ledger_admin = admin.site._registry[LedgerEntry]
    superuser = UserFactory.build(is_superuser=True, is_active=True)
    request = type("Request", (), {"user": superuser})()
    assert not ledger_admin.has_change_permission(request)
    assert not ledger_admin.has_delete_permission(request)
    assert not ledger_admin.has_add_permission(request)


@pytest.mark.parametrize("model_label", DOMAIN_MODELS)
def test_platform_admin_opens_every_changelist(model_label):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    TutoringSessionFactory()
    response = logged_in(superuser).get(changelist(model_label))
    assert response.status_code == 200


@pytest.mark.parametrize("model_label", DOMAIN_MODELS)
def test_school_administrator_opens_every_changelist_without_is_staff(model_label, school_a):
    admin_a = member("administrator", school_a)
    assert not admin_a.is_staff
    response = logged_in(admin_a).get(changelist(model_label))
    assert response.status_code == 200


def test_school_administrator_sees_only_students_of_their_school(school_a, school_b):
    admin_a = member("administrator", school_a)
    own = StudentFactory(school=school_a, name="王小明")
    foreign = StudentFactory(school=school_b, name="赵大海")
    client = logged_in(admin_a)

    page = client.get(changelist("mentoring.Student")).content.decode()
    assert own.name in page
    assert foreign.name not in page
    foreign_page = client.get(reverse("admin:mentoring_student_change", args=[foreign.pk]))
    assert foreign_page.status_code == 302  # the admin redirects a missing object to the index
    own_page = client.get(reverse("admin:mentoring_student_change", args=[own.pk]))
    assert own_page.status_code == 200
    assert "id_hash" not in own_page.content.decode()


def test_school_administrator_sees_only_sessions_of_their_school(school_a, school_b):
    admin_a = member("administrator", school_a)
    own = TutoringSessionFactory(pairing=PairingFactory(student=StudentFactory(school=school_a)))
    foreign = TutoringSessionFactory(
        pairing=PairingFactory(student=StudentFactory(school=school_b)), content="外校的记录"
    )
    page = logged_in(admin_a).get(changelist("mentoring.TutoringSession")).content.decode()
    assert f"/{own.pk}/change/" in page
    assert f"/{foreign.pk}/change/" not in page


def test_school_administrator_cannot_delete_or_change_accounts(school_a):
    admin_a = member("administrator", school_a)
    teacher = member("teacher", school_a)
    student = StudentFactory(school=school_a)
    client = logged_in(admin_a)
    assert (
        client.get(reverse("admin:mentoring_student_delete", args=[student.pk])).status_code == 403
    )
    response = client.post(
        reverse("admin:mentoring_user_change", args=[teacher.pk]),
        {"username": "renamed"},
    )
    assert response.status_code == 403
    teacher.refresh_from_db()
    assert teacher.username != "renamed"
    assert Student.objects.filter(pk=student.pk).exists()


@pytest.mark.parametrize("role", ["teacher", "volunteer", "donor", "supervisor"])
def test_other_roles_cannot_log_in_to_the_admin(role, school_a):
    user = member(role, school_a)
    client = Client()
    response = client.post(
        reverse("admin:login"), {"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200  # the login form again, with an error
    assert client.get(changelist("mentoring.Student")).status_code == 302


def test_ledger_pages_open_for_a_platform_administrator():
    from donations.models import AidProject, FundSource
    from donations.services import fund_account_of, ledger_post
    from tests.factories import DistrictFactory

    project = AidProject.objects.create(
        district=DistrictFactory(), code="P", name="助学金", source=FundSource.CENTRAL, purpose="x"
    )
    entry = ledger_post(
        account_id=fund_account_of(project).pk, kind="appropriation", amount_fen=100, by=None
    )
    client = logged_in(UserFactory(is_superuser=True, is_staff=True))
    for url in [
        reverse("admin:donations_ledgerentry_change", args=[entry.pk]),
        reverse("admin:donations_ledgerentry_history", args=[entry.pk]),
        reverse("admin:donations_fundaccount_history", args=[entry.account_id]),
    ]:
        assert client.get(url).status_code == 200, url
