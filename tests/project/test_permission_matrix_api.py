# ruff: noqa: E501  (the table below reads best one row to a line)
"""The permission matrix of the API: every route of /api/v1/ × method × role × relation.

Every route under /api/v1/ in `config.urls` (walked from the resolver, with
the methods its view allows) has one row in MATRIX: what each role gets.
A route or method without a row fails `test_every_api_route_has_a_row`, and
a row that matches no route fails `test_every_row_matches_an_api_route`, so
a new endpoint fails here until someone writes down who may use it.

The cells are asked, as each role with a Bearer token, in the scene of
tests/role_scene.py (two districts, three schools, a record of every model
in each, and the records each role owns). Where a route takes an id, the
cell reads `own,colleague,school,district`: the answer for the role's own
record, a colleague's in school A, school B's (same district), school C's
(other district); one answer stands for all four. Where a list route
answers 200, the cell says which of the four records the list holds:
`200:ocsd` all four, `200:oc` own and colleague's, `200:-` none.

Writes (POST, PUT, PATCH) send the body that tests/write_operations.py
shows the operation accepts from a platform administrator, built once in
school A (an operation not there sends an empty body): a role that may not
write is refused (401, 403) or does not find the record (404); a role that
may gets past both and the write is done (2xx), or the record of that
relation does not fit the body (400) or its state (409). Each cell runs in
a savepoint rolled back after it, so no cell sees another's writes.

A record outside what a role may see answers exactly like a missing one:
for every 404 cell, the answer (status and body) is compared with the
answer to the same request for an id that does not exist.
"""

import dataclasses
import json
import re

import pytest
from django.db import transaction
from django.test import TestCase
from rest_framework.test import APIClient

from donations.models import (
    AidProject,
    Award,
    CommitteeReview,
    Contribution,
    Disbursement,
    Donor,
    FundAccount,
    ItemDistribution,
    ItemDonation,
    LedgerEntry,
    PaymentBatch,
    Pledge,
)
from mentoring.models import (
    AccessLogEntry,
    Application,
    ApplicationCode,
    Assessment,
    CommitteeMember,
    District,
    MatchRun,
    Mentor,
    Notification,
    Objection,
    Pairing,
    ProposedPair,
    ReviewCommittee,
    School,
    Student,
    SubjectScore,
    Term,
    TutoringSession,
    User,
    VillageCommittee,
    VisitPlan,
    VisitPlanEntry,
    WeeklyCompliance,
)
from oversight.models import Complaint, Suggestion, SupervisionMeeting, SupervisionMember
from tests.role_scene import RELATIONS, ROLES, scene_for_module, walk_urls
from tests.write_operations import OPERATIONS
from tests.write_world import Call, World
from workers.models import Job, Report

pytestmark = pytest.mark.django_db

