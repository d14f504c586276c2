"""Who sees which match runs."""

from django.db.models import QuerySet

from core.permissions import is_active_account
from mentoring.models import MatchRun, School, User
from mentoring.selectors.accounts import schools_administered_by


def runs_visible_to(user: User) -> QuerySet[MatchRun]:
    """Runs whose every school the user administers."""
    if not is_active_account(user):
        return MatchRun.objects.none()
    # The packed inputs (megabytes for a county) are read only when a pair is checked.
    runs = MatchRun.objects.select_related("term", "job", "created_by", "approved_by").defer(
        "packed_inputs"
    )
    if user.is_superuser:
        return runs
    administered = schools_administered_by(user)
    # Runs with at least one school the user does not administer. (A negated
    # `~Q(schools__in=...)` would mean "no school administered", which lets a
    # run of schools A and B through to an administrator of A alone.)
    foreign = MatchRun.objects.filter(schools__in=School.objects.exclude(pk__in=administered))
    return runs.filter(schools__in=administered).exclude(pk__in=foreign).distinct()


def run_inputs(run: MatchRun) -> dict | None:
    """The inputs the run solved, as plain data; None until its job has stored them.

    One query for the packed column, which `runs_visible_to` leaves out.
    """
    packed = MatchRun.objects.filter(pk=run.pk).values_list("packed_inputs", flat=True).first()
    if packed is None:
        return None
    run.packed_inputs = packed
    return run.inputs


def students_in_inputs(inputs: dict) -> set[int]:
    """The students an inputs document names: those to match of each kind and the locked ones."""
    ids = {student["id"] for rows in inputs.get("students", {}).values() for student in rows}
    ids.update(pair[0] for pairs in inputs.get("locked", {}).values() for pair in pairs)
    return ids
