# ruff: noqa: E501  (the tables below read best one row to a line)
"""The permission matrix of every URL outside the API: the Django admin and the pages.

Every URL pattern of `config.urls` outside `/api/v1/` (walked from the
resolver; the API has its own matrix) has its rows in MATRIX below: what
each role gets, per method. A pattern without a row fails
`test_every_url_pattern_has_a_row`, and a row that matches no pattern fails
`test_every_row_matches_a_url_pattern`. Where a URL takes an object, a cell
reads `own,other-school,other-district` (or one answer for all three): the
object of the role's own school (a mentor's own pairing, the role's own
reminder), of another school of the same district, of another district.

Every cell is asked with Django's test client, as that role, against real
records of every model (tests/admin_scene.py, with their history rows).
GET cells ask the page; POST cells send an empty form (the admin's login
form: the role's own username and password), so they show whether the view
takes the POST at all; none writes a record, but a mentor's reminder is
marked read and the sign-in and sign-out pages do their work. An answer is a status code, or
`→name` for a redirect to the URL of that name (an admin model's URLs by
their kind: `→admin:change`), or `→/path` where no name resolves.

Admin URLs of models are written once for all models, `<app>/<model>`
standing for each, with the column `models` saying which kind of model the
row is for (MODELS: a record a service writes is read-only; reference data
no service writes is editable; the account's few fields are changed through
`user_update`; a login lockout is read and deleted to unlock).
"""

import dataclasses
import re
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import Resolver404, resolve

from donations.models import AidProject, Award, Donor, Pledge
from mentoring.models import (
    Application,
    ApplicationCode,
    Assessment,
    MatchRun,
    Notification,
    Objection,
    Pairing,
    ProposedPair,
    ReviewCommittee,
    Student,
    User,
)
from tests.admin_scene import form_data, row_values
from tests.role_scene import ROLES, Scene, build_scene, walk_urls
from workers.factories import DEFAULT_PASSWORD
from workers.models import Report

pytestmark = pytest.mark.django_db


# What kind of record each model registered in the admin is (see the module docstring).
MODELS = {
    "mentoring.user": "account",
    "mentoring.district": "editable",
    "mentoring.school": "read-only",
    "mentoring.term": "read-only",
    "mentoring.student": "read-only",
    "mentoring.studentrecord": "read-only",
    "mentoring.hardshipindicator": "read-only",
    "mentoring.guardianaccount": "read-only",
    "mentoring.villagecommittee": "read-only",
    "mentoring.assessment": "read-only",
    "mentoring.mentor": "read-only",
    "mentoring.pairing": "read-only",
    "mentoring.tutoringsession": "read-only",
    "donations.aidproject": "read-only",
    "donations.fundaccount": "read-only",
    "donations.ledgerentry": "read-only",
    "donations.donor": "read-only",
    "donations.contribution": "read-only",
    "donations.award": "read-only",
    "donations.disbursement": "read-only",
    "donations.itemkind": "editable",
    "donations.itemdonation": "read-only",
    "donations.itemdistribution": "read-only",
    "donations.pledge": "read-only",
    "donations.allocation": "read-only",
    "donations.aidrefusal": "read-only",
    "donations.committeereview": "read-only",
    "donations.paymentbatch": "read-only",
    "workers.job": "read-only",
    "mentoring.matchrun": "read-only",
    "workers.report": "read-only",
    "oversight.supervisionmember": "read-only",
    "oversight.supervisionmeeting": "read-only",
    "oversight.suggestion": "read-only",
    "oversight.complaint": "read-only",
    "axes.accessattempt": "lockout",
}

