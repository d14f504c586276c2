"""A project's places per village committee (分解到各村(居)委), and the one rule that counts them.

A project that uses committees gives each committee of its district a number
of places per term (`CommitteeQuota`). Allocation asks `CommitteeCaps`,
student by student: a student with no committee on record, or whose
committee has no quota for the term, gets no place; a committee whose places
are taken gets no more. The awards the project already made this term count
against their students' committees. A project that does not use committees
is not limited here (and costs no query).

`committee_quotas_problems` is the one check of what a client sends (every
bad row named at once); `committee_quotas_replace` writes what it passed.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from core.errors import ValidationErrors
from donations.models import AidProject, CommitteeQuota
from mentoring.models import District, Student, Term, VillageCommittee

# Why a student got no place by the committees' rule.
NO_COMMITTEE = "no_committee"
NO_COMMITTEE_QUOTA = "no_committee_quota"
COMMITTEE_QUOTA_FULL = "committee_quota_full"

MAX_COMMITTEE_QUOTAS = 5000
# As many places as a school's quota may have.
MAX_COMMITTEE_PLACES = 100_000


@dataclass
class CommitteeCaps:
    """The places each committee may still give in one allocation, updated as places are given.

    `committee_of` maps a student to their committee (None: none on record);
    `quotas` a committee to its places; `used` starts from the project's
    awards already made this term. Inactive (no limit) when the project does
    not use committees.
    """

    active: bool
    committee_of: dict[int, int | None] = field(default_factory=dict)
    quotas: dict[int, int] = field(default_factory=dict)
    used: dict[int, int] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)

    def refusal(self, *, student: int) -> tuple[str, str] | None:
        """Why `student` cannot take one more place, as (reason, words), or None."""
        if not self.active:
            return None
        committee = self.committee_of.get(student)
        if committee is None:
            return NO_COMMITTEE, _(
                "The project's places go through village committees; the student has none "
                "on record."
            )
        if committee not in self.quotas:
            return NO_COMMITTEE_QUOTA, _(
                "The project gives committee %(committee)s no places this term."
            ) % {"committee": self.names.get(committee, committee)}
        if self.used.get(committee, 0) >= self.quotas[committee]:
            return COMMITTEE_QUOTA_FULL, _(
                "Committee %(committee)s's quota of %(places)s is used up."
            ) % {
                "committee": self.names.get(committee, committee),
                "places": self.quotas[committee],
            }
        return None

    def take(self, *, student: int) -> None:
        if not self.active:
            return
        committee = self.committee_of.get(student)
        if committee is not None:
            self.used[committee] = self.used.get(committee, 0) + 1


def committee_caps_of(
    project: AidProject, *, term: Term, awarded: set[int], candidates: list[int]
) -> CommitteeCaps:
    """The project's committee caps for the term; `awarded` are the students it already aids.

    Two queries when the project uses committees (the students' committees,
    the quotas with their committees' names), none when it does not.
    """
    if not project.uses_committees:
        return CommitteeCaps(active=False)
    caps = CommitteeCaps(active=True)
    caps.committee_of = dict(
        Student.objects.filter(pk__in=[*awarded, *candidates]).values_list("pk", "committee_id")
    )
    for committee, places, name in CommitteeQuota.objects.filter(
        project=project, term=term
    ).values_list("committee", "places", "committee__name"):
        caps.quotas[committee] = places
        caps.names[committee] = name
    for student in awarded:
        caps.take(student=student)
    return caps


def committee_quotas_problems(
    errors: ValidationErrors, *, district: District | None, rows: list[dict] | None
) -> None:
    """Add to `errors` everything wrong with these quotas, each under `committee_quotas[i].field`.

    Each row names a term and a committee of the project's district (a pair
    at most once) and its places (1 to 100,000). A district given as None
    (unknown, refused already) skips the term and committee checks; rows
    given as None are not checked.
    """
    if rows is None:
        return
    if len(rows) > MAX_COMMITTEE_QUOTAS:
        errors.add(
            "committee_quotas", _("At most %(n)s committee quotas.") % {"n": MAX_COMMITTEE_QUOTAS}
        )
        return
    terms = committees = None
    if district is not None:
        terms = set(Term.objects.filter(district=district).values_list("pk", flat=True))
        committees = set(
            VillageCommittee.objects.filter(district=district).values_list("pk", flat=True)
        )
    seen = set()
    for i, row in enumerate(rows):
        where = f"committee_quotas[{i}]"
        term, committee, places = row.get("term"), row.get("committee"), row.get("places")
        if terms is not None and term not in terms:
            errors.add(f"{where}.term", _("Unknown term in the project's district."))
        if committees is not None and committee not in committees:
            errors.add(f"{where}.committee", _("Unknown committee in the project's district."))
        if (term, committee) in seen:
            errors.add(where, _("This term and committee have a quota already."))
        seen.add((term, committee))
        if not isinstance(places, int) or not 1 <= places <= MAX_COMMITTEE_PLACES:
            errors.add(
                f"{where}.places",
                _("A quota is from 1 to %(max)s places.") % {"max": MAX_COMMITTEE_PLACES},
            )


def committee_quotas_replace(project: AidProject, rows: list[dict]) -> None:
    """Replace the project's committee quotas (checked by `committee_quotas_problems`)."""
    project.committee_quotas.all().delete()
    CommitteeQuota.objects.bulk_create(
        CommitteeQuota(
            project=project,
            term_id=row["term"],
            committee_id=row["committee"],
            places=row["places"],
        )
        for row in rows
    )
