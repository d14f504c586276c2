"""The queue's investigation and committee-decision steps and the review committees page,
under /console/identification/ in the console's namespace (included by console.urls)."""

from django.urls import path

from console import committees, identification_steps

urlpatterns = [
    path(
        "<int:assessment_id>/investigate/",
        identification_steps.investigate,
        name="assessment-investigate",
    ),
    path(
        "<int:assessment_id>/committee-decision/",
        identification_steps.committee_decision,
        name="assessment-committee-decision",
    ),
    path("committees/", committees.committees, name="committees"),
    path(
        "committees/<int:committee_id>/members/add/",
        committees.member_add,
        name="committee-member-add",
    ),
    path(
        "committees/<int:committee_id>/members/remove/",
        committees.member_remove,
        name="committee-member-remove",
    ),
]