MATRIX = """
route                                              method models     anonymous      teacher         volunteer       school_admin    district_admin  donor           supervisor      platform
# `/`: a sign-in page, then each role's own page (the mentor's, the donor's, the supervisor's, the console, the admin).
/                                                  GET    -          200            →teacher:home   →teacher:home   →console:home   →console:home   →donor:home     →supervisor:home →admin:index
/                                                  POST   -          200            →teacher:home   →teacher:home   →console:home   →console:home   →donor:home     →supervisor:home →admin:index
healthz                                            GET    -          200            200             200             200             200             200             200             200
api/schema/                                        GET    -          200            200             200             200             200             200             200             200
api/docs/                                          GET    -          200            200             200             200             200             200             200             200
api-auth/login/                                    GET    -          200            200             200             200             200             200             200             200
api-auth/login/                                    POST   -          200            200             200             200             200             200             200             200
api-auth/logout/                                   GET    -          405            405             405             405             405             405             405             405
api-auth/logout/                                   POST   -          200            200             200             200             200             200             200             200
i18n/setlang/                                      GET    -          →start         →start          →start          →start          →start          →start          →start          →start
i18n/setlang/                                      POST   -          →start         →start          →start          →start          →start          →start          →start          →start

# The mentor's page: mentors only, and only their own mentees and reminders.
teacher/                                           GET    -          →teacher:login 200             200             403             403             403             403             403
teacher/login/                                     GET    -          200            →teacher:home   →teacher:home   →teacher:home   →teacher:home   →teacher:home   →teacher:home   →teacher:home
teacher/login/                                     POST   -          200            →teacher:home   →teacher:home   →teacher:home   →teacher:home   →teacher:home   →teacher:home   →teacher:home
teacher/logout/                                    GET    -          405            405             405             405             405             405             405             405
teacher/logout/                                    POST   -          →teacher:login →teacher:login  →teacher:login  →teacher:login  →teacher:login  →teacher:login  →teacher:login  →teacher:login
teacher/mentees/<int:pairing_id>/                  GET    -          →teacher:login 200,404,404     200,404,404     403             403             403             403             403
teacher/mentees/<int:pairing_id>/                  POST   -          →teacher:login 400,404,404     400,404,404     403             403             403             403             403
teacher/mentees/<int:pairing_id>/scores/           GET    -          405            405             405             405             405             405             405             405
teacher/mentees/<int:pairing_id>/scores/           POST   -          →teacher:login 400,404,404     400,404,404     403             403             403             403             403
teacher/reminders/                                 GET    -          →teacher:login 200             200             403             403             403             403             403
teacher/reminders/read/                            GET    -          405            405             405             405             405             405             405             405
teacher/reminders/read/                            POST   -          →teacher:login →teacher:reminders →teacher:reminders 403     403             403             403             403
teacher/reminders/<int:notification_id>/read/      GET    -          405            405             405             405             405             405             405             405
teacher/reminders/<int:notification_id>/read/      POST   -          →teacher:login →teacher:reminders,404,404 →teacher:reminders,404,404 403 403     403             403             403
# The printable growth archive: whoever may read the student's detail (served by donations).
teacher/students/<int:student_id>/archive/         GET    -          →teacher:login 200,404,404     200,404,404     200,404,404     200,200,404     404             404             200
teacher/students/<int:student_id>/archive/         POST   -          405            405             405             405             405             405             405             405

# The donor's page: accounts with a donor profile only, and only their own pledges.
donor/                                             GET    -          →start         403             403             403             403             200             403             403
donor/logout/                                      GET    -          405            405             405             405             405             405             405             405
donor/logout/                                      POST   -          →start         →start          →start          →start          →start          →start          →start          →start
donor/pledges/                                     GET    -          405            405             405             405             405             405             405             405
donor/pledges/                                     POST   -          →start         403             403             403             403             400             403             403
donor/pledges/<int:pledge_id>/cancel/              GET    -          405            405             405             405             405             405             405             405
donor/pledges/<int:pledge_id>/cancel/              POST   -          →start         403             403             403             403             400,404,404     403             403

# The supervisor's page: members of a supervision group only; read-only.
supervisor/                                        GET    -          →start         403             403             403             403             403             200             403
supervisor/                                        POST   -          405            405             405             405             405             405             405             405
supervisor/logout/                                 GET    -          405            405             405             405             405             405             405             405
supervisor/logout/                                 POST   -          →start         →start          →start          →start          →start          →start          →start          →start

# The administrators' console: administrators of a school or a district only, and only their schools' records.
console/                                           GET    -          →start         403             403             200             200             403             403             200
console/                                           POST   -          405            405             405             405             405             405             405             405
console/logout/                                    GET    -          405            405             405             405             405             405             405             405
console/logout/                                    POST   -          →start         →start          →start          →start          →start          →start          →start          →start
console/identification/                            GET    -          →start         403             403             200             200             403             403             200
console/identification/                            POST   -          405            405             405             405             405             405             405             405
# The queue's steps that rest on a record (the scene's assessment is submitted), and the review committees.
console/identification/<int:assessment_id>/investigate/ GET -        405            405             405             405             405             405             405             405
console/identification/<int:assessment_id>/investigate/ POST -       →start         403             403             400,404,404     400,400,404     403             403             400
console/identification/<int:assessment_id>/committee-decision/ GET - 405            405             405             405             405             405             405             405
console/identification/<int:assessment_id>/committee-decision/ POST - →start        403             403             409,404,404     409,409,404     403             403             409
console/identification/committees/                 GET    -          →start         403             403             200             200             403             403             200
console/identification/committees/                 POST   -          →start         403             403             400             400             403             403             400
console/identification/committees/<int:committee_id>/members/add/ GET - 405         405             405             405             405             405             405             405
console/identification/committees/<int:committee_id>/members/add/ POST - →start     403             403             400,404,404     400,400,404     403             403             400
console/identification/committees/<int:committee_id>/members/remove/ GET - 405      405             405             405             405             405             405             405
console/identification/committees/<int:committee_id>/members/remove/ POST - →start  403             403             400,404,404     400,400,404     403             403             400
console/identification/objections/<int:objection_id>/answer/ GET - 405            405             405             405             405             405             405             405
console/identification/objections/<int:objection_id>/answer/ POST - →start        403             403             400,404,404     400,400,404     403             403             400
console/identification/<int:assessment_id>/review/ GET    -          405            405             405             405             405             405             405             405
console/identification/<int:assessment_id>/review/ POST   -          →start         403             403             400,404,404     400,400,404     403             403             400
console/identification/<int:assessment_id>/publicize/ GET -          405            405             405             405             405             405             405             405
console/identification/<int:assessment_id>/publicize/ POST -         →start         403             403             409,404,404     409,409,404     403             403             409
console/identification/<int:assessment_id>/approve/ GET   -          405            405             405             405             405             405             405             405
console/identification/<int:assessment_id>/approve/ POST  -          →start         403             403             409,404,404     409,409,404     403             403             409
console/identification/<int:assessment_id>/reject/ GET    -          405            405             405             405             405             405             405             405
console/identification/<int:assessment_id>/reject/ POST   -          →start         403             403             400,404,404     400,400,404     403             403             400
# Starting identification (console.applications): a government list, a family's application, the families' applications, the codes.
console/identification/start/                      GET    -          →start         403             403             200             200             403             403             200
console/identification/start/                      POST   -          405            405             405             405             405             405             405             405
console/identification/start/government-list/      GET    -          405            405             405             405             405             405             405             405
console/identification/start/government-list/      POST   -          →start         403             403             400             400             403             403             400
console/identification/start/record/               GET    -          405            405             405             405             405             405             405             405
console/identification/start/record/               POST   -          →start         403             403             400             400             403             403             400
console/identification/start/applications/<int:application_id>/confirm/ GET - 405          405             405             405             405             405             405             405
console/identification/start/applications/<int:application_id>/confirm/ POST - →start      403             403             400,404,404     400,400,404     403             403             400
console/identification/start/applications/<int:application_id>/decline/ GET - 405          405             405             405             405             405             405             405
console/identification/start/applications/<int:application_id>/decline/ POST - →start      403             403             400,404,404     400,400,404     403             403             400
console/identification/start/codes/                GET    -          405            405             405             405             405             405             405             405
console/identification/start/codes/                POST   -          →start         403             403             400             400             403             403             400
console/identification/start/codes/<int:code_id>/close/ GET -        405            405             405             405             405             405             405             405
console/identification/start/codes/<int:code_id>/close/ POST -       →start         403             403             400,404,404     400,400,404     403             403             400
console/roster/                                    GET    -          →start         403             403             200             200             403             403             200
console/roster/                                    POST   -          →start         403             403             400             400             403             403             400
console/matching/                                  GET    -          →start         403             403             200             200             403             403             200
console/matching/                                  POST   -          →start         403             403             400             400             403             403             400
console/matching/<int:run_id>/                     GET    -          →start         403             403             200,404,404     200,200,404     403             403             200
console/matching/<int:run_id>/                     POST   -          405            405             405             405             405             405             405             405
console/matching/<int:run_id>/approve/             GET    -          405            405             405             405             405             405             405             405
console/matching/<int:run_id>/approve/             POST   -          →start         403             403             400,404,404     400,400,404     403             403             400
console/matching/<int:run_id>/pairs/add/           GET    -          405            405             405             405             405             405             405             405
console/matching/<int:run_id>/pairs/add/           POST   -          →start         403             403             400,404,404     400,400,404     403             403             400
console/matching/pairs/<int:proposal_id>/change/   GET    -          405            405             405             405             405             405             405             405
console/matching/pairs/<int:proposal_id>/change/   POST   -          →start         403             403             400,404,404     400,400,404     403             403             400
console/matching/pairs/<int:proposal_id>/remove/   GET    -          405            405             405             405             405             405             405             405
console/matching/pairs/<int:proposal_id>/remove/   POST   -          →start         403             403             409,404,404     409,409,404     403             403             409
console/aid/                                       GET    -          →start         403             403             200             200             403             403             200
console/aid/                                       POST   -          405            405             405             405             405             405             405             405
console/aid/<int:project_id>/                      GET    -          →start         403             403             200,200,404     200,200,404     403             403             200
console/aid/<int:project_id>/                      POST   -          405            405             405             405             405             405             405             405
console/aid/<int:project_id>/allocate/             GET    -          405            405             405             405             405             405             405             405
console/aid/<int:project_id>/allocate/             POST   -          →start         403             403             400,400,404     400,400,404     403             403             400
console/aid/awards/<int:award_id>/pay/             GET    -          405            405             405             405             405             405             405             405
console/aid/awards/<int:award_id>/pay/             POST   -          →start         403             403             400,404,404     400,400,404     403             403             400
console/aid/awards/<int:award_id>/guardian-account/ GET -          →start         403             403             200,404,404     200,200,404     403             403             200
console/aid/awards/<int:award_id>/guardian-account/ POST -         →start         403             403             400,404,404     400,400,404     403             403             400
console/weekly/                                    GET    -          →start         403             403             200             200             403             403             200
console/weekly/                                    POST   -          405            405             405             405             405             405             405             405
console/reports/                                   GET    -          →start         403             403             200             200             403             403             200
console/reports/                                   POST   -          →start         403             403             400             400             403             403             400
console/reports/<int:report_id>/                   GET    -          →start         403             403             200,404,404     200,200,404     403             403             200
console/reports/<int:report_id>/                   POST   -          405            405             405             405             405             405             405             405
console/reports/<int:report_id>/export/            GET    -          →start         403             403             →console:report,404,404 →console:report,→console:report,404 403 403  →console:report
console/reports/<int:report_id>/export/            POST   -          405            405             405             405             405             405             405             405

# The admin site: platform administrators only; anyone else signed in is refused.
apply/                                             GET    -          200            200             200             200             200             200             200             200
apply/                                             POST   -          400            400             400             400             400             400             400             400
apply/done/                                        GET    -          200            200             200             200             200             200             200             200
apply/done/                                        POST   -          405            405             405             405             405             405             405             405
apply/<str:code>/                                  GET    -          200            200             200             200             200             200             200             200
apply/<str:code>/                                  POST   -          400            400             400             400             400             400             400             400
public/notices/                                    GET    -          200            200             200             200             200             200             200             200
public/notices/                                    POST   -          405            405             405             405             405             405             405             405
admin/                                             GET    -          →admin:login   403             403             403             403             403             403             200
admin/login/                                       GET    -          200            200             200             200             200             200             200             →admin:index
admin/login/                                       POST   -          200            200             200             200             200             200             200             →admin:index
admin/logout/                                      GET    -          →admin:index   403             403             403             403             403             403             405
admin/logout/                                      POST   -          →admin:index   403             403             403             403             403             403             200
admin/password_change/                             GET    -          →admin:login   403             403             403             403             403             403             200
admin/password_change/                             POST   -          →admin:login   403             403             403             403             403             403             200
admin/password_change/done/                        GET    -          →admin:login   403             403             403             403             403             403             200
admin/autocomplete/                                GET    -          →admin:login   403             403             403             403             403             403             403
admin/jsi18n/                                      GET    -          →admin:login   403             403             403             403             403             403             200
admin/r/<path:content_type_id>/<path:object_id>/   GET    -          →admin:login   403             403             403             403             403             403             404
admin/<app_label>/                                 GET    -          →admin:login   403             403             403             403             403             403             200
admin/(?P<url>.*)$                                 GET    -          →admin:login   403             403             403             403             403             403             404

# Each model's admin: read by platform administrators; written only where no service owns the rules; never deleted; history read, never reverted.
admin/<app>/<model>/                               GET    all        →admin:login   403             403             403             403             403             403             200
admin/<app>/<model>/                               POST   all        →admin:login   403             403             403             403             403             403             200
admin/<app>/<model>/add/                           GET    read-only  →admin:login   403             403             403             403             403             403             403
admin/<app>/<model>/add/                           GET    editable   →admin:login   403             403             403             403             403             403             200
admin/<app>/<model>/add/                           GET    account    →admin:login   403             403             403             403             403             403             403
admin/<app>/<model>/add/                           GET    lockout    →admin:login   403             403             403             403             403             403             403
admin/<app>/<model>/add/                           POST   read-only  →admin:login   403             403             403             403             403             403             403
admin/<app>/<model>/add/                           POST   editable   →admin:login   403             403             403             403             403             403             200
admin/<app>/<model>/add/                           POST   account    →admin:login   403             403             403             403             403             403             403
admin/<app>/<model>/add/                           POST   lockout    →admin:login   403             403             403             403             403             403             403
admin/<app>/<model>/<path:object_id>/              GET    all        →admin:login   403             403             403             403             403             403             →admin:change
admin/<app>/<model>/<path:object_id>/change/       GET    all        →admin:login   403             403             403             403             403             403             200
admin/<app>/<model>/<path:object_id>/change/       POST   read-only  →admin:login   403             403             403             403             403             403             403
admin/<app>/<model>/<path:object_id>/change/       POST   editable   →admin:login   403             403             403             403             403             403             200
admin/<app>/<model>/<path:object_id>/change/       POST   account    →admin:login   403             403             403             403             403             403             200
admin/<app>/<model>/<path:object_id>/change/       POST   lockout    →admin:login   403             403             403             403             403             403             403
admin/<app>/<model>/<path:object_id>/delete/       GET    read-only  →admin:login   403             403             403             403             403             403             403
admin/<app>/<model>/<path:object_id>/delete/       GET    editable   →admin:login   403             403             403             403             403             403             403
admin/<app>/<model>/<path:object_id>/delete/       GET    account    →admin:login   403             403             403             403             403             403             403
admin/<app>/<model>/<path:object_id>/delete/       GET    lockout    →admin:login   403             403             403             403             403             403             200
admin/<app>/<model>/<path:object_id>/delete/       POST   read-only  →admin:login   403             403             403             403             403             403             403
admin/<app>/<model>/<path:object_id>/delete/       POST   editable   →admin:login   403             403             403             403             403             403             403
admin/<app>/<model>/<path:object_id>/delete/       POST   account    →admin:login   403             403             403             403             403             403             403
admin/<app>/<model>/<path:object_id>/delete/       POST   lockout    →admin:login   403             403             403             403             403             403             200
admin/<app>/<model>/<path:object_id>/history/      GET    all        →admin:login   403             403             403             403             403             403             200
admin/<app>/<model>/^([^/]+)/history/([^/]+)/$     GET    all        →admin:login   403             403             403             403             403             403             200
admin/<app>/<model>/^([^/]+)/history/([^/]+)/$     POST   all        →admin:login   403             403             403             403             403             403             403
admin/<app>/<model>/<id>/password/                 GET    account    →admin:login   403             403             403             403             403             403             200
admin/<app>/<model>/<id>/password/                 POST   account    →admin:login   403             403             403             403             403             403             200
"""