MATRIX = """
route                                              method anonymous teacher         volunteer       school_admin    district_admin  donor           supervisor      platform
auth/token/                                        POST   400       400             400             400             400             400             400             400
auth/token/refresh/                                POST   400       400             400             400             400             400             400             400
auth/logout/                                       POST   400       400             400             400             400             400             400             400
me/                                                GET    401       200             200             200             200             200             200             200
public/notices/                                    GET    200       200             200             200             200             200             200             200
public/donations/                                  GET    200       200             200             200             200             200             200             200
students/import/                                   POST   401       403             403             200             200             403             403             200
students/import/template/                          GET    401       403             403             200             200             403             403             200
compliance/check/                                  POST   401       403             403             202             202             403             403             202
users/                                             GET    401       403             403             200:oc          200:ocs         403             403             200:ocsd
users/                                             POST   401       403             403             201             201             403             403             201
users/{id}/                                        GET    401       403             403             200,200,404,404 200,200,200,404 403             403             200
users/{id}/                                        PATCH  401       403             403             200,200,404,404 200,200,200,404 403             403             200
users/{id}/unlock/                                 POST   401       403             403             200,200,404,404 200,200,200,404 403             403             200
assessments/                                       GET    401       200:-           403             200:oc          200:ocs         403             403             200:ocsd
assessments/                                       POST   401       400             403             201             201             403             403             201
assessments/government-list/                       POST   401       403             403             201             201             403             403             201
assessments/carry-over/                            GET    401       200             403             200             200             403             403             200
assessments/{id}/recheck/                          POST   401       404             403             409,409,404,404 409,409,409,404 403             403             409
assessments/{id}/                                  GET    401       404             403             200,200,404,404 200,200,200,404 403             403             200
assessments/{id}/objections/{objection_id}/answer/ POST   401       404             403             409,409,404,404 409,409,409,404 403             403             409
assessments/{id}/approve/                          POST   401       404             403             409,409,404,404 409,409,409,404 403             403             409
assessments/{id}/object/                           POST   401       404             404             409,409,404,404 409,409,409,404 404             404             409
assessments/{id}/publicize/                        POST   401       404             403             409,409,404,404 409,409,409,404 403             403             409
assessments/{id}/reject/                           POST   401       404             403             200,200,404,404 200,200,200,404 403             403             200
# Village committees: read by the district's members, written by its administrators.
village-committees/                                GET    401       200:ocs         200:ocs         200:ocs         200:ocs         200:ocs         200:ocs         200:ocsd
village-committees/                                POST   401       403             403             403             201             403             403             201
village-committees/{id}/                           GET    401       200,200,200,404 200,200,200,404 200,200,200,404 200,200,200,404 200,200,200,404 200,200,200,404 200
village-committees/{id}/                           PATCH  401       403,403,403,404 403,403,403,404 403,403,403,404 200,200,200,404 403,403,403,404 403,403,403,404 200
# The committees' review of awards (recorded by the school's or the district's administrators),
# the district's approval (its administrators). The scene's awards are approved already.
committee-reviews/                                 GET    401       403             403             200:oc          200:ocs         403             403             200:ocsd
committee-reviews/{id}/                            GET    401       403             403             200,200,404,404 200,200,200,404 403             403             200
committee-reviews/{id}/review/                     POST   401       403             403             409,409,404,404 409,409,409,404 403             403             409
committee-reviews/{id}/approve/                    POST   401       403             403             403,403,404,404 409,409,409,404 403             403             409
# review: the scene's submitted assessments have no investigation on record, so the step waits (409).
assessments/{id}/review/                           POST   401       404             403             409,409,404,404 409,409,409,404 403             403             409
applications/                                      GET    401       200:-           403             200:oc          200:ocs         403             403             200:ocsd
applications/                                      POST   401       400             403             201             201             403             403             201
applications/{id}/                                 GET    401       404             403             200,200,404,404 200,200,200,404 403             403             200
applications/{id}/confirm/                         POST   401       404             403             200,200,404,404 200,200,400,404 403             403             200,200,400,400
applications/{id}/decline/                         POST   401       404             403             200,200,404,404 200,200,200,404 403             403             200
application-codes/                                 GET    401       403             403             200:oc          200:ocs         403             403             200:ocsd
application-codes/                                 POST   401       403             403             201             201             403             403             201
# close: school A's code was closed already when the write bodies' world opened its own (rotation).
application-codes/{id}/close/                      POST   401       403             403             409,409,404,404 409,409,200,404 403             403             409,409,200,200
review-committees/                                 GET    401       403             403             200:oc          200:ocs         403             403             200:ocsd
review-committees/                                 POST   401       403             403             201             201             403             403             201
review-committees/{id}/                            GET    401       403             403             200,200,404,404 200,200,200,404 403             403             200
# A member joins or leaves the scene's committee of four (its fourth may leave).
review-committees/{id}/members/                    POST   401       403             403             201,201,404,404 201,201,201,404 403             403             201
review-committees/{id}/members/{member_id}/        DELETE 401       403             403             204,204,404,404 204,204,204,404 403             403             204
assessments/{id}/investigate/                      POST   401       404             403             201,201,404,404 201,201,201,404 403             403             201
assessments/{id}/committee-decision/               POST   401       404             403             409,409,404,404 409,409,409,404 403             403             409
rosters/upward/                                    GET    401       403             403             200             200             403             403             200
# The lists as files (issue 16): who may export which list is mentoring.selectors.lists.
assessments/approved/export/                       GET    401       403             403             200             200             403             403             200
assessments/notice/export/                         GET    401       200             200             200             200             200             200             200
students/export/                                   GET    401       200             200             200             200             403             403             200
awards/export/                                     GET    401       403             403             200             200             403             403             200
disbursements/export/                              GET    401       403             403             200             200             403             403             200
districts/                                         GET    401       200:ocs         200:ocs         200:ocs         200:ocs         200:ocs         200:ocs         200:ocsd
districts/                                         POST   401       403             403             403             403             403             403             201
districts/{id}/                                    GET    401       200,200,200,404 200,200,200,404 200,200,200,404 200,200,200,404 200,200,200,404 200,200,200,404 200
districts/{id}/                                    PATCH  401       403,403,403,404 403,403,403,404 403,403,403,404 403,403,403,404 403,403,403,404 403,403,403,404 200
schools/                                           GET    401       200:oc          200:oc          200:oc          200:ocs         200:oc          200:oc          200:ocsd
schools/                                           POST   401       403             403             403             403             403             403             201
schools/{id}/                                      GET    401       200,200,404,404 200,200,404,404 200,200,404,404 200,200,200,404 200,200,404,404 200,200,404,404 200
terms/                                             GET    401       200:ocs         200:ocs         200:ocs         200:ocs         200:ocs         200:ocs         200:ocsd
terms/                                             POST   401       403             403             403             201             403             403             201
terms/{id}/                                        GET    401       200,200,200,404 200,200,200,404 200,200,200,404 200,200,200,404 200,200,200,404 200,200,200,404 200
terms/{id}/                                        PATCH  401       403,403,403,404 403,403,403,404 403,403,403,404 200,200,200,404 403,403,403,404 403,403,403,404 200
students/                                          GET    401       200:o           200:o           200:oc          200:ocs         200:-           200:-           200:ocsd
students/                                          POST   401       403             403             201             201             403             403             201
students/{id}/                                     GET    401       200,404,404,404 200,404,404,404 200,200,404,404 200,200,200,404 404             404             200
students/{id}/                                     PATCH  401       403,404,404,404 403,404,404,404 200,200,404,404 200,200,200,404 404             404             200
mentors/                                           GET    401       200:o           200:o           200:oc          200:ocs         403             403             200:ocsd
mentors/                                           POST   401       403             403             201             201             403             403             201
mentors/{id}/                                      GET    401       200,404,404,404 200,404,404,404 200,200,404,404 200,200,200,404 403             403             200
mentors/{id}/                                      PATCH  401       403             403             400,400,404,404 400,400,400,404 403             403             400
pairings/                                          GET    401       200:o           200:o           200:oc          200:ocs         403             403             200:ocsd
pairings/                                          POST   401       403             403             201             201             403             403             201
pairings/{id}/                                     GET    401       200,404,404,404 200,404,404,404 200,200,404,404 200,200,200,404 403             403             200
pairings/{id}/end/                                 POST   401       403             403             200,200,404,404 200,200,200,404 403             403             200
pairings/{id}/holiday/                             POST   401       403             403             200,200,404,404 200,200,200,404 403             403             200
sessions/                                          GET    401       200:o           200:o           200:oc          200:ocs         403             403             200:ocsd
sessions/                                          POST   401       400             400             403             403             403             403             403
sessions/{id}/                                     DELETE 401       204,404,404,404 204,404,404,404 204,204,404,404 204,204,204,404 403             403             204
sessions/{id}/                                     GET    401       200,404,404,404 200,404,404,404 200,200,404,404 200,200,200,404 403             403             200
sessions/{id}/                                     PATCH  401       200,404,404,404 200,404,404,404 200,200,404,404 200,200,200,404 403             403             200
scores/                                            GET    401       200:o           200:o           200:oc          200:ocs         403             403             200:ocsd
scores/                                            POST   401       400             400             201             201             403             403             201
scores/{id}/                                       GET    401       200,404,404,404 200,404,404,404 200,200,404,404 200,200,200,404 403             403             200
scores/{id}/                                       PATCH  401       200,404,404,404 200,404,404,404 200,200,404,404 200,200,200,404 403             403             200
students/{id}/archive/                             GET    401       200,404,404,404 200,404,404,404 200,200,404,404 200,200,200,404 404             404             200
students/{id}/guardian-account/                    GET    401       404             404             200,200,404,404 200,200,200,404 404             404             200
students/{id}/guardian-account/                    PUT    401       404             404             200,200,404,404 200,200,200,404 404             404             200
donors/                                            GET    401       200:-           200:-           200:ocs         200:ocs         200:o           200:-           200:ocsd
donors/                                            POST   401       403             403             201             201             403             403             201
donors/{id}/                                       GET    401       404             404             200,200,200,404 200,200,200,404 200,404,404,404 404             200
donors/{id}/                                       PATCH  401       404             404             200,200,200,404 200,200,200,404 200,404,404,404 404             200
donors/{id}/                                       PUT    401       404             404             200,200,200,404 200,200,200,404 200,404,404,404 404             200
donors/{id}/outcomes/                              GET    401       404             404             200,200,200,404 200,200,200,404 200,404,404,404 404             200
pledges/                                           GET    401       200:-           200:-           200:ocs         200:ocs         200:o           200:-           200:ocsd
pledges/                                           POST   401       400             400             201             201             400             400             201
pledges/{id}/                                      GET    401       404             404             200,200,200,404 200,200,200,404 200,404,404,404 404             200
pledges/{id}/cancel/                               POST   401       404             404             403,403,403,404 200,200,200,404 200,404,404,404 404             200
contributions/                                     GET    401       200:-           200:-           200:ocs         200:ocs         200:o           200:-           200:ocsd
contributions/                                     POST   401       403             403             201             201             403             403             201
contributions/{id}/                                GET    401       404             404             200,200,200,404 200,200,200,404 200,404,404,404 404             200
awards/                                            GET    401       403             403             200:oc          200:ocs         403             403             200:ocsd
awards/                                            POST   401       403             403             201             201             403             403             201
awards/{id}/                                       GET    401       403             403             200,200,404,404 200,200,200,404 403             403             200
awards/{id}/cancel/                                POST   401       403             403             403,403,404,404 409,409,409,404 403             403             409
disbursements/                                     GET    401       403             403             200:oc          200:ocs         403             403             200:ocsd
disbursements/                                     POST   401       403             403             409             409             403             403             409
disbursements/{id}/                                GET    401       403             403             200,200,404,404 200,200,200,404 403             403             200
disbursements/{id}/reverse/                        POST   401       403             403             403,403,404,404 200,200,200,404 403             403             200
payment-batches/                                   GET    401       403             403             200:oc          200:ocs         403             403             200:ocsd
payment-batches/                                   POST   401       403             403             201             201             403             403             201
payment-batches/{id}/                              GET    401       403             403             200,200,404,404 200,200,200,404 403             403             200
payment-batches/{id}/                              PATCH  401       403             403             200,200,404,404 200,200,200,404 403             403             200
payment-batches/{id}/export/                       GET    401       403             403             200,200,404,404 200,200,200,404 403             403             200
payment-batches/{id}/results/                      POST   401       403             403             400,400,404,404 400,400,400,404 403             403             400
payment-batches/{id}/sign-off-sheet/               GET    401       403             403             409,409,404,404 409,409,409,404 403             403             409
payment-batches/{id}/signed/                       POST   401       403             403             409,409,404,404 409,409,409,404 403             403             409
awards/{id}/notice/                                GET    401       403             403             200,200,404,404 200,200,200,404 403             403             200
item-donations/                                    GET    401       200:-           200:-           200:ocs         200:ocs         200:o           200:-           200:ocsd
item-donations/                                    POST   401       403             403             201             201             403             403             201
item-donations/{id}/                               GET    401       404             404             200,200,200,404 200,200,200,404 200,404,404,404 404             200
item-distributions/                                GET    401       403             403             200:oc          200:ocs         403             403             200:ocsd
item-distributions/                                POST   401       403             403             201             201             403             403             201
item-distributions/{id}/                           GET    401       403             403             200,200,404,404 200,200,200,404 403             403             200
projects/                                          GET    401       200:ocs         200:ocs         200:ocs         200:ocs         200:ocs         200:ocs         200:ocsd
projects/                                          POST   401       403             403             403             201             403             403             201
projects/{id}/                                     GET    401       200,200,200,404 200,200,200,404 200,200,200,404 200,200,200,404 200,200,200,404 200,200,200,404 200
projects/{id}/                                     PATCH  401       403,403,403,404 403,403,403,404 403,403,403,404 200,200,200,404 403,403,403,404 403,403,403,404 200
projects/{id}/                                     PUT    401       403,403,403,404 403,403,403,404 403,403,403,404 400,400,400,404 403,403,403,404 403,403,403,404 400
projects/{id}/allocate/                            POST   401       403,403,403,404 403,403,403,404 201,201,201,404 201,201,201,404 403,403,403,404 403,403,403,404 201,201,201,400
projects/{id}/allocations/                         GET    401       403,403,403,404 403,403,403,404 200,200,200,404 200,200,200,404 403,403,403,404 403,403,403,404 200
projects/{id}/appropriations/                      POST   401       403,403,403,404 403,403,403,404 403,403,403,404 400,400,400,404 403,403,403,404 403,403,403,404 400
fund-accounts/                                     GET    401       403             403             200:ocs         200:ocs         403             200:ocs         200:ocsd
fund-accounts/{id}/                                GET    401       403             403             200,200,200,404 200,200,200,404 403             200,200,200,404 200
ledger/                                            GET    401       403             403             200:ocs         200:ocs         403             403             200:ocsd
ledger/{id}/                                       GET    401       403             403             200,200,200,404 200,200,200,404 403             403             200
ledger/{id}/reverse/                               POST   401       403             403             403,403,403,404 409,409,409,404 403             403             409
jobs/                                              GET    401       200:o           200:o           200:oc          200:ocs         200:o           200:o           200:ocsd
jobs/{id}/                                         GET    401       200,404,404,404 200,404,404,404 200,200,404,404 200,200,200,404 200,404,404,404 200,404,404,404 200
match-runs/                                        GET    401       403             403             200:oc          200:ocs         403             403             200:ocsd
match-runs/                                        POST   401       403             403             202             202             403             403             202
match-runs/{id}/                                   GET    401       403             403             200,200,404,404 200,200,200,404 403             403             200
match-runs/{id}/approve/                           POST   401       403             403             409,409,404,404 409,409,409,404 403             403             409
match-runs/{id}/inputs/                            GET    401       403             403             409,409,404,404 409,409,409,404 403             403             409
match-runs/{id}/pairs/{proposal_id}/               DELETE 401       403             403             409,409,404,404 409,409,409,404 403             403             409
match-runs/{id}/pairs/{proposal_id}/               PATCH  401       403             403             409,409,404,404 409,409,409,404 403             403             409
match-runs/{id}/pairs/                             GET    401       403             403             200,200,404,404 200,200,200,404 403             403             200
match-runs/{id}/pairs/                             POST   401       403             403             409,409,404,404 409,409,409,404 403             403             409
compliance/                                        GET    401       200:o           200:o           200:oc          200:ocs         403             403             200:ocsd
compliance/summary/                                GET    401       200             200             200             200             403             200             200
compliance/{id}/                                   GET    401       200,404,404,404 200,404,404,404 200,200,404,404 200,200,200,404 403             403             200
notifications/                                     GET    401       200:o           200:o           200:o           200:o           200:o           200:o           200:o
notifications/{id}/                                GET    401       200,404,404,404 200,404,404,404 200,404,404,404 200,404,404,404 200,404,404,404 200,404,404,404 200,404,404,404
notifications/{id}/read/                           POST   401       200,404,404,404 200,404,404,404 200,404,404,404 200,404,404,404 200,404,404,404 200,404,404,404 200,404,404,404
reports/                                           GET    401       200:-           200:-           200:oc          200:ocs         200:-           200:oc          200:ocsd
reports/                                           POST   401       403             403             202             202             403             403             202
reports/{id}/                                      GET    401       404             404             200,200,404,404 200,200,200,404 404             200,200,404,404 200
reports/{id}/export/                               GET    401       404             404             409,409,404,404 409,409,409,404 404             409,409,404,404 409
visit-plans/                                       GET    401       403             403             200:oc          200:ocs         403             403             200:ocsd
visit-plans/                                       POST   401       403             403             201             201             403             403             201
visit-plans/{id}/                                  GET    401       403             403             200,200,404,404 200,200,200,404 403             403             200
visit-plans/{id}/                                  PATCH  401       403             403             200,200,404,404 200,200,200,404 403             403             200
visit-plan-entries/                                GET    401       200:o           200:o           200:oc          200:ocs         403             403             200:ocsd
visit-plan-entries/                                POST   401       403             403             201             201             403             403             201
visit-plan-entries/{id}/                           GET    401       200,404,404,404 200,404,404,404 200,200,404,404 200,200,200,404 403             403             200
visit-plan-entries/{id}/                           PATCH  401       403             403             200,200,404,404 200,200,200,404 403             403             200
visit-plan-entries/{id}/                           DELETE 401       403             403             204,204,404,404 204,204,204,404 403             403             204
access-log/                                        GET    401       403             403             403             200:ocs         403             403             200:ocsd
access-log/{id}/                                   GET    401       403             403             403             200,200,200,404 403             403             200
supervision-members/                               GET    401       403             403             200:oc          200:ocs         403             200:oc          200:ocsd
supervision-members/                               POST   401       403             403             201             201             403             403             201
supervision-members/{id}/                          GET    401       403             403             200,200,404,404 200,200,200,404 403             200,200,404,404 200
supervision-members/{id}/                          PATCH  401       403             403             200,200,404,404 200,200,200,404 403             403             200
supervision-meetings/                              GET    401       403             403             200:oc          200:ocs         403             200:oc          200:ocsd
supervision-meetings/                              POST   401       403             403             201             201             403             403             201
supervision-meetings/{id}/                         GET    401       403             403             200,200,404,404 200,200,200,404 403             200,200,404,404 200
suggestions/                                       GET    401       403             403             200:oc          200:ocs         403             200:oc          200:ocsd
suggestions/                                       POST   401       403             403             201             201             403             403             201
suggestions/{id}/                                  GET    401       403             403             200,200,404,404 200,200,200,404 403             200,200,404,404 200
suggestions/{id}/answer/                           POST   401       403             403             200,200,404,404 200,200,200,404 403             403             200
complaints/                                        GET    401       403             403             200:oc          200:ocs         403             200:oc          200:ocsd
complaints/                                        POST   401       403             403             201             201             403             403             201
complaints/{id}/                                   GET    401       403             403             200,200,404,404 200,200,200,404 403             200,200,404,404 200
complaints/{id}/answer/                            POST   401       403             403             200,200,404,404 200,200,200,404 403             403             200
complaints/{id}/close/                             POST   401       403             403             409,409,404,404 409,409,409,404 403             403             409
complaints/{id}/reopen/                            POST   401       403             403             409,409,404,404 409,409,409,404 403             403             409
/                                                  GET    401       200             200             200             200             200             200             200
"""

