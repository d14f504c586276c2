"""Review committees and their decisions: the class review group and the school's review.

A committee belongs to one school and term and reviews at one stage: the
class review group (`class`, usually of one class) after the investigation,
the school's review (`school`) after that. Its members are named with their
role (school leader, class teacher, teachers', parents' or students'
representative).

`committee_decide` records a decision on one assessment with the members
present, the votes (or none, when the committee agreed by consensus) and a
note, then takes the review step it rests on:

- agreed at the class stage: `investigated → class_reviewed`;
- agreed at the school stage: `class_reviewed → school_reviewed`, with the
  tier the committee proposes;
- not agreed, at either stage: the assessment is rejected, the note its reason.

The rules of a decision: the committee is of the student's school and the
assessment's term, at the stage the assessment waits for, and of the
student's class when it names one; more than half its members are present;
no member present is the applicant (DESIGN §2.2: the class review group does
not include the applicants themselves); votes, when given, add up to the
members present and agree exactly when more than half of them are for.

Members join or leave a formed committee (`committee_member_add`,
`committee_member_remove`) within the same bounds as when it was created; a
member present at a recorded decision stays, since the decision names them.
"""

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.errors import Conflict, DomainError, NotPermitted, ValidationErrors, checked
from mentoring.models import (
    Application,
    Assessment,
    AssessmentStatus,
    CommitteeDecision,
    CommitteeMember,
    CommitteeOutcome,
    CommitteeRole,
    ReviewCommittee,
    ReviewStage,
    StudentRecord,
    Term,
    User,
)
from mentoring.selectors.accounts import schools_administered_by
from mentoring.selectors.applications import STAGE_OF_STATUS
from mentoring.services import identification
from mentoring.services.assessment_rules import Action, check_action

MIN_MEMBERS = 3
MAX_MEMBERS = 30


# Committees


def committee_create_problems(
    errors: ValidationErrors,
    *,
    by: User,
    school_id: int | None,
    term_id: int | None,
    stage: str | None,
    class_name: str | None,
    name: str | None,
    members: list[dict] | None,
) -> None:
    school = None
    if school_id is not None:
        school = schools_administered_by(by).filter(pk=school_id).first()
        if school is None:
            errors.add("school", _("No such school among those you administer."))
    term = None
    if term_id is not None:
        term = Term.objects.filter(pk=term_id).first()
        if term is None or (school is not None and term.district_id != school.district_id):
            errors.add("term", _("No such term in the school's district."))
            term = None
    if name is not None and not name.strip():
        errors.add("name", _("Give the committee's name."))
    if stage == ReviewStage.SCHOOL and class_name:
        errors.add("class_name", _("The school's review committee names no class."))
    if members is not None:
        if not MIN_MEMBERS <= len(members) <= MAX_MEMBERS:
            errors.add(
                "members",
                _("A committee has from %(min)s to %(max)s members.")
                % {"min": MIN_MEMBERS, "max": MAX_MEMBERS},
            )
        names = [member["name"].strip() for member in members]
        if any(not member_name for member_name in names):
            errors.add("members", _("Every member needs a name."))
        elif len(set(names)) != len(names):
            errors.add("members", _("A member is listed twice."))
        if stage == ReviewStage.SCHOOL and not any(
            member["role"] == CommitteeRole.SCHOOL_LEADER for member in members
        ):
            errors.add("members", _("The school's review committee includes a school leader."))
    known = school is not None and term is not None and stage is not None
    if (
        known
        and class_name is not None
        and ReviewCommittee.objects.filter(
            school=school, term=term, stage=stage, class_name=class_name.strip()
        ).exists()
    ):
        errors.add("stage", _("The school has this committee for this term already."))


@transaction.atomic
def committee_create(
    *,
    by: User,
    school_id: int,
    term_id: int,
    stage: str,
    class_name: str,
    name: str,
    members: list[dict],
) -> ReviewCommittee:
    errors = ValidationErrors()
    committee_create_problems(
        errors,
        by=by,
        school_id=school_id,
        term_id=term_id,
        stage=stage,
        class_name=class_name,
        name=name,
        members=members,
    )
    errors.raise_if_any()
    try:
        with transaction.atomic():
            committee = ReviewCommittee.objects.create(
                school_id=school_id,
                term_id=term_id,
                stage=stage,
                class_name=class_name.strip(),
                name=name.strip(),
                created_by=by,
            )
    except IntegrityError:
        raise Conflict(
            _("The school has this committee for this term already."), field="stage"
        ) from None
    CommitteeMember.objects.bulk_create(
        CommitteeMember(committee=committee, name=member["name"].strip(), role=member["role"])
        for member in members
    )
    return committee


# Decisions