# The history pages probed with an attack: the form of the version, unchanged,
# plus the changes in ATTACKS. Nobody reverts, and nothing changes.
HISTORY_PROBES = """
request        method anonymous      teacher  volunteer  school_admin  district_admin  donor  supervisor  platform
history        GET    →admin:login   403      403        403           403             403    403         200
version        GET    →admin:login   403      403        403           403             403    403         200
version        POST   →admin:login   403      403        403           403             403    403         403
"""


@dataclasses.dataclass(frozen=True)
class Row:
    route: str
    method: str
    models: str
    answers: dict[str, str]


def parse(table: str) -> list[list[str]]:
    lines = [line.split() for line in table.strip().splitlines()]
    return [cells for cells in lines[1:] if cells and not cells[0].startswith("#")]


def matrix_rows() -> list[Row]:
    rows = []
    for route, method, models, *answers in parse(MATRIX):
        assert len(answers) == len(ROLES), route
        rows.append(Row(route, method, models, dict(zip(ROLES, answers, strict=True))))
    return rows


ROWS = matrix_rows()


# The URL patterns ------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Pattern:
    route: str  # as MATRIX names it: a model's admin URLs under `admin/<app>/<model>/`
    model: type | None  # the model of a model's admin URL
    template: str  # the path to ask, with {pk}, {version} and {content_type} to fill in

    @property
    def takes_object(self) -> bool:
        return "{pk}" in self.template

    @property
    def kind(self) -> str:
        """The model's kind in MODELS ("-" for a URL of no model, "?" for a model not there)."""
        if self.model is None:
            return "-"
        return MODELS.get(f"{self.model._meta.app_label}.{self.model._meta.model_name}", "?")