# The model whose records fill a route's {id} (and make up its list), by the route's first segment.
KINDS = {
    "users": User,
    "districts": District,
    "schools": School,
    "terms": Term,
    "students": Student,
    "assessments": Assessment,
    "mentors": Mentor,
    "pairings": Pairing,
    "sessions": TutoringSession,
    "scores": SubjectScore,
    "donors": Donor,
    "pledges": Pledge,
    "contributions": Contribution,
    "awards": Award,
    "disbursements": Disbursement,
    "payment-batches": PaymentBatch,
    "item-donations": ItemDonation,
    "item-distributions": ItemDistribution,
    "projects": AidProject,
    "fund-accounts": FundAccount,
    "ledger": LedgerEntry,
    "jobs": Job,
    "match-runs": MatchRun,
    "compliance": WeeklyCompliance,
    "notifications": Notification,
    "reports": Report,
    "access-log": AccessLogEntry,
    "supervision-members": SupervisionMember,
    "supervision-meetings": SupervisionMeeting,
    "suggestions": Suggestion,
    "complaints": Complaint,
    "visit-plans": VisitPlan,
    "visit-plan-entries": VisitPlanEntry,
    "village-committees": VillageCommittee,
    # A review's id is its award's.
    "committee-reviews": CommitteeReview,
    "applications": Application,
    "application-codes": ApplicationCode,
    "review-committees": ReviewCommittee,
}
# A route's second id: the record of that model that belongs to the first.
SECOND_IDS = {
    "objection_id": Objection,
    "proposal_id": ProposedPair,
    "member_id": CommitteeMember,
}
# What a route needs in its query string to be answered at all.
QUERIES = {
    "reports/{id}/export/": lambda scene: "?format=csv",
    "students/import/template/": lambda scene: "?format=csv",
    "compliance/summary/": lambda scene: f"?term={scene.places[0][Term].pk}",
    "assessments/carry-over/": lambda scene: f"?term={scene.places[0][Term].pk}",
    "public/donations/": lambda scene: f"?district={scene.places[0][School].district.code}",
    "rosters/upward/": lambda scene: (
        f"?term={scene.places[0][Term].pk}&school={scene.places[0][School].pk}&format=csv"
    ),
    "assessments/approved/export/": lambda scene: f"?term={scene.places[0][Term].pk}",
    "assessments/notice/export/": lambda scene: f"?district={scene.places[0][School].district_id}",
    "students/export/": lambda scene: f"?term={scene.places[0][Term].pk}",
    "awards/export/": lambda scene: f"?project={scene.places[0][AidProject].code}",
    "disbursements/export/": lambda scene: f"?project={scene.places[0][AidProject].code}",
}
MISSING_ID = 987_654_321
WRITES = ("POST", "PUT", "PATCH", "DELETE")


