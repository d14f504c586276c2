"""Home-visit plans (家访活动计划表): written by the school's administrators, fulfilled by visits.

A plan belongs to a school and a term; each entry names a student, the
teacher who visits (a mentor of the school), the planned day and the
purpose. When a teacher logs a home visit (a session of kind
`home_visit`), it is linked to the first open entry, by planned day, of the
same term, student and visitor (`visit_link`); an entry added after the visit
was logged takes it the same way. The entry is then done. A visit changed to
another kind or deleted frees its entry, which takes the next matching visit.
"""

import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.errors import DomainError, NotPermitted, ValidationErrors, checked
from mentoring.models import (
    Mentor,
    SessionKind,
    Student,
    Term,
    TutoringSession,
    User,
    VisitPlan,
    VisitPlanEntry,
)
from mentoring.selectors.accounts import schools_administered_by
from mentoring.services.pairings import MAX_HOLIDAY_DAYS

MAX_TEXT_LENGTH = 2000
ENTRY_FIELDS = {"visitor", "planned_on", "purpose"}


def _plan_exists_error() -> DomainError:
    return DomainError(_("This school already has a home-visit plan for this term."), field="term")


def visit_plan_create_problems(
    errors: ValidationErrors,
    *,
    by: User,
    school_id: int | None,
    term_id: int | None,
    note: str | None,
) -> tuple:
    """Add to `errors` what is wrong with this plan; answers its school and term."""
    school = term = None
    if school_id is not None:
        school = schools_administered_by(by).filter(pk=school_id).first()
        if school is None:
            errors.add("school", _("Unknown school."))
    if term_id is not None:
        districts = (
            [school.district_id] if school else schools_administered_by(by).values("district")
        )
        term = Term.objects.filter(pk=term_id, district__in=districts).first()
        if term is None:
            errors.add("term", _("This term is not a term of the school's district."))
    if note is not None and len(note) > MAX_TEXT_LENGTH:
        errors.add("note", _("Keep it within %(n)d characters.") % {"n": MAX_TEXT_LENGTH})
    if school and term and VisitPlan.objects.filter(school=school, term=term).exists():
        errors.add_error(_plan_exists_error())
    return school, term


@transaction.atomic
def visit_plan_create(*, by: User, school_id: int, term_id: int, note: str = "") -> VisitPlan:
    """A school's plan for a term; one per school and term, by database constraint."""
    school, term = checked(
        visit_plan_create_problems, by=by, school_id=school_id, term_id=term_id, note=note
    )
    try:
        with transaction.atomic():
            return VisitPlan.objects.create(
                school=school, term=term, note=note.strip(), created_by=by
            )
    except IntegrityError:
        raise _plan_exists_error() from None


def _check_administers(by: User, school_id: int) -> None:
    if not schools_administered_by(by).filter(pk=school_id).exists():
        raise NotPermitted(_("Only an administrator of the school changes its home-visit plan."))


@transaction.atomic
def visit_plan_update(*, by: User, plan: VisitPlan, note: str) -> VisitPlan:
    _check_administers(by, plan.school_id)
    if len(note) > MAX_TEXT_LENGTH:
        raise DomainError(
            _("Keep it within %(n)d characters.") % {"n": MAX_TEXT_LENGTH}, field="note"
        )
    plan.note = note.strip()
    plan.save(update_fields=["note"])
    return plan


def visit_plan_entry_problems(
    errors: ValidationErrors,
    *,
    by: User,
    plan: VisitPlan | None = None,
    plan_id: int | None = None,
    entry: VisitPlanEntry | None = None,
    student_id: int | None = None,
    visitor_id: int | None = None,
    planned_on: datetime.date | None = None,
    purpose: str | None = None,
) -> tuple:
    """Add to `errors` what is wrong with this entry; answers its plan, student and visitor.

    A new entry names its plan (`plan_id`, one of the user's schools') and
    student; a change (`entry`) keeps both. Every given field is checked.
    """
    if entry is not None:
        plan = entry.plan
    elif plan_id is not None:
        plan = (
            VisitPlan.objects.filter(pk=plan_id, school__in=schools_administered_by(by))
            .select_related("term")
            .first()
        )
        if plan is None:
            errors.add("plan", _("Unknown home-visit plan."))
    student = visitor = None
    if plan is None and entry is None:
        # The plan is refused: the other fields are still checked against the
        # user's schools, so that one answer names every bad field.
        _problems_without_plan(errors, by, student_id, visitor_id, planned_on)
    if student_id is not None and plan is not None:
        student = Student.objects.filter(pk=student_id, school_id=plan.school_id).first()
        if student is None:
            errors.add("student", _("Unknown student of the plan's school."))
    if visitor_id is not None and plan is not None:
        visitor = Mentor.objects.filter(pk=visitor_id, schools=plan.school_id, active=True).first()
        if visitor is None:
            errors.add("visitor", _("Unknown teacher of the plan's school."))
        elif entry is not None and entry.visit_id and visitor.pk != entry.visitor_id:
            errors.add("visitor", _("A visit is logged against this entry; its visitor stays."))
    if planned_on is not None and plan is not None:
        term = plan.term
        last = term.end_date + datetime.timedelta(days=MAX_HOLIDAY_DAYS)
        if not term.start_date <= planned_on <= last:
            errors.add(
                "planned_on", _("The planned date must fall in the term or the holiday after it.")
            )
    if purpose is not None:
        if not purpose.strip():
            errors.add("purpose", _("Give the purpose of the visit."))
        elif len(purpose) > MAX_TEXT_LENGTH:
            errors.add("purpose", _("Keep it within %(n)d characters.") % {"n": MAX_TEXT_LENGTH})
    return plan, student, visitor