ADMIN_MODEL_ROUTE = re.compile(r"^admin/(?P<app>[a-z_]+)/(?P<model>[a-z_]+)/(?P<tail>.*)$")
# How each placeholder of a route is filled in when it is asked.
PLACEHOLDERS = {
    "^([^/]+)/history/([^/]+)/$": "{pk}/history/{version}/",
    "<path:object_id>": "{pk}",
    "<id>": "{pk}",
    "<int:pairing_id>": "{pk}",
    "<int:notification_id>": "{pk}",
    "<int:student_id>": "{pk}",
    "<int:pledge_id>": "{pk}",
    "<int:assessment_id>": "{pk}",
    "<int:objection_id>": "{pk}",
    "<int:committee_id>": "{pk}",
    "<int:report_id>": "{pk}",
    "<int:run_id>": "{pk}",
    "<int:proposal_id>": "{pk}",
    "<int:project_id>": "{pk}",
    "<int:award_id>": "{pk}",
    "<int:application_id>": "{pk}",
    "<int:code_id>": "{pk}",
    # School A's open application code (tests/role_scene.py).
    "<str:code>": "SCENE000",
    "<path:content_type_id>": "{content_type}",
    "(?P<url>.*)$": "no-such-page/",
}


def _template(route: str) -> str:
    for placeholder, value in PLACEHOLDERS.items():
        route = route.replace(placeholder, value)
    return "/" + route