@dataclasses.dataclass(frozen=True)
class Route:
    route: str  # below /api/v1/, ids as the schema spells them: `users/{id}/unlock/`
    methods: tuple[str, ...]

    @property
    def takes_id(self) -> bool:
        return "{id}" in self.route

    @property
    def kind(self) -> type | None:
        return KINDS.get(self.route.split("/")[0])

    @property
    def is_list(self) -> bool:
        return not self.takes_id and self.route.count("/") == 1 and self.kind is not None


def _route_of(pattern: str) -> str:
    route = pattern.removeprefix("api/v1/").lstrip("^").rstrip("$")
    route = re.sub(r"\(\?P<pk>[^)]*\)", "{id}", route)
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route)
    return route or "/"


def _methods(callback) -> tuple[str, ...]:
    view = callback.cls
    if getattr(callback, "actions", None):
        # HEAD is GET without a body; DRF adds it to a viewset's actions on the
        # first request it serves, so whether it shows depends on earlier tests.
        names = [m for m in callback.actions if m in view.http_method_names and m != "head"]
    else:
        names = [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)]
    return tuple(sorted(m.upper() for m in names))


def api_routes() -> list[Route]:
    """Every route under /api/v1/ with the methods its view allows (format suffixes aside)."""
    routes = []
    for pattern, url in walk_urls():
        if not pattern.startswith("api/v1/") or "format" in pattern:
            continue
        routes.append(Route(_route_of(pattern), _methods(url.callback)))
    return routes


