"""May this mentor take this student: the one rule, for every path that pairs.

The hard rules themselves are `mentoring.matching.candidates.exclusion`, pure
Python so that the solver's vectorised candidate builder can be tested
against it. This module feeds it from the database for a single pair (the
hand pairing service), reads the district's standing safeguarding policy,
and says in words which rule a pair breaks. The match job builds the same
`StudentInfo` and `MentorInfo` in bulk and calls the same rules, so a pair
that a run can never propose is a pair no administrator can make by hand.
"""

import datetime

from django.utils.translation import gettext as _

from mentoring.matching import candidates as rules_and_costs
from mentoring.matching.solver import CAPACITY_SHORT, NO_CANDIDATE
from mentoring.models import District, Mentor, MentorKind, PairingKind, Student


def age_on(birth: datetime.date, on: datetime.date) -> int:
    """Whole years of age on a day (a birthday on 29 February counts from 1 March)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def district_rules(district: District, *, vetted_on: datetime.date | None) -> rules_and_costs.Rules:
    """The district's standing rules, for a pair that starts on `vetted_on`."""
    return rules_and_costs.Rules(
        same_gender_from_age=district.same_gender_from_age, vetted_on=vetted_on
    )


def loosens_policy(district: District, requested_age: int | None) -> bool:
    """Whether a match run's same-gender age would loosen the district's policy.

    A run may lower the age (the rule then covers more students); raising it
    or switching it off (None) would loosen the district's standing rule.
    """
    policy = district.same_gender_from_age
    return policy is not None and (requested_age is None or requested_age > policy)


def _student_info(student: Student, *, on: datetime.date) -> rules_and_costs.StudentInfo:
    return rules_and_costs.StudentInfo(
        id=student.pk,
        school=student.school_id,
        grade=0,
        gender=student.gender,
        age=age_on(student.birth_date, on),
    )


def _mentor_info(mentor: Mentor, *, student: Student) -> rules_and_costs.MentorInfo:
    # Only what the hard rules read: the mentor's schools and conflicts as they
    # concern this one student, so two queries answer for any mentor.
    serves = mentor.schools.filter(pk=student.school_id).exists()
    conflict = mentor.conflicts.filter(pk=student.pk).exists()
    return rules_and_costs.MentorInfo(
        id=mentor.pk,
        kind=mentor.kind,
        schools=(student.school_id,) if serves else (),
        gender=mentor.gender,
        capacity=mentor.capacity,
        vetted_until=mentor.vetted_until,
        conflicts=frozenset({student.pk}) if conflict else frozenset(),
    )


def pair_exclusion(*, student: Student, mentor: Mentor, kind: str, on: datetime.date) -> str | None:
    """The hard rule a pair starting on `on` breaks, as the solver names it, or None."""
    return rules_and_costs.exclusion(
        _student_info(student, on=on),
        _mentor_info(mentor, student=student),
        kind,
        district_rules(student.school.district, vetted_on=on),
    )


def exclusion_message(
    rule: str,
    *,
    district: District,
    mentor_kind: str | None = None,
    pairing_kind: str | None = None,
    from_age: int | None = None,
) -> str:
    """A broken rule in words an administrator understands.

    Given the mentor's kind and the pair's, the kind rule says which pairs
    such a mentor takes (`rules_and_costs.KINDS_FOR`); given `from_age` (a
    match run's own, which may be stricter than the district's), the
    safeguarding rule names that age.
    """
    if rule == "mentor_kind" and mentor_kind in MentorKind.values and pairing_kind:
        takes = [k for k in PairingKind.values if mentor_kind in rules_and_costs.KINDS_FOR[k]]
        return _("%(mentor_kind)s mentors take only %(kinds)s pairs, not %(kind)s pairs.") % {
            "mentor_kind": MentorKind(mentor_kind).label,
            "kinds": "、".join(str(PairingKind(k).label) for k in takes),
            "kind": PairingKind(pairing_kind).label,
        }
    if rule == "mentor_kind":
        return _("A mentor of this kind does not take this kind of pairing.")
    if rule == "other_school":
        return _("This mentor does not serve the student's school.")
    if rule == "volunteer_not_vetted":
        return _("This volunteer's vetting does not cover the start date.")
    if rule == "conflict":
        return _("This mentor must not be paired with this student (conflict of interest).")
    if rule == "safeguarding_gender":
        return _(
            "The district's safeguarding rule: from the age of %(age)d a student is "
            "paired only with a mentor of the same gender."
        ) % {"age": district.same_gender_from_age if from_age is None else from_age}
    return _("This pair breaks a rule: %(rule)s.") % {"rule": rule}


def unmatched_message(reason: str, *, district: District) -> str:
    """Why a run left a student without a mentor, in words (a rule by `exclusion_message`)."""
    if reason == CAPACITY_SHORT:
        return _(
            "The mentors allowed for this student had no place left, or each cost more "
            "than leaving the student unmatched (see the run's weights)."
        )
    if reason == NO_CANDIDATE:
        return _("No mentor is allowed for this student.")
    if reason == "no_mentor_in_school":
        return _("No mentor serves the student's school.")
    return exclusion_message(reason, district=district)