def url_patterns() -> list[Pattern]:
    """Every URL pattern outside /api/v1/, named as MATRIX names it."""
    found = []
    registered = {(m._meta.app_label, m._meta.model_name): m for m in admin.site._registry}
    for route, pattern in walk_urls():
        if route.startswith("api/v1/"):
            continue
        match = ADMIN_MODEL_ROUTE.match(route)
        model = match and registered.get((match["app"], match["model"]))
        if model:
            generic = f"admin/<app>/<model>/{match['tail']}"
            found.append(Pattern(generic, model, _template(route)))
        elif pattern.name == "app_list":
            found.append(Pattern("admin/<app_label>/", None, "/admin/mentoring/"))
        else:
            # The site's root is named "/" in MATRIX (its route is empty).
            found.append(Pattern(route or "/", None, _template(route)))
    return found


def rows_for(pattern: Pattern) -> list[Row]:
    kinds = ("-",) if pattern.model is None else (pattern.kind, "all")
    return [row for row in ROWS if row.route == pattern.route and row.models in kinds]


def test_every_url_pattern_has_a_row():
    patterns = url_patterns()
    unknown_models = {p.model for p in patterns if p.kind == "?"}
    assert not unknown_models, f"a model new to the admin, say its kind in MODELS: {unknown_models}"
    without_a_row = {
        (p.route, p.kind) for p in patterns if not any(r.method == "GET" for r in rows_for(p))
    }
    assert not without_a_row, f"new URL without a row in MATRIX: {sorted(without_a_row)}"
    # Each placeholder of a route is filled in when the cell is asked.
    unfilled = [p.template for p in patterns if re.search(r"[<>^$(]", p.template)]
    assert not unfilled, f"say how to fill these in, in PLACEHOLDERS: {unfilled}"