@dataclasses.dataclass(frozen=True)
class Row:
    route: str
    method: str
    answers: dict[str, str]


def matrix_rows() -> dict[tuple[str, str], Row]:
    rows = {}
    for line in MATRIX.strip().splitlines()[1:]:
        cells = line.split()
        if not cells or cells[0].startswith("#"):
            continue
        route, method, *answers = cells
        assert len(answers) == len(ROLES), route
        assert (route, method) not in rows, f"two rows for {method} {route}"
        rows[route, method] = Row(route, method, dict(zip(ROLES, answers, strict=True)))
    return rows


ROWS = matrix_rows()


def test_every_api_route_has_a_row():
    missing = [
        f"{method} {r.route}"
        for r in api_routes()
        for method in r.methods
        if (r.route, method) not in ROWS
    ]
    assert not missing, f"new API routes without a row in MATRIX: {missing}"
    # Each id of a route is filled in when the cell is asked.
    unfilled = [
        r.route
        for r in api_routes()
        if re.sub(r"\{(id|" + "|".join(SECOND_IDS) + r")\}", "", r.route).count("{")
        or (r.takes_id and r.kind is None)
    ]
    assert not unfilled, f"say which records fill these in, in KINDS or SECOND_IDS: {unfilled}"


def test_every_row_matches_an_api_route():
    known = {(r.route, m) for r in api_routes() for m in r.methods}
    assert not [key for key in ROWS if key not in known]


