"""Who reads which village committees: the members of their district."""

from django.db.models import QuerySet

from mentoring.models import User, VillageCommittee
from mentoring.selectors.scoping import districts_visible_to


def committees_visible_to(user: User) -> QuerySet[VillageCommittee]:
    """The committees of the districts where the user holds a role (all for a platform admin).

    Committees hold no personal data: every member of the district reads them.
    """
    return VillageCommittee.objects.filter(district__in=districts_visible_to(user)).select_related(
        "district"
    )