def test_every_row_matches_a_url_pattern():
    patterns = url_patterns()
    stale = [r for r in ROWS if not any(r in rows_for(p) for p in patterns)]
    assert not stale


# The world the cells are asked in: tests/role_scene.py ---------------------------


def objects_for(world: Scene, role: str, kind: type) -> list:
    """The role's own pairing, reminder, mentee or pledge (else school A's record), school B's, school C's."""
    first = "own" if kind in (Pairing, Notification, Student, Pledge) else "colleague"
    return world.objects(role, kind, (first, "school", "district"))


# Asking -----------------------------------------------------------------------

OBJECT_OF_ROUTE = {
    "teacher/mentees/<int:pairing_id>/": Pairing,
    "teacher/mentees/<int:pairing_id>/scores/": Pairing,
    "teacher/reminders/<int:notification_id>/read/": Notification,
    "teacher/students/<int:student_id>/archive/": Student,
    "donor/pledges/<int:pledge_id>/cancel/": Pledge,
    "console/identification/objections/<int:objection_id>/answer/": Objection,
    **{
        f"console/identification/<int:assessment_id>/{action}/": Assessment
        for action in ("review", "publicize", "approve", "reject")
    },
    **{
        f"console/identification/<int:assessment_id>/{step}/": Assessment
        for step in ("investigate", "committee-decision")
    },
    **{
        f"console/identification/committees/<int:committee_id>/members/{change}/": ReviewCommittee
        for change in ("add", "remove")
    },
    "console/reports/<int:report_id>/": Report,
    "console/matching/<int:run_id>/": MatchRun,
    "console/matching/<int:run_id>/approve/": MatchRun,
    "console/matching/<int:run_id>/pairs/add/": MatchRun,
    "console/matching/pairs/<int:proposal_id>/change/": ProposedPair,
    "console/matching/pairs/<int:proposal_id>/remove/": ProposedPair,
    "console/reports/<int:report_id>/export/": Report,
    "console/aid/<int:project_id>/": AidProject,
    "console/aid/<int:project_id>/allocate/": AidProject,
    "console/aid/awards/<int:award_id>/pay/": Award,
    "console/identification/start/applications/<int:application_id>/confirm/": Application,
    "console/identification/start/applications/<int:application_id>/decline/": Application,
    "console/identification/start/codes/<int:code_id>/close/": ApplicationCode,
    "console/aid/awards/<int:award_id>/guardian-account/": Award,
    "admin/r/<path:content_type_id>/<path:object_id>/": Student,
}