# Asking -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def scene(django_db_setup, django_db_blocker):
    """The scene, built once for the module and rolled back after it."""
    with scene_for_module(django_db_blocker) as scene:
        world = World(TestCase.captureOnCommitCallbacks, school=scene.places[0][School])
        # A pair's change is built before a pair's addition, which takes the run's only proposal.
        order = sorted(OPERATIONS, key=lambda key: not key.startswith("PATCH"))
        scene.calls = {key: OPERATIONS[key](world) for key in order}
        yield scene


@dataclasses.dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    listed: str | None = None  # of a list: the letters of the relations it holds

    def __str__(self) -> str:
        if self.listed is None:
            return str(self.status)
        return f"{self.status}:{self.listed or '-'}"


def path_of(route: Route, role: str, relation: str | None, scene) -> str:
    path = "/api/v1/" + ("" if route.route == "/" else route.route)
    if relation == "missing":
        path = path.replace("{id}", str(MISSING_ID))
    elif relation is not None:
        path = path.replace("{id}", str(scene.of(role, route.kind, relation).pk))
    for name, kind in SECOND_IDS.items():
        if relation == "missing":
            second = scene.of(role, kind, "colleague").pk
        elif relation is not None:
            second = scene.of(role, kind, relation).pk
        path = path.replace("{" + name + "}", str(second) if relation else "")
    return path + QUERIES.get(route.route, lambda scene: "")(scene)


