"""/console/aid/: projects and their money, allocation with who was left out, payments, late awards.

Every action is the API's service (`allocate`, `disbursement_pay`), so these
tests check the page's side: who may open and post, that every error is shown
at once and nothing is written, that a form posted twice pays once, that
names are shown only to the administrators of the students' schools and each
read of them is access-logged, and that the queries do not grow with the rows.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from donations.models import (
    AidProject,
    Allocation,
    Award,
    AwardStatus,
    Disbursement,
    FundSource,
    ProjectFunding,
)
from mentoring.models import AccessLogEntry, AssessmentStatus
from tests.console.console_world import (
    OPENS,
    READERS,
    aid_project,
    aided,
    assessment,
    build_world,
)

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PAGE = "/console/aid/"
# What each reader gets posting for an award of school A.
PAYS_A = {
    "school_admin": 302,
    "other_school_admin": 404,
    "district_admin": 302,
    "teacher": 403,
    "donor": 403,
    "supervisor": 403,
}


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def project(world):
    return aid_project(world)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def keyed(form: str) -> str:
    return re.search(r'name="key" value="([0-9a-f]+)"', form).group(1)


def payment(award, **changes) -> dict:
    return {
        "instalment": 1,
        "amount": "100.00",
        "method": "bank_transfer",
        "paid_on": timezone.localdate().isoformat(),
        "bank_reference": "ABC-2026-001",
        "key": "",
    } | changes


def project_page(project, world, **query) -> str:
    extra = "".join(f"&{k}={v}" for k, v in query.items())
    return f"{PAGE}{project.pk}/?term={world.terms['one'].pk}{extra}"


# --- who may open and post ---------------------------------------------------------------


@pytest.mark.parametrize("page", [PAGE, f"{PAGE}1/"])
def test_anonymous_visitors_are_sent_to_sign_in(page):
    response = Client().get(page)

    assert (response.status_code, response["Location"]) == (302, f"/?next={page}")


def test_an_anonymous_post_pays_nothing(world, project):
    award = aided(world, project, world.schools["A"], "王小丽")

    response = Client().post(f"{PAGE}awards/{award.pk}/pay/", payment(award))

    assert response.status_code == 302 and response["Location"].startswith("/?next=")
    assert not Disbursement.objects.exists()


@pytest.mark.parametrize("reader", READERS)
def test_only_administrators_open_aid_and_its_projects(world, project, reader):
    client = signed_in(world.users[reader])

    got = (client.get(PAGE).status_code, client.get(project_page(project, world)).status_code)

    assert got == (OPENS[reader], OPENS[reader])


@pytest.mark.parametrize("reader", ["school_admin", "other_school_admin", "district_admin"])
def test_another_districts_project_is_not_found(world, reader):
    foreign = AidProject.objects.create(
        district=world.schools["C"].district,
        code="OTHER",
        name="邻县补助",
        source=FundSource.COUNTY,
        purpose="other",
    )

    response = signed_in(world.users[reader]).get(f"{PAGE}{foreign.pk}/")

    assert response.status_code == 404


@pytest.mark.parametrize("reader", READERS)
def test_an_instalment_is_paid_only_by_an_administrator_of_the_students_school(
    world, project, reader
):
    award = aided(world, project, world.schools["A"], "王小丽")

    response = signed_in(world.users[reader]).post(f"{PAGE}awards/{award.pk}/pay/", payment(award))

    assert response.status_code == PAYS_A[reader]
    assert Disbursement.objects.count() == (1 if PAYS_A[reader] == 302 else 0)


@pytest.mark.parametrize(
    ("reader", "answer"),
    [
        ("school_admin", 302),
        ("other_school_admin", 302),
        ("district_admin", 302),
        ("teacher", 403),
        ("donor", 403),
        ("supervisor", 403),
    ],
)
def test_allocating_is_for_administrators_of_a_school_of_the_district(
    world, project, reader, answer
):
    response = signed_in(world.users[reader]).post(
        f"{PAGE}{project.pk}/allocate/", {"term": world.terms["one"].pk}
    )

    assert response.status_code == answer
    assert Allocation.objects.count() == (1 if answer == 302 else 0)


# --- the projects and their money --------------------------------------------------------


def test_the_projects_show_their_money_in_yuan(world, project):
    award = aided(world, project, world.schools["A"], "王小丽")
    aided(world, project, world.schools["B"], "赵小刚")
    admin = world.users["school_admin"]
    signed_in(admin).post(f"{PAGE}awards/{award.pk}/pay/", payment(award))

    html = signed_in(admin).get(PAGE, **EN).content.decode()

    row = html[html.index(f'data-project="{project.pk}"') :]
    # Shared with school B: the district's funds, labelled so (test_console_aid_money).
    assert 'data-figure="allocated" data-shared>10,000.00 yuan' in row
    assert 'data-figure="arrived" data-shared>10,000.00 yuan' in row
    # Awarded and paid count the administrator's own school only (A's 200.00, not B's).
    assert 'data-figure="awarded">200.00 yuan' in row
    assert 'data-figure="paid">100.00 yuan' in row
    zh = signed_in(admin).get(PAGE, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "10,000.00 元" in zh


def test_a_project_names_every_source_of_its_funding_not_its_own_source_only(world, project):
    ProjectFunding.objects.create(
        project=project, term=world.terms["one"], source=FundSource.COUNTY, amount_fen=910_000
    )
    admin = world.users["school_admin"]

    listed = signed_in(admin).get(PAGE, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    own = signed_in(admin).get(project_page(project, world), HTTP_ACCEPT_LANGUAGE="zh-hans")

    sources = "<span data-sources>省级财政 10,000.00 元、县（区）级财政 9,100.00 元</span>"
    assert sources in listed[listed.index(f'data-project="{project.pk}"') :]
    assert sources in own.content.decode()


# --- allocation --------------------------------------------------------------------------


def test_an_allocation_awards_by_need_and_shows_who_was_left_out_and_why(world):
    a, b, term = world.schools["A"], world.schools["B"], world.terms["one"]
    # 200.00 a student; 300.00 arrived: one student funded, the next left out.
    project = aid_project(world, arrived_fen=30_000)
    first = assessment(a, term, "王小丽", AssessmentStatus.APPROVED, tier="special_hardship")
    second = assessment(a, term, "刘小东", AssessmentStatus.APPROVED, tier="hardship")
    assessment(b, term, "赵小刚", AssessmentStatus.APPROVED, tier="hardship")
    client = signed_in(world.users["district_admin"])

    # The reasons are kept in the words of the language the allocation was run in (as the API's).
    response = client.post(f"{PAGE}{project.pk}/allocate/", {"term": term.pk}, **EN)

    assert response.status_code == 302
    assert response["Location"].endswith("#allocation")
    assert list(Award.objects.values_list("student", flat=True)) == [first.student_id]
    html = client.get(response["Location"], **EN).content.decode()
    assert "1 student awarded 200.00 yuan; 2 of your schools" in html
    left = html[html.index('id="left-out"') :]
    assert f'data-student="{second.student_id}" data-reason="funds_exhausted"' in left
    assert "刘小东" in left and "赵小刚" in left
    assert "The project&#x27;s account has 100.00 left, 200.00 needed." in left
    # A's administrator is told only of A's students.
    mine = signed_in(world.users["school_admin"]).get(response["Location"]).content.decode()
    assert "刘小东" in mine and "赵小刚" not in mine
    entry = AccessLogEntry.objects.filter(
        user=world.users["school_admin"], object_kind="allocation"
    ).get()
    assert set(entry.students.values_list("student_id", flat=True)) == {second.student_id}


def test_a_refused_allocation_shows_why_and_writes_nothing(world, project):
    client = signed_in(world.users["school_admin"])

    response = client.post(
        f"{PAGE}{project.pk}/allocate/",
        {"term": world.terms["two"].pk, "schools": [world.schools["B"].pk]},
        **EN,
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="problems"' in html
    # Both refused at once, by the service: B is not A's administrator's school.
    assert "Term: Unknown term in the project" in html
    assert f"Schools: You do not administer school {world.schools['B'].pk}." in html
    assert not Allocation.objects.exists()


def test_a_school_that_is_no_id_is_shown_with_the_services_checks(world, project):
    response = signed_in(world.users["school_admin"]).post(
        f"{PAGE}{project.pk}/allocate/", {"term": world.terms["two"].pk, "schools": ["x"]}, **EN
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Schools: Choose schools from the list." in html
    assert "Term: Unknown term in the project" in html
    assert not Allocation.objects.exists()


# --- paying ------------------------------------------------------------------------------


def test_an_instalment_is_paid_with_its_proof_and_shown_paid(world, project):
    award = aided(world, project, world.schools["A"], "王小丽")
    client = signed_in(world.users["school_admin"])
    form = client.get(project_page(project, world)).content.decode()

    response = client.post(
        f"{PAGE}awards/{award.pk}/pay/", payment(award, key=keyed(form)), follow=True, **EN
    )

    paid = Disbursement.objects.get()
    assert (paid.award_id, paid.instalment, paid.amount_fen) == (award.pk, 1, 10_000)
    assert (paid.method, paid.bank_reference, paid.paid_by) == (
        "bank_transfer",
        "ABC-2026-001",
        world.users["school_admin"],
    )
    html = response.content.decode()
    assert "王小丽: instalment 1 paid." in html
    row = html[html.index(f'id="award-{award.pk}"') :]
    assert 'data-instalment="1" data-paid="yes"' in row
    assert 'data-instalment="2" data-paid="no"' in row
    assert "ABC-2026-001" in row
    # The next form offers only the instalment left.
    assert '<option value="2" selected>' in row and '<option value="1"' not in row


def test_the_same_form_posted_twice_pays_once_and_says_paid_both_times(world, project):
    award = aided(world, project, world.schools["A"], "王小丽")
    client = signed_in(world.users["school_admin"])
    body = payment(award, key=keyed(client.get(project_page(project, world)).content.decode()))

    first = client.post(f"{PAGE}awards/{award.pk}/pay/", body)
    second = client.post(f"{PAGE}awards/{award.pk}/pay/", body)

    assert (first.status_code, second.status_code) == (302, 302)
    assert Disbursement.objects.count() == 1
    # A new form for the same instalment is refused by the service: paid already.
    third = client.post(f"{PAGE}awards/{award.pk}/pay/", payment(award, key="another"), **EN)
    assert third.status_code == 409
    assert "This award instalment has already been paid." in third.content.decode()
    assert Disbursement.objects.count() == 1


def test_every_bad_field_is_shown_at_once_and_nothing_is_written(world, project):
    award = aided(world, project, world.schools["A"], "王小丽")

    response = signed_in(world.users["school_admin"]).post(
        f"{PAGE}awards/{award.pk}/pay/",
        payment(award, amount="abc", paid_on="someday", bank_reference="", instalment="7"),
        **EN,
    )

    assert response.status_code == 400
    problems = response.content.decode()
    problems = problems[problems.index('id="problems"') : problems.index("</ul>")]
    assert "Amount (yuan): Enter a number." in problems
    assert "Paid on: Enter a valid date." in problems
    # The service's checks of the fields the form read, in the same answer.
    assert "Bank reference: Give the bank&#x27;s reference of the transfer." in problems
    assert "Instalment: This award is paid in 2 instalment(s), numbered from 1." in problems
    assert not Disbursement.objects.exists()


def test_a_wrong_amount_and_a_future_date_are_both_refused(world, project):
    award = aided(world, project, world.schools["A"], "王小丽")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    response = signed_in(world.users["school_admin"]).post(
        f"{PAGE}awards/{award.pk}/pay/",
        payment(award, amount="150.00", paid_on=tomorrow.isoformat()),
        **EN,
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Amount (yuan): Instalment 1 is 100.00, to be paid in full." in html
    assert "Paid on: A payment cannot be dated in the future." in html
    # The refused form is open again with what was typed.
    assert '<details class="pay" open>' in html[html.index(f'id="award-{award.pk}"') :]
    assert 'value="150.00"' in html
    assert not Disbursement.objects.exists()


def test_a_payment_dated_before_the_award_is_refused_with_the_services_reason(world, project):
    award = aided(world, project, world.schools["A"], "王小丽")
    made_on = timezone.localdate(award.created_at)
    before = made_on - datetime.timedelta(days=1)

    response = signed_in(world.users["school_admin"]).post(
        f"{PAGE}awards/{award.pk}/pay/", payment(award, paid_on=before.isoformat()), **EN
    )

    assert response.status_code == 400
    assert (
        f"Paid on: The payment date cannot be before the award was made on {made_on.isoformat()}."
    ) in response.content.decode()
    assert not Disbursement.objects.exists()


def test_cash_without_both_signatures_is_refused_with_the_services_reason(world, project):
    award = aided(world, project, world.schools["A"], "王小丽")

    response = signed_in(world.users["school_admin"]).post(
        f"{PAGE}awards/{award.pk}/pay/",
        payment(award, method="cash", bank_reference="", signed_by_student="on"),
        **EN,
    )

    assert response.status_code == 400
    assert "Cash is paid only against the signatures of student and guardian." in (
        response.content.decode()
    )
    assert not Disbursement.objects.exists()


def test_a_cancelled_award_is_refused_with_409(world, project):
    award = aided(world, project, world.schools["A"], "王小丽")
    Award.objects.filter(pk=award.pk).update(status=AwardStatus.CANCELLED)

    response = signed_in(world.users["school_admin"]).post(
        f"{PAGE}awards/{award.pk}/pay/", payment(award), **EN
    )

    assert response.status_code == 409
    assert "This award was cancelled." in response.content.decode()
    assert not Disbursement.objects.exists()


# --- names, late awards, the access log --------------------------------------------------


def test_the_awards_name_only_the_administrators_own_students_and_are_access_logged(world, project):
    mine = aided(world, project, world.schools["A"], "王小丽")
    aided(world, project, world.schools["B"], "赵小刚")
    admin = world.users["school_admin"]

    html = signed_in(admin).get(project_page(project, world)).content.decode()

    assert "王小丽" in html and "赵小刚" not in html
    entry = AccessLogEntry.objects.get(user=admin, object_kind="award")
    assert entry.action == "list"
    assert list(entry.students.values_list("student_id", flat=True)) == [mine.student_id]


def test_late_awards_are_listed_and_their_reading_logged(world, project):
    late = aided(world, project, world.schools["A"], "王小丽")
    aided(world, project, world.schools["A"], "刘小东")
    Award.objects.filter(pk=late.pk).update(late_since=datetime.date(2026, 11, 1))
    admin = world.users["school_admin"]
    client = signed_in(admin)

    html = client.get(PAGE, **EN).content.decode()

    listed = html[html.index('id="late-awards"') :]
    assert f'data-award="{late.pk}"' in listed and "王小丽" in listed and "刘小东" not in listed
    assert "1 Nov 2026" in listed
    assert 'data-figure="late"><a class="late"' in html
    entry = AccessLogEntry.objects.get(user=admin, object_kind="award")
    assert list(entry.students.values_list("student_id", flat=True)) == [late.student_id]
    shown = client.get(project_page(project, world, show="late"), **EN).content.decode()
    assert f'id="award-{late.pk}"' in shown and "刘小东" not in shown
    assert "late since 1 Nov 2026" in shown


def test_nothing_late_says_so(world, project):
    html = signed_in(world.users["school_admin"]).get(PAGE).content.decode()

    assert 'id="no-late"' in html
    assert not AccessLogEntry.objects.exists()


# --- queries -----------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_a_projects_page_costs_the_same_queries_for_2_or_12_awards(world, project):
    a, term = world.schools["A"], world.terms["one"]
    client = signed_in(world.users["school_admin"])
    for n in range(2):
        aided(world, project, a, f"甲{n}")
    assessment(a, term, "丙", AssessmentStatus.APPROVED, tier="hardship")
    signed_in(world.users["district_admin"]).post(
        f"{PAGE}{project.pk}/allocate/", {"term": term.pk}
    )
    url = project_page(project, world)
    few = _queries(client, url)
    for n in range(10):
        award = aided(world, project, a, f"乙{n}")
        client.post(f"{PAGE}awards/{award.pk}/pay/", payment(award))
    for n in range(3):
        assessment(a, term, f"丁{n}", AssessmentStatus.APPROVED, tier="hardship")
    signed_in(world.users["district_admin"]).post(
        f"{PAGE}{project.pk}/allocate/", {"term": term.pk}
    )

    assert Disbursement.objects.count() == 10
    assert _queries(client, url) == few


def test_the_aid_page_costs_the_same_queries_for_1_or_4_projects(world, project):
    a = world.schools["A"]
    client = signed_in(world.users["school_admin"])
    late = aided(world, project, a, "甲")
    Award.objects.filter(pk=late.pk).update(late_since=datetime.date(2026, 11, 1))
    few = _queries(client, PAGE)
    for n in range(3):
        other = aid_project(world, code=f"P{n}")
        for m in range(3):
            award = aided(world, other, a, f"乙{n}{m}")
            Award.objects.filter(pk=award.pk).update(late_since=datetime.date(2026, 11, 2))

    assert _queries(client, PAGE) == few


def test_every_form_of_a_project_carries_a_csrf_token(world, project):
    award = aided(world, project, world.schools["A"], "王小丽")
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["school_admin"])

    html = client.get(project_page(project, world)).content.decode()

    posting = html.count('method="post"')
    # Log out, allocate, pay, the language.
    assert posting == 4 and posting == html.count('name="csrfmiddlewaretoken"')
    refused = client.post(f"{PAGE}awards/{award.pk}/pay/", payment(award))
    assert refused.status_code == 403
    assert not Disbursement.objects.exists()


def test_a_refused_payment_answers_the_page_as_it_was_with_the_students_name(world, project):
    award = aided(world, project, world.schools["A"], "王小丽")
    shown = project_page(project, world, show="unpaid")
    client = signed_in(world.users["school_admin"])

    response = client.post(
        f"{PAGE}awards/{award.pk}/pay/",
        payment(award, amount="150.00", next=shown),
        **EN,
    )

    assert response.status_code == 400
    # The state shown is kept, the refusal names the student, the award's form is open.
    assert response.context["shown"] == "unpaid"
    assert response.context["problems"] == [
        "王小丽: Amount (yuan): Instalment 1 is 100.00, to be paid in full."
    ]
    html = response.content.decode()
    row = html[html.index(f'id="award-{award.pk}"') :]
    assert row.startswith(f'id="award-{award.pk}" data-award="{award.pk}"')
    assert 'class="refused"' in row[: row.index(">")]
    assert f'name="next" value="{escape(shown)}"' in row
    # A reload reads the page at the award (shown_at.js), never posts the payment again.
    assert f'<meta name="shown-at" content="{escape(shown)}#award-{award.pk}">' in html
    assert f'action="{PAGE}awards/{award.pk}/pay/#award-{award.pk}"' in row

    paid = client.post(f"{PAGE}awards/{award.pk}/pay/", payment(award, next=shown))

    assert paid["Location"] == f"{shown}#award-{award.pk}"


def test_a_payment_posted_from_another_page_is_refused_on_the_projects_page_unfiltered(
    world, project
):
    award = aided(world, project, world.schools["A"], "王小丽")

    response = signed_in(world.users["school_admin"]).post(
        f"{PAGE}awards/{award.pk}/pay/",
        payment(award, amount="150.00", next="https://elsewhere.example/?show=paid"),
        **EN,
    )

    assert response.status_code == 400
    assert response.context["shown"] == ""