def check_may_decide(*, by: User, assessment: Assessment) -> str:
    """The stage the assessment waits for; 409 when it waits for no committee (with the
    actions that would work), 403 for a teacher. The rule is `assessment_rules.check_action`'s."""
    check_action(
        assessment=assessment,
        action=Action.COMMITTEE_DECISION,
        by=by,
        today=timezone.localdate(),
    )
    return STAGE_OF_STATUS[assessment.status]


def committee_decision_problems(
    errors: ValidationErrors,
    *,
    assessment: Assessment,
    stage: str,
    committee_id: int | None,
    decided_on: date | None,
    members_present: list[int] | None,
    outcome: str | None,
    votes: tuple[int | None, int | None, int | None] | None,
    tier: str | None,
    note: str | None,
) -> tuple[ReviewCommittee | None, list[CommitteeMember]]:
    student = assessment.student
    committee = None
    if committee_id is not None:
        committee = ReviewCommittee.objects.filter(
            pk=committee_id, school_id=student.school_id, term_id=assessment.term_id
        ).first()
        if committee is None:
            errors.add("committee", _("No such committee of the student's school and term."))
        elif committee.stage != stage:
            errors.add(
                "committee",
                _("The assessment waits for the %(stage)s.") % {"stage": ReviewStage(stage).label},
            )
            committee = None
        elif committee.class_name:
            record_class = (
                StudentRecord.objects.filter(student=student, term_id=assessment.term_id)
                .values_list("class_name", flat=True)
                .first()
            )
            if record_class != committee.class_name:
                errors.add("committee", _("This committee reviews another class."))
                committee = None
    today = timezone.localdate()
    applied_on = timezone.localdate(assessment.created_at)
    if decided_on is not None and not applied_on <= decided_on <= today:
        errors.add(
            "decided_on",
            _("The decision is dated from the application (%(start)s) to today.")
            % {"start": applied_on},
        )
    present: list[CommitteeMember] = []
    if members_present is not None and committee is None:
        # The committee is refused already; members that are nobody's are named now
        # too, so that one answer names every field to fix.
        known = set(
            CommitteeMember.objects.filter(pk__in=members_present).values_list("pk", flat=True)
        )
        unknown = [pk for pk in members_present if pk not in known]
        if unknown:
            errors.add(
                "members_present",
                _("Not members of this committee: %(ids)s.")
                % {"ids": ", ".join(str(pk) for pk in unknown)},
            )
    if members_present is not None and committee is not None:
        members = list(committee.members.all())
        by_id = {member.pk: member for member in members}
        unknown = [pk for pk in members_present if pk not in by_id]
        present = [by_id[pk] for pk in dict.fromkeys(members_present) if pk in by_id]
        applicants = _applicant_names(assessment)
        if unknown:
            errors.add(
                "members_present",
                _("Not members of this committee: %(ids)s.")
                % {"ids": ", ".join(str(pk) for pk in unknown)},
            )
        elif len(present) * 2 <= len(members):
            errors.add(
                "members_present",
                _("More than half of the committee's %(count)s members must be present.")
                % {"count": len(members)},
            )
        elif any(member.name in applicants for member in present):
            errors.add(
                "members_present",
                _("The applicant does not review their own application."),
            )
    if votes is not None and outcome is not None:
        given = [vote for vote in votes if vote is not None]
        if given and len(given) != 3:
            errors.add("votes_for", _("Give the votes for, against and abstaining, or none."))
        elif given and present:
            if sum(given) != len(present):
                errors.add(
                    "votes_for",
                    _("The votes add up to %(votes)s but %(present)s members are present.")
                    % {"votes": sum(given), "present": len(present)},
                )
            elif (votes[0] * 2 > len(present)) != (outcome == CommitteeOutcome.AGREED):
                errors.add("outcome", _("The outcome does not follow from the votes."))
    if tier is not None:
        # The agreeing school committee proposes what the school review will: one rule.
        target = (
            AssessmentStatus.SCHOOL_REVIEWED
            if stage == ReviewStage.SCHOOL and outcome == CommitteeOutcome.AGREED
            else None
        )
        problem = identification.review_tier_problem(assessment, target, tier)
        if problem:
            errors.add("tier", problem)
    # The note is the reason the committee did not agree, which the rejection gives the
    # family; an agreement is its own reason and may have no note.
    if outcome == CommitteeOutcome.NOT_AGREED and not (note or "").strip():
        errors.add("note", _("Give the reason the committee did not agree."))
    return committee, present


def _applicant_names(assessment: Assessment) -> set[str]:
    names = {assessment.student.guardian_name.strip()} - {""}
    application = Application.objects.filter(assessment=assessment).first()
    if application is not None:
        names.add(application.guardian_name.strip())
    return names


