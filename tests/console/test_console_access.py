"""Who may open the console's pages (issue 17): school and district administrators only.

Every other role is told the page is not theirs (403), an anonymous visitor
is sent to sign in at `/`, and `/` takes an administrator to `/console/`.
The roles' rule is one decorator for every page (core.pages.role_page).
"""

import pytest
from django.test import Client

from mentoring.models import AssessmentStatus
from tests.console.console_world import EN, OPENS, READERS, assessment, signed_in
from workers.models import Report, ReportScope

pytestmark = pytest.mark.django_db

PAGES = ["/console/", "/console/identification/", "/console/aid/", "/console/reports/"]


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(page):
    response = Client().get(page)

    assert (response.status_code, response["Location"]) == (302, f"/?next={page}")


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("reader", READERS)
def test_only_administrators_open_the_console(world, reader, page):
    response = signed_in(world.users[reader]).get(page, **EN)

    assert response.status_code == OPENS[reader]
    if response.status_code == 403:
        assert "This page is for administrators" in response.content.decode()


@pytest.mark.parametrize(
    ("reader", "page"),
    [
        ("school_admin", "/console/"),
        ("district_admin", "/console/"),
        ("teacher", "/teacher/"),
        ("donor", "/donor/"),
        ("supervisor", "/supervisor/"),
    ],
)
def test_the_root_takes_each_role_to_its_page(world, reader, page):
    response = signed_in(world.users[reader]).get("/")

    assert (response.status_code, response["Location"]) == (302, page)


@pytest.mark.parametrize(
    ("reader", "answers"),
    [
        # A's assessment, B's, C's (another district).
        ("school_admin", (302, 404, 404)),
        ("other_school_admin", (404, 302, 404)),
        ("district_admin", (302, 302, 404)),
        ("teacher", (403, 403, 403)),
        ("donor", (403, 403, 403)),
        ("supervisor", (403, 403, 403)),
    ],
)
def test_an_action_reaches_only_the_administrators_own_schools(world, reader, answers):
    found = [
        assessment(world.schools[s], world.terms[t], f"学生{s}", AssessmentStatus.PROPOSED)
        for s, t in (("A", "one"), ("B", "one"), ("C", "two"))
    ]
    client = signed_in(world.users[reader])

    got = tuple(
        client.post(f"/console/identification/{row.pk}/approve/", {}).status_code for row in found
    )

    assert got == answers
    approved = {
        row.pk for row in found if row.__class__.objects.get(pk=row.pk).status == "approved"
    }
    assert approved == {row.pk for row, code in zip(found, answers, strict=True) if code == 302}


@pytest.mark.parametrize(
    ("reader", "answers"),
    [
        ("school_admin", (200, 404)),
        ("other_school_admin", (404, 404)),
        ("district_admin", (200, 200)),
        ("teacher", (403, 403)),
    ],
)
def test_a_report_opens_for_the_administrators_of_its_school_or_district(world, reader, answers):
    school_report = Report.objects.create(
        term=world.terms["one"],
        scope=ReportScope.SCHOOL,
        district=world.schools["A"].district,
        school=world.schools["A"],
        version=1,
    )
    district_report = Report.objects.create(
        term=world.terms["one"],
        scope=ReportScope.DISTRICT,
        district=world.schools["A"].district,
        version=1,
    )
    client = signed_in(world.users[reader])

    got = tuple(
        client.get(f"/console/reports/{report.pk}/").status_code
        for report in (school_report, district_report)
    )

    assert got == answers


def test_every_form_carries_a_csrf_token(world):
    assessment(world.schools["A"], world.terms["one"], "王小丽", AssessmentStatus.PROPOSED)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["school_admin"])

    for page in PAGES:
        html = client.get(page).content.decode()
        # Every form that writes (method="post"); the term chooser is a GET form.
        posting = html.count('method="post"')
        assert posting and posting == html.count('name="csrfmiddlewaretoken"'), page
    refused = client.post("/console/reports/", {"term": world.terms["one"].pk, "scope": "x"})
    assert refused.status_code == 403