def path_of(pattern: Pattern, obj) -> str:
    if obj is None:
        return pattern.template
    version = obj.history.latest().pk if "{version}" in pattern.template else None
    content_type = ContentType.objects.get_for_model(type(obj)).pk
    return pattern.template.format(pk=obj.pk, version=version, content_type=content_type)


def answer_of(response) -> str:
    if response.status_code not in (301, 302, 303, 307, 308):
        return str(response.status_code)
    path = urlsplit(response["Location"]).path
    try:
        name = resolve(path).view_name
    except Resolver404:
        return f"→{path}"
    # An admin model's URL by its kind: admin:mentoring_user_change → admin:change.
    for model in MODELS:
        name = name.replace(f"admin:{model.replace('.', '_')}_", "admin:")
    return f"→{name}"


class Asker:
    """One client per role, signed in again whenever a cell signed it out."""

    def __init__(self, user: User | None):
        self.user = user
        self.client = Client(raise_request_exception=False, headers={"accept-language": "en"})

    def ask(self, method: str, path: str, data=None) -> str:
        if self.user is not None and "_auth_user_id" not in self.client.session:
            self.client.force_login(self.user)
        if method == "GET":
            return answer_of(self.client.get(path))
        return answer_of(self.client.post(path, data or {}))


def post_data(pattern: Pattern, user: User | None) -> dict:
    if pattern.route == "admin/login/" and user is not None:
        return {"username": user.username, "password": DEFAULT_PASSWORD, "next": "/admin/"}
    return {}