@transaction.atomic
def committee_decide(
    *,
    by: User,
    assessment: Assessment,
    committee_id: int,
    decided_on: date,
    members_present: list[int],
    outcome: str,
    votes_for: int | None = None,
    votes_against: int | None = None,
    votes_abstaining: int | None = None,
    tier: str = "",
    note: str = "",
) -> CommitteeDecision:
    """Record a committee's decision on the assessment, then take the step it rests on.

    `note` is required when the committee did not agree: it is the rejection's reason."""
    assessment = Assessment.objects.select_related("student", "term__district").get(
        pk=assessment.pk
    )
    stage = check_may_decide(by=by, assessment=assessment)
    errors = ValidationErrors()
    committee, present = committee_decision_problems(
        errors,
        assessment=assessment,
        stage=stage,
        committee_id=committee_id,
        decided_on=decided_on,
        members_present=members_present,
        outcome=outcome,
        votes=(votes_for, votes_against, votes_abstaining),
        tier=tier,
        note=note,
    )
    errors.raise_if_any()
    try:
        with transaction.atomic():
            decision = CommitteeDecision.objects.create(
                committee=committee,
                assessment=assessment,
                stage=stage,
                decided_on=decided_on,
                outcome=outcome,
                votes_for=votes_for,
                votes_against=votes_against,
                votes_abstaining=votes_abstaining,
                tier=tier,
                note=note.strip(),
                recorded_by=by,
            )
    except IntegrityError:
        raise Conflict(_("This stage has its decision already.")) from None
    decision.members_present.set(present)
    # The meeting's day as users read dates (2026年11月5日), not ISO.
    said = {"committee": committee.name, "date": date_format(decided_on)}
    if note.strip():
        summary = _("%(committee)s, %(date)s: %(note)s") % {**said, "note": note.strip()}
    else:
        summary = _("%(committee)s, %(date)s") % said
    if outcome == CommitteeOutcome.AGREED:
        identification.assessment_review(by=by, assessment=assessment, note=summary, tier=tier)
    else:
        identification.assessment_reject(by=by, assessment=assessment, reason=summary)
    return decision


# Members, after the committee is formed


def committee_member_problems(
    errors: ValidationErrors,
    *,
    by: User,
    committee: ReviewCommittee,
    name: str | None = None,
    role: str | None = None,
    removing: int | None = None,
) -> CommitteeMember | None:
    """Add to `errors` what is wrong with adding a member (`name`, `role`) or removing one
    (`removing`, its id); answers the member to remove. A value None is not checked.

    A committee keeps from MIN_MEMBERS to MAX_MEMBERS members, a school committee
    its school leader, and a member present at a recorded decision stays: the
    decision's record names who was there.
    """
    if not schools_administered_by(by).filter(pk=committee.school_id).exists():
        raise NotPermitted(_("Only the school's administrators change its committees."))
    members = list(committee.members.all())
    if name is not None:
        if not name.strip():
            errors.add("name", _("Every member needs a name."))
        elif any(member.name == name.strip() for member in members):
            errors.add("name", _("A member is listed twice."))
        if len(members) >= MAX_MEMBERS:
            errors.add(
                "name",
                _("A committee has from %(min)s to %(max)s members.")
                % {"min": MIN_MEMBERS, "max": MAX_MEMBERS},
            )
    if role is not None and role not in CommitteeRole.values:
        errors.add("role", _("Choose the member's role."))
    if removing is None:
        return None
    leaving = next((member for member in members if member.pk == removing), None)
    if leaving is None:
        errors.add("member", _("Not members of this committee: %(ids)s.") % {"ids": removing})
        return None
    if len(members) <= MIN_MEMBERS:
        errors.add(
            "member",
            _("A committee has from %(min)s to %(max)s members.")
            % {"min": MIN_MEMBERS, "max": MAX_MEMBERS},
        )
    leaders = [member for member in members if member.role == CommitteeRole.SCHOOL_LEADER]
    if committee.stage == ReviewStage.SCHOOL and leaders == [leaving]:
        errors.add("member", _("The school's review committee includes a school leader."))
    if leaving.decisions.exists():
        errors.add(
            "member",
            _("%(name)s was present at a recorded decision and stays on the committee.")
            % {"name": leaving.name},
        )
    return leaving


@transaction.atomic
def committee_member_add(
    *, by: User, committee: ReviewCommittee, name: str, role: str
) -> CommitteeMember:
    committee = ReviewCommittee.objects.select_for_update().get(pk=committee.pk)
    checked(committee_member_problems, by=by, committee=committee, name=name, role=role)
    try:
        with transaction.atomic():
            return CommitteeMember.objects.create(committee=committee, name=name.strip(), role=role)
    except IntegrityError:
        raise DomainError(_("A member is listed twice."), field="name") from None


@transaction.atomic
def committee_member_remove(*, by: User, committee: ReviewCommittee, member_id: int) -> None:
    # Locked, so two removals at once cannot take the committee below its minimum.
    committee = ReviewCommittee.objects.select_for_update().get(pk=committee.pk)
    leaving = checked(committee_member_problems, by=by, committee=committee, removing=member_id)
    leaving.delete()
