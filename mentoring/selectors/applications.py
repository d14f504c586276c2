"""Reads for applications, investigations and review committees, and what each review step needs.

Who sees what:

- administrators (and platform administrators): every application, code and
  committee of the schools they administer;
- teachers: the applications of students they teach (`students_taught_by`),
  and the pending ones from the family page whose child's name, as typed,
  is the name of a student they teach in that school: the class teacher
  is the one to confirm it. They read no codes and no committees;
- everyone else: nothing.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from core.permissions import is_active_account
from mentoring.models import (
    Application,
    ApplicationCode,
    ApplicationStatus,
    Assessment,
    AssessmentStatus,
    CommitteeDecision,
    CommitteeOutcome,
    Investigation,
    ReviewCommittee,
    ReviewStage,
    User,
)
from mentoring.selectors.accounts import schools_administered_by
from mentoring.selectors.scoping import students_taught_by

# The review step into each of these statuses rests on a committee's decision at this stage.
STAGE_OF_TARGET = {
    AssessmentStatus.CLASS_REVIEWED: ReviewStage.CLASS,
    AssessmentStatus.SCHOOL_REVIEWED: ReviewStage.SCHOOL,
}
# The stage a committee decides at, by the assessment's status before the decision.
STAGE_OF_STATUS = {
    AssessmentStatus.INVESTIGATED: ReviewStage.CLASS,
    AssessmentStatus.CLASS_REVIEWED: ReviewStage.SCHOOL,
}


def review_prerequisite(assessment: Assessment, target: str) -> str | None:
    """Why the review step into `target` cannot be taken yet, or None when it can.

    The investigation needs its record with a home visit
    (`assessments/{id}/investigate/`); the class and the school review need
    their committee's agreeing decision (`assessments/{id}/committee-decision/`).
    """
    if target == AssessmentStatus.INVESTIGATED:
        if not Investigation.objects.filter(assessment=assessment).exists():
            return _(
                "Record the investigation with its home visit first (investigate); "
                "an application is not investigated without a visit."
            )
        return None
    stage = STAGE_OF_TARGET.get(target)
    if stage is None:
        return None
    agreed = CommitteeDecision.objects.filter(
        assessment=assessment, stage=stage, outcome=CommitteeOutcome.AGREED
    )
    if not agreed.exists():
        return _("Record the review committee's decision first (committee-decision).")
    return None


def applications_visible_to(user: User) -> QuerySet[Application]:
    if not is_active_account(user):
        return Application.objects.none()
    if user.is_superuser:
        return Application.objects.all()
    taught = students_taught_by(user)
    pending_for_class_teacher = Q(status=ApplicationStatus.PENDING) & Exists(
        taught.filter(school=OuterRef("school"), name=OuterRef("child_name"))
    )
    return Application.objects.filter(
        Q(school__in=schools_administered_by(user))
        | Q(assessment__student__in=taught)
        | pending_for_class_teacher
    )


def application_list(queryset: QuerySet[Application]) -> QuerySet[Application]:
    return queryset.select_related("school", "term", "assessment__student")


def application_codes_visible_to(user: User) -> QuerySet[ApplicationCode]:
    if not is_active_account(user):
        return ApplicationCode.objects.none()
    return ApplicationCode.objects.filter(school__in=schools_administered_by(user))


def open_code(code: str) -> ApplicationCode | None:
    """The open code typed by a family (case and spaces ignored), or None."""
    cleaned = "".join(code.split()).upper()
    if not cleaned:
        return None
    return (
        ApplicationCode.objects.select_related("school", "term")
        .filter(code=cleaned, closed_at__isnull=True)
        .first()
    )


def committees_visible_to(user: User) -> QuerySet[ReviewCommittee]:
    if not is_active_account(user):
        return ReviewCommittee.objects.none()
    return ReviewCommittee.objects.filter(school__in=schools_administered_by(user))