def ask(scene, role: str, method: str, path: str, call: Call | None = None):
    """(status, body, parsed JSON) of one request, in a savepoint rolled back after it."""
    client = APIClient(headers={"accept-language": "en"})
    if role in scene.tokens:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {scene.tokens[role]}")
    body, format = (call.body, call.format) if call else ({}, "json")
    for value in body.values():
        if hasattr(value, "seek"):
            value.seek(0)
    with transaction.atomic():
        if method == "GET":
            response = client.get(path)
        else:
            response = getattr(client, method.lower())(path, body, format=format)
        transaction.set_rollback(True)
    try:
        data = json.loads(response.content)
    except ValueError:
        data = None
    return response.status_code, response.content, data


def listed(scene, role: str, route: Route, data) -> str:
    results = data.get("results", data) if isinstance(data, dict) else data
    ids = {item.get("id") for item in results or [] if isinstance(item, dict)}
    return "".join(
        relation[0] for relation in RELATIONS if scene.of(role, route.kind, relation).pk in ids
    )


def answers_of(scene, role: str, route: Route, method: str) -> list[tuple[str, Answer]]:
    """(relation, answer) for each cell of one route, method and role."""
    call = scene.calls.get(f"{method} /api/v1/{route.route}")
    if not route.takes_id:
        query = "?page_size=1000" if route.is_list and method == "GET" else ""
        path = path_of(route, role, None, scene) + query
        status, body, data = ask(scene, role, method, path, call)
        shown = None
        if route.is_list and method == "GET" and status == 200:
            shown = listed(scene, role, route, data)
        return [("-", Answer(status, body, shown))]
    found = []
    for relation in RELATIONS:
        status, body, _ = ask(scene, role, method, path_of(route, role, relation, scene), call)
        found.append((relation, Answer(status, body)))
    return found