def cells(world: Scene, role: str):
    """(pattern, method, path, expected) for every cell of one role."""
    for pattern in url_patterns():
        kind = None
        if pattern.takes_object:
            kind = OBJECT_OF_ROUTE.get(pattern.route) or pattern.model
        for row in rows_for(pattern):
            if kind is None:
                yield pattern, row.method, path_of(pattern, None), row.answers[role]
                continue
            answers = row.answers[role].split(",")
            answers = answers * 3 if len(answers) == 1 else answers
            for obj, expected in zip(objects_for(world, role, kind), answers, strict=True):
                yield pattern, row.method, path_of(pattern, obj), expected


@pytest.mark.parametrize("role", ROLES)
def test_every_cell_answers_as_the_matrix_says(role):
    world = build_scene()
    user = world.users[role]
    asker = Asker(user)
    wrong = []
    count = 0
    for pattern, method, path, expected in cells(world, role):
        count += 1
        got = asker.ask(method, path, post_data(pattern, user))
        if got != expected:
            wrong.append(f"{method} {path}: expected {expected}, got {got}")
    assert count > 0
    assert not wrong, f"{len(wrong)} of {count} cells differ:\n" + "\n".join(wrong)


# The history views, probed -----------------------------------------------------

# Per target: what an attacker adds to the version's own form.
ATTACKS = {
    "account of school A": {"is_superuser": "on", "is_staff": "on", "email": "x@evil.example"},
    "own account": {"is_superuser": "on", "is_staff": "on"},
    "student of school B": {"village": "攻击者村", "guardian_phone": "13900000000"},
    "student of district 2": {"village": "攻击者村", "guardian_phone": "13900000000"},
    "donor of district 2": {"name": "改了名的捐赠者"},
}


def probe_target(world: Scene, role: str, target: str):
    return {
        "account of school A": world.places[0][User],
        "own account": world.users[role] or world.places[0][User],
        "student of school B": world.places[1][Student],
        "student of district 2": world.places[2][Student],
        "donor of district 2": world.places[2][Donor],
    }[target]


@pytest.mark.parametrize("role", ROLES)
def test_history_views_refuse_every_role_but_read_for_platform_admins(role):
    world = build_scene()
    user = world.users[role]
    asker = Asker(user)
    expected = {
        (request, method): dict(zip(ROLES, answers, strict=True))
        for request, method, *answers in parse(HISTORY_PROBES)
    }
    wrong = []
    for target, attack in ATTACKS.items():
        obj = probe_target(world, role, target)
        opts = obj._meta
        base = f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/history/"
        version = f"{base}{obj.history.latest().pk}/"
        before = row_values(obj)
        data = form_data(obj) | attack
        for (request, method), answers in expected.items():
            path = base if request == "history" else version
            got = asker.ask(method, path, data if method == "POST" else None)
            if got != answers[role]:
                wrong.append(f"{target}: {method} {path}: expected {answers[role]}, got {got}")
        after = row_values(obj)
        if type(obj) is User:
            # Signing in stamps last_login; nothing else may move.
            before.pop("last_login"), after.pop("last_login")
        if after != before:
            wrong.append(f"{target}: the row changed: {before} → {after}")
    assert not wrong, "\n".join(wrong)
