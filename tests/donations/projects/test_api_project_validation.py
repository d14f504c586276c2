"""projects/ refuses bad input: 400 naming the field, nothing written; appropriations within
what was allocated, for a funding of that source and term.
"""

import pytest

from donations.models import AidProject, ProjectFunding
from tests.conftest import client_for
from tests.donations.projects.project_scene import (
    EN,
    PROJECTS,
    detail,
    make_project,
    project_body,
    receive,
    rows,
)

pytestmark = pytest.mark.django_db


# -- validation ----------------------------------------------------------------------------


def _standard(**values):
    return lambda body, w: body.update(standards=[{"yearly": "2000.00"} | values])


def _funding(**values):
    def change(body, w):
        body["funding"] = [
            {"term": w["term"].pk, "source": "provincial", "amount": "10.00"} | values
        ]

    return change


BAD_PROJECTS = [
    pytest.param(_standard(yearly="-1.00"), "standards", id="negative-yearly"),
    pytest.param(_standard(yearly="0"), "standards", id="zero-yearly"),
    pytest.param(_standard(yearly="1.005"), "standards", id="three-decimals-yearly"),
    pytest.param(_standard(tier="not_a_tier"), "standards", id="standard-unknown-tier"),
    pytest.param(_standard(level="college"), "standards", id="standard-unknown-level"),
    pytest.param(_standard(boarding="sometimes"), "standards", id="standard-unknown-boarding"),
    pytest.param(_funding(amount="-5.00"), "funding", id="negative-funding"),
    pytest.param(_funding(amount="100.001"), "funding", id="three-decimals-funding"),
    pytest.param(_funding(amount="0.00"), "funding", id="zero-funding"),
    pytest.param(_funding(source="bank"), "funding", id="funding-unknown-source"),
    pytest.param(
        lambda b, w: b.update(levels=["preschool", "college"]), "levels", id="unknown-level"
    ),
    pytest.param(lambda b, w: b.update(tiers=["hardship", "rich"]), "tiers", id="unknown-tier"),
    pytest.param(lambda b, w: b.update(district="NOWHERE"), "district", id="unknown-district"),
    pytest.param(lambda b, w: b.pop("district"), "district", id="no-district"),
    pytest.param(lambda b, w: b.update(source="bank"), "source", id="unknown-source"),
    pytest.param(lambda b, w: b.update(gender="x"), "gender", id="unknown-gender"),
    pytest.param(lambda b, w: b.update(boarding="x"), "boarding", id="unknown-boarding"),
    pytest.param(lambda b, w: b.update(code="PRESCHOOL"), "code", id="duplicate-code"),
    pytest.param(
        lambda b, w: b.update(
            standards=[
                {"tier": "hardship", "yearly": "1000.00"},
                {"tier": "hardship", "yearly": "2000.00"},
            ]
        ),
        "standards",
        id="duplicate-standards",
    ),
    pytest.param(
        lambda b, w: b.update(
            funding=[
                # Not below what the scene received, so only the repetition is wrong.
                {"term": w["term"].pk, "source": "county", "amount": "9100.00"},
                {"term": w["term"].pk, "source": "county", "amount": "9200.00"},
            ]
        ),
        "funding",
        id="duplicate-funding",
    ),
    pytest.param(_funding(term=0), "funding", id="funding-term-zero"),
    pytest.param(
        lambda b, w: b.update(
            funding=[{"term": w["other_term"].pk, "source": "county", "amount": "1.00"}]
        ),
        "funding",
        id="funding-term-of-another-district",
    ),
    pytest.param(
        lambda b, w: b.update(
            quotas=[{"term": w["term"].pk, "school": w["other_school"].pk, "places": 3}]
        ),
        "quotas",
        id="quota-school-of-another-district",
    ),
    pytest.param(
        lambda b, w: b.update(
            quotas=[{"term": w["other_term"].pk, "school": w["school"].pk, "places": 3}]
        ),
        "quotas",
        id="quota-term-of-another-district",
    ),
    pytest.param(
        lambda b, w: b.update(
            quotas=[
                {"term": w["term"].pk, "school": w["school"].pk, "places": 3},
                {"term": w["term"].pk, "school": w["school"].pk, "places": 4},
            ]
        ),
        "quotas",
        id="duplicate-quota",
    ),
    pytest.param(
        lambda b, w: b.update(quotas=[{"term": w["term"].pk, "school": w["school"].pk}]),
        "quotas",
        id="quota-without-places",
    ),
]


@pytest.mark.parametrize(("change", "field"), BAD_PROJECTS)
def test_a_bad_project_answers_400_naming_the_field_and_writes_nothing(
    scene, change, field, district, school_a, elsewhere, district_admin
):
    world = {
        "term": scene["term"],
        "school": school_a,
        "other_term": elsewhere["term"],
        "other_school": elsewhere["school"],
    }
    body = project_body(district, scene["term"], school_a, code="SECOND")
    change(body, world)
    before = rows()
    response = client_for(district_admin).post(PROJECTS, body, format="json", **EN)
    assert response.status_code == 400, response.json()
    assert field in response.json(), response.json()
    assert rows() == before