def expected_of(cell: str, relations: list[str]) -> list[str]:
    parts = cell.split(",")
    return parts * len(relations) if len(parts) == 1 else parts


@pytest.mark.parametrize("role", ROLES)
def test_every_cell_answers_as_the_matrix_says(scene, role):
    wrong = []
    count = 0
    for route in api_routes():
        for method in route.methods:
            row = ROWS.get((route.route, method))
            got = answers_of(scene, role, route, method)
            if row is None:
                continue
            expected = expected_of(row.answers[role], [relation for relation, _ in got])
            missing = None
            for (relation, answer), want in zip(got, expected, strict=True):
                count += 1
                if str(answer) != want:
                    wrong.append(
                        f"{method} {route.route} [{relation}]: expected {want}, got {answer}"
                    )
                elif want == "404":
                    if missing is None:
                        path = path_of(route, role, "missing", scene)
                        call = scene.calls.get(f"{method} /api/v1/{route.route}")
                        missing = ask(scene, role, method, path, call)[:2]
                    if (answer.status, answer.body) != missing:
                        wrong.append(
                            f"{method} {route.route} [{relation}]: a foreign record answers "
                            f"{answer.body!r}, a missing one {missing[1]!r}"
                        )
    assert count > 0
    assert not wrong, f"{len(wrong)} of {count} cells differ:\n" + "\n".join(wrong)