def _problems_without_plan(errors, by, student_id, visitor_id, planned_on) -> None:
    schools = schools_administered_by(by)
    if (
        student_id is not None
        and not Student.objects.filter(pk=student_id, school__in=schools).exists()
    ):
        errors.add("student", _("Unknown student of the plan's school."))
    if (
        visitor_id is not None
        and not Mentor.objects.filter(pk=visitor_id, schools__in=schools, active=True).exists()
    ):
        errors.add("visitor", _("Unknown teacher of the plan's school."))
    if planned_on is not None:
        latest = planned_on - datetime.timedelta(days=MAX_HOLIDAY_DAYS)
        if not Term.objects.filter(
            district__schools__in=schools, start_date__lte=planned_on, end_date__gte=latest
        ).exists():
            errors.add(
                "planned_on", _("The planned date must fall in the term or the holiday after it.")
            )


@transaction.atomic
def visit_plan_entry_create(
    *,
    by: User,
    plan_id: int,
    student_id: int,
    visitor_id: int,
    planned_on: datetime.date,
    purpose: str,
) -> VisitPlanEntry:
    """Plan a visit; a home visit already logged by the visitor for the student fulfils it."""
    plan, student, visitor = checked(
        visit_plan_entry_problems,
        by=by,
        plan_id=plan_id,
        student_id=student_id,
        visitor_id=visitor_id,
        planned_on=planned_on,
        purpose=purpose,
    )
    entry = VisitPlanEntry.objects.create(
        plan=plan,
        student=student,
        visitor=visitor,
        planned_on=planned_on,
        purpose=purpose.strip(),
    )
    _fulfil(entry)
    return entry


@transaction.atomic
def visit_plan_entry_update(*, by: User, entry: VisitPlanEntry, **fields) -> VisitPlanEntry:
    """Change an entry's visitor, day or purpose; its plan and student stay."""
    entry = (
        VisitPlanEntry.objects.select_for_update(of=("self",))
        .select_related("plan__term")
        .get(pk=entry.pk)
    )
    _check_administers(by, entry.plan.school_id)
    errors = ValidationErrors()
    for name in sorted(set(fields) - ENTRY_FIELDS):
        errors.add(name, _("This field cannot be changed here."))
    _plan, _student, visitor = visit_plan_entry_problems(
        errors,
        by=by,
        entry=entry,
        visitor_id=fields.get("visitor"),
        planned_on=fields.get("planned_on"),
        purpose=fields.get("purpose"),
    )
    errors.raise_if_any()
    if visitor is not None:
        entry.visitor = visitor
    if "planned_on" in fields:
        entry.planned_on = fields["planned_on"]
    if "purpose" in fields:
        entry.purpose = fields["purpose"].strip()
    entry.save()
    if entry.visit_id is None:
        _fulfil(entry)
    return entry


@transaction.atomic
def visit_plan_entry_delete(*, by: User, entry: VisitPlanEntry) -> None:
    _check_administers(by, entry.plan.school_id)
    entry.delete()


def _open_visits(entry: VisitPlanEntry):
    """Home visits the entry's visitor logged for its student in its term, not yet in a plan."""
    return TutoringSession.objects.filter(
        kind=SessionKind.HOME_VISIT,
        pairing__term_id=entry.plan.term_id,
        pairing__student_id=entry.student_id,
        pairing__mentor_id=entry.visitor_id,
        plan_entry__isnull=True,
    ).order_by("date", "pk")


def _fulfil(entry: VisitPlanEntry) -> None:
    """Link the first open matching visit to this entry, if there is one."""
    visit = _open_visits(entry).first()
    if visit is not None:
        entry.visit = visit
        entry.save(update_fields=["visit"])


def visit_link(*, session: TutoringSession, new: bool = False) -> VisitPlanEntry | None:
    """After a session was logged (`new`) or changed: link a home visit to its plan entry, or
    free one.

    Called by `mentoring.services.sessions` inside its transaction. A home
    visit takes the first open entry, by planned day, of its pairing's term,
    student and mentor; a session that is no longer a home visit frees the
    entry it held, which then takes the next matching visit. A new session
    holds no entry yet, so only a new home visit is looked at.
    """
    if new and session.kind != SessionKind.HOME_VISIT:
        return None
    held = None if new else VisitPlanEntry.objects.select_for_update().filter(visit=session).first()
    if session.kind != SessionKind.HOME_VISIT:
        if held is not None:
            held.visit = None
            held.save(update_fields=["visit"])
            _fulfil(held)
        return None
    if held is not None:
        return held
    pairing = session.pairing
    entry = (
        VisitPlanEntry.objects.select_for_update()
        .filter(
            plan__term_id=pairing.term_id,
            student_id=pairing.student_id,
            visitor_id=pairing.mentor_id,
            visit__isnull=True,
        )
        .order_by("planned_on", "pk")
        .first()
    )
    if entry is not None:
        entry.visit = session
        entry.save(update_fields=["visit"])
    return entry


def visit_unlink(*, session: TutoringSession) -> VisitPlanEntry | None:
    """Before a session is deleted: the entry it fulfilled, freed (it takes the next visit)."""
    held = VisitPlanEntry.objects.select_for_update().filter(visit=session).first()
    if held is not None:
        held.visit = None
        held.save(update_fields=["visit"])
    return held


def visit_refulfil(entry: VisitPlanEntry | None) -> None:
    """After a deletion freed `entry`: the next matching visit, if any, fulfils it."""
    if entry is not None:
        entry.refresh_from_db(fields=["visit"])
        if entry.visit_id is None:
            _fulfil(entry)