# The district is not changed by an update, and a code change is refused on its own (below).
BAD_CHANGES = [p for p in BAD_PROJECTS if p.values[1] not in ("district", "code")]


@pytest.mark.parametrize(("change", "field"), BAD_CHANGES)
def test_a_bad_change_answers_400_and_changes_nothing(
    scene, change, field, district, school_a, elsewhere, district_admin
):
    world = {
        "term": scene["term"],
        "school": school_a,
        "other_term": elsewhere["term"],
        "other_school": elsewhere["school"],
    }
    body = project_body(district, scene["term"], school_a, name="改名")
    # A project stays in its district: an update that names one is refused on its own.
    del body["district"]
    # A valid change of the standards is saved first: it must be undone with the rest.
    body["standards"] = [{"yearly": "1.00"}]
    change(body, world)
    shown_before = client_for(district_admin).get(detail(scene["id"])).json()
    before = rows()
    response = client_for(district_admin).put(detail(scene["id"]), body, format="json", **EN)
    assert response.status_code == 400, response.json()
    assert field in response.json(), response.json()
    assert rows() == before
    assert client_for(district_admin).get(detail(scene["id"])).json() == shown_before


@pytest.mark.parametrize(
    ("rows_given", "expected"),
    [
        pytest.param({"standards": [{"yearly": "625.00"}]}, 200, id="standard-with-defaults"),
        pytest.param({"funding": [{"term": "TERM", "amount": "1.00"}]}, 400, id="no-source"),
        pytest.param({"quotas": [{"term": "TERM", "school": "SCHOOL"}]}, 400, id="no-places"),
    ],
)
def test_a_patch_of_nested_rows_applies_defaults_and_checks_required_fields(
    scene, district_admin, school_a, rows_given, expected
):
    term = scene["term"]
    body = {
        name: [
            {
                key: {"TERM": term.pk, "SCHOOL": school_a.pk}.get(value, value)
                for key, value in row.items()
            }
            for row in values
        ]
        for name, values in rows_given.items()
    }
    client = client_for(district_admin)
    client.raise_request_exception = False
    response = client.patch(detail(scene["id"]), body, format="json")
    assert response.status_code == expected
    if expected == 400:
        assert set(response.json()) == set(rows_given)


def test_a_project_code_cannot_be_changed(scene, district_admin):
    response = client_for(district_admin).patch(
        detail(scene["id"]), {"code": "OTHER"}, format="json"
    )
    assert response.status_code == 400
    assert "code" in response.json()
    assert AidProject.objects.get(pk=scene["id"]).code == "PRESCHOOL"


def test_funding_cannot_fall_below_what_was_received(scene, district_admin):
    term = scene["term"]
    before = rows()
    lower = client_for(district_admin).patch(
        detail(scene["id"]),
        {"funding": [{"term": term.pk, "source": "provincial", "amount": "100.00"}]},
        format="json",
        **EN,
    )
    assert lower.status_code == 400
    assert "18900.00" in lower.json()["funding"][0]
    assert rows() == before
    assert sorted(ProjectFunding.objects.values_list("amount_fen", flat=True)) == [
        910_000,
        1_890_000,
    ]


@pytest.mark.parametrize("amount", ["-1.00", "0", "1.005", "abc", ""])
def test_a_bad_appropriation_amount_answers_400(district, school_a, district_admin, term, amount):
    project = make_project(district_admin, district, term, school_a)
    before = rows()
    response = receive(district_admin, project["id"], term, "provincial", amount)
    assert response.status_code == 400
    assert "amount" in response.json()
    assert rows() == before


def test_an_appropriation_beyond_what_was_allocated_names_what_is_left(
    district, school_a, district_admin, term
):
    project = make_project(district_admin, district, term, school_a)
    assert receive(district_admin, project["id"], term, "county", "9000.00").status_code == 201
    before = rows()
    response = receive(district_admin, project["id"], term, "county", "100.01")
    assert response.status_code == 400
    message = response.json()["amount"][0]
    assert "100.00" in message and "9100.00" in message, message
    assert rows() == before
    assert receive(district_admin, project["id"], term, "county", "100.00").status_code == 201
    assert receive(district_admin, project["id"], term, "county", "0.01").status_code == 400


def test_an_appropriation_needs_a_funding_of_that_source_and_term(scene, district_admin, elsewhere):
    before = rows()
    response = receive(district_admin, scene["id"], scene["term"], "central", "1.00")
    assert response.status_code == 400
    assert "source" in response.json()
    response = receive(district_admin, scene["id"], elsewhere["term"], "county", "1.00")
    assert response.status_code == 400
    assert "source" in response.json() or "term" in response.json()
    response = receive(district_admin, scene["id"], scene["term"], "bank", "1.00")
    assert response.status_code == 400
    assert "source" in response.json()
    assert rows() == before
