"""/api/v1/students/{id}/guardian-account/: administrators of the student's school only,
every bad field named at once, the number never whole in any answer, the admin or the history."""

import pytest
from django.conf import settings
from django.test import Client

from mentoring import bank_accounts
from mentoring.models import AccessLogEntry, GuardianAccount, MentorKind, Role
from mentoring.services.guardian_accounts import guardian_account_number
from tests.conftest import ACCESS_LOG_QUERIES, client_for
from workers.factories import (
    GuardianAccountFactory,
    MentorFactory,
    PairingFactory,
    StudentFactory,
    TermFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db

NUMBER = "6228480012345678912"
NEW_NUMBER = "6217000098765432101"
BODY = {
    "holder_name": "王大山",
    "bank_name": "中国农业银行",
    "account_number": "6228 4800 1234 5678 912",
}


def url(student) -> str:
    return f"/api/v1/students/{student.pk}/guardian-account/"


def assert_no_whole_number(text: str, *numbers: str) -> None:
    for number in numbers:
        assert number not in text
        # Not even the part before the last four digits.
        assert number[:-4] not in text


@pytest.fixture
def pupil(school_a):
    return StudentFactory(school=school_a, guardian_name="王大山")


@pytest.fixture
def account(pupil):
    return GuardianAccountFactory(student=pupil, number=NUMBER, holder_name="王大山")


# Reading


def test_administrator_reads_the_account_masked(admin_a, pupil, account):
    response = client_for(admin_a).get(url(pupil))

    assert response.status_code == 200
    assert response.json() == {
        "student": pupil.pk,
        "holder_name": "王大山",
        "bank_name": "中国农业银行",
        "number_masked": "**** **** **** **** 8912",
        "same_account_students": [],
        "updated_at": response.json()["updated_at"],
        "updated_by": None,
    }
    assert_no_whole_number(response.content.decode(), NUMBER)
    assert account.number_encrypted not in response.content.decode()
    assert account.number_hash not in response.content.decode()


def test_a_read_is_written_to_the_access_log(admin_a, pupil, account):
    client_for(admin_a).get(url(pupil))

    entry = AccessLogEntry.objects.get()
    assert (entry.user, entry.action, entry.object_kind, entry.object_id) == (
        admin_a,
        "read",
        "guardianaccount",
        account.pk,
    )
    assert list(entry.students.values_list("student_id", flat=True)) == [pupil.pk]
    assert entry.path == url(pupil)


def test_district_and_platform_administrators_read_it(district_admin, pupil, account):
    platform = UserFactory(is_superuser=True, is_staff=True)
    for user in (district_admin, platform):
        assert client_for(user).get(url(pupil)).status_code == 200


def test_a_student_without_an_account_answers_404_with_a_reason(admin_a, pupil):
    response = client_for(admin_a).get(url(pupil), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 404
    assert "No guardian" in response.json()["detail"]


@pytest.mark.parametrize("role", [Role.TEACHER, Role.VOLUNTEER, Role.DONOR, Role.SUPERVISOR])
def test_other_roles_of_the_school_get_404_like_a_missing_student(role, school_a, pupil, account):
    user = member(role, school_a)
    missing = client_for(user).get("/api/v1/students/987654321/guardian-account/")

    for method in ("get", "put"):
        response = getattr(client_for(user), method)(url(pupil), BODY, format="json")
        assert response.status_code == 404
        assert response.json() == missing.json()
    assert GuardianAccount.history.count() == 1
    assert not AccessLogEntry.objects.exists()


def test_the_mentor_of_the_student_gets_404(school_a, pupil, account):
    teacher = member(Role.TEACHER, school_a)
    mentor = MentorFactory(user=teacher, kind=MentorKind.TEACHER, schools=[school_a])
    PairingFactory(student=pupil, mentor=mentor, term=TermFactory(district=school_a.district))

    assert client_for(teacher).get(f"/api/v1/students/{pupil.pk}/").status_code == 200
    assert client_for(teacher).get(url(pupil)).status_code == 404
    assert client_for(teacher).put(url(pupil), BODY, format="json").status_code == 404


def test_administrator_of_another_school_gets_404(admin_b, pupil, account):
    assert client_for(admin_b).get(url(pupil)).status_code == 404
    assert client_for(admin_b).put(url(pupil), BODY, format="json").status_code == 404
    assert GuardianAccount.objects.get().number_masked.endswith("8912")


def test_anonymous_gets_401(api, pupil, account):
    assert api.get(url(pupil)).status_code == 401
    assert api.put(url(pupil), BODY, format="json").status_code == 401


@pytest.mark.parametrize("pk", ["abc", "0", str(2**63)])
def test_an_id_that_cannot_be_a_student_answers_404(admin_a, pk):
    assert client_for(admin_a).get(f"/api/v1/students/{pk}/guardian-account/").status_code == 404


# Writing


def test_administrator_records_an_account_encrypted_and_masked(admin_a, pupil):
    response = client_for(admin_a).put(url(pupil), BODY, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["number_masked"] == "**** **** **** **** 8912"
    assert body["updated_by"] == admin_a.pk
    assert_no_whole_number(response.content.decode(), NUMBER)
    account = GuardianAccount.objects.get(student=pupil)
    assert (account.holder_name, account.bank_name) == ("王大山", "中国农业银行")
    assert_no_whole_number(account.number_encrypted, NUMBER)
    assert guardian_account_number(account) == NUMBER
    assert account.number_hash == bank_accounts.keyed_hash(NUMBER, key=settings.ID_HASH_KEY)


def test_a_change_replaces_the_account_and_is_kept_in_the_history_without_the_number(
    admin_a, pupil, account
):
    response = client_for(admin_a).put(
        url(pupil),
        {"holder_name": "王二山", "bank_name": "农村信用社", "account_number": NEW_NUMBER},
        format="json",
    )

    assert response.status_code == 200
    assert GuardianAccount.objects.count() == 1
    assert guardian_account_number(GuardianAccount.objects.get()) == NEW_NUMBER
    history = list(GuardianAccount.history.order_by("history_date"))
    assert [(h.history_type, h.holder_name, h.number_masked) for h in history] == [
        ("+", "王大山", "**** **** **** **** 8912"),
        ("~", "王二山", "**** **** **** **** 2101"),
    ]
    assert history[-1].history_user == admin_a
    for row in history:
        text = " ".join(str(value) for value in row.__dict__.values())
        assert_no_whole_number(text, NUMBER, NEW_NUMBER)


def test_the_same_number_again_keeps_its_token(admin_a, pupil, account):
    body = {**BODY, "account_number": NUMBER, "bank_name": "农业银行"}
    assert client_for(admin_a).put(url(pupil), body, format="json").status_code == 200

    account.refresh_from_db()
    assert account.bank_name == "农业银行"
    assert (
        account.number_encrypted
        == GuardianAccount.history.earliest("history_date").number_encrypted
    )


def test_siblings_paid_into_one_account_are_shown_to_each_other(
    admin_a, admin_b, school_a, school_b, pupil, account
):
    sibling = StudentFactory(school=school_a)
    GuardianAccountFactory(student=sibling, number=NUMBER)
    elsewhere = StudentFactory(school=school_b)
    GuardianAccountFactory(student=elsewhere, number=NUMBER)

    body = client_for(admin_a).get(url(pupil)).json()

    # The student of school B is not the reader's to know of.
    assert body["same_account_students"] == [sibling.pk]


@pytest.mark.parametrize(
    ("body", "bad"),
    [
        (
            {"holder_name": "", "bank_name": "", "account_number": "12345"},
            {"holder_name", "bank_name", "account_number"},
        ),
        (
            {"holder_name": "  ", "bank_name": "银行", "account_number": "1" * 31},
            {"holder_name", "account_number"},
        ),
        (
            {"bank_name": "银行", "account_number": "62284800123456789X"},
            {"holder_name", "account_number"},
        ),
        (
            {
                "holder_name": "王",
                "bank_name": "银" * 101,
                "account_number": "１２３４５６７８９０１２",
            },
            {"bank_name", "account_number"},
        ),
        (
            {"holder_name": "王", "bank_name": "银行", "account_number": NUMBER, "extra": 1},
            {"extra"},
        ),
    ],
)
def test_every_bad_field_is_named_in_one_answer_and_nothing_is_written(admin_a, pupil, body, bad):
    response = client_for(admin_a).put(url(pupil), body, format="json")

    assert response.status_code == 400
    assert bad <= set(response.json())
    assert not GuardianAccount.objects.exists()
    assert_no_whole_number(response.content.decode(), NUMBER)


def test_the_number_must_have_12_to_30_digits_without_a_luhn_check(admin_a, pupil):
    for number in ("1" * 12, "9" * 30, "6222021234567891235"):
        body = {**BODY, "account_number": number}
        assert client_for(admin_a).put(url(pupil), body, format="json").status_code == 200


# The student's detail


def test_the_student_detail_shows_the_masked_number_to_administrators_only(
    admin_a, school_a, pupil, account
):
    detail = client_for(admin_a).get(f"/api/v1/students/{pupil.pk}/")
    assert detail.json()["guardian_account_masked"] == "**** **** **** **** 8912"
    assert_no_whole_number(detail.content.decode(), NUMBER)

    teacher = member(Role.TEACHER, school_a)
    mentor = MentorFactory(user=teacher, kind=MentorKind.TEACHER, schools=[school_a])
    PairingFactory(student=pupil, mentor=mentor, term=TermFactory(district=school_a.district))
    mentors_view = client_for(teacher).get(f"/api/v1/students/{pupil.pk}/")
    assert mentors_view.status_code == 200
    assert "guardian_account_masked" not in mentors_view.json()
    assert "8912" not in mentors_view.content.decode()


def test_a_student_without_an_account_shows_none(admin_a, pupil):
    detail = client_for(admin_a).get(f"/api/v1/students/{pupil.pk}/")
    assert detail.json()["guardian_account_masked"] is None


@pytest.mark.parametrize("n_students", [3, 30])
def test_student_list_query_count_does_not_grow_with_accounts(
    n_students, admin_a, school_a, django_assert_max_num_queries
):
    for _ in range(n_students):
        GuardianAccountFactory(student=StudentFactory(school=school_a))

    with django_assert_max_num_queries(6 + ACCESS_LOG_QUERIES):
        response = client_for(admin_a).get("/api/v1/students/", {"page_size": 100})

    assert [
        row["guardian_account_masked"][-4:].isdigit() for row in response.json()["results"]
    ] == [True] * n_students


@pytest.mark.parametrize("siblings", [1, 20])
def test_account_query_count_does_not_grow_with_siblings(
    siblings, admin_a, school_a, pupil, account, django_assert_max_num_queries
):
    for _ in range(siblings):
        GuardianAccountFactory(student=StudentFactory(school=school_a), number=NUMBER)

    # The administered schools and the student with its account, the siblings, the access log.
    with django_assert_max_num_queries(4 + ACCESS_LOG_QUERIES):
        response = client_for(admin_a).get(url(pupil))

    assert len(response.json()["same_account_students"]) == siblings


# The Django admin


def test_the_admin_shows_only_the_masked_number_in_list_change_and_history(school_a, account):
    root = UserFactory(is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(root)
    base = "/admin/mentoring/guardianaccount/"
    for path in (base, f"{base}{account.pk}/change/", f"{base}{account.pk}/history/"):
        response = client.get(path)
        assert response.status_code == 200, path
        text = response.content.decode()
        assert "8912" in text, path
        assert_no_whole_number(text, NUMBER)
        assert account.number_encrypted not in text
        assert account.number_hash not in text


def test_a_wrong_key_fails_loudly_when_the_number_is_opened(account, settings):
    settings.GUARDIAN_ACCOUNT_KEYS = ["d3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3I="]
    with pytest.raises(bank_accounts.AccountKeyMismatch):
        guardian_account_number(account)


def test_no_log_record_holds_the_number(admin_a, pupil, caplog):
    caplog.set_level("DEBUG")
    client = client_for(admin_a)
    client.put(url(pupil), BODY, format="json")
    client.put(url(pupil), {**BODY, "account_number": NUMBER + "X"}, format="json")
    client.get(url(pupil))

    assert caplog.records, "the requests were logged, or this test proves nothing"
    assert_no_whole_number(caplog.text, NUMBER)
