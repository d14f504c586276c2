"""A project's allocations as their readers see them: only their own schools' students named."""

from django.utils.translation import gettext as _

from core.errors import NotPermitted
from donations.models import AidProject, Allocation
from mentoring.models import Student, User
from mentoring.selectors.accounts import schools_administered_by


def allocation_get(*, allocation_id: int) -> Allocation:
    """One allocation with what its answer shows (project and term)."""
    return Allocation.objects.select_related("project", "term").get(pk=allocation_id)


def allocations_of_project(*, user: User, project: AidProject, limit: int = 50) -> list[Allocation]:
    """The project's latest allocations: administrators of a school of its district read them."""
    if not schools_administered_by(user).filter(district=project.district).exists():
        raise NotPermitted(_("Only administrators read allocations."))
    return list(
        Allocation.objects.filter(project=project).select_related("project", "term")[:limit]
    )


def allocations_left_out_names(*, user: User, allocations: list[Allocation]) -> dict:
    """What the allocations' answer may name: `schools`, the ids of the schools `user`
    administers, and `names`, student id to name of those of them left out.

    A student of another school is left out of the answer altogether.
    """
    schools = set(schools_administered_by(user).values_list("pk", flat=True))
    students = {
        row["student"] for a in allocations for row in a.left_out if row["school"] in schools
    }
    names = dict(Student.objects.filter(pk__in=students).values_list("pk", "name"))
    return {"schools": schools, "names": names}
