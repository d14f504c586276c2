"""Donors: registered by the district's administrators, changed by themselves."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError, NotPermitted
from donations.models import Donor
from donations.selectors.scoping import administers_any_school
from mentoring.models import District, Role, User
from mentoring.selectors.accounts import schools_administered_by


def donor_register_check(*, by: User) -> None:
    """Refuse (403) a user who registers no donors, before anything they sent is read.

    Only administrators register donors; which district's is `donor_save`'s question.
    """
    if not administers_any_school(by):
        raise NotPermitted(_("Only administrators register donors."))


@transaction.atomic
def donor_save(
    *,
    by: User,
    donor: Donor | None = None,
    district_code: str = "",
    kind: str | None = None,
    name: str | None = None,
    anonymous: bool | None = None,
    user_id: int | None = None,
) -> Donor:
    """Register a donor (administrators of the district) or change one.

    A donor changes its own name and whether it stays anonymous in published
    notices; administrators also link it to a donor account of the district.
    """
    from mentoring.models import Membership

    districts = schools_administered_by(by).values("district")
    if donor is None:
        district = District.objects.filter(code=district_code, pk__in=districts).first()
        if district is None:
            raise DomainError(_("Unknown district."), field="district")
        donor = Donor(district=district)
    is_admin = District.objects.filter(pk=donor.district_id, pk__in=districts).exists()
    if donor.user_id != by.pk and not is_admin:
        raise DomainError(_("Unknown donor."), field="donor")
    if kind is not None:
        if not is_admin and kind != donor.kind:
            raise DomainError(_("Only administrators change a donor's kind."), field="kind")
        donor.kind = kind
    if name is not None:
        if not name.strip():
            raise DomainError(_("Give the donor's name."), field="name")
        donor.name = name.strip()
    if anonymous is not None:
        donor.anonymous = anonymous
    if user_id is not None:
        if not is_admin:
            raise DomainError(_("Only administrators link a donor account."), field="user")
        if not Membership.objects.filter(
            user_id=user_id, role=Role.DONOR, school__district=donor.district_id
        ).exists():
            raise DomainError(_("Not a donor account of this district."), field="user")
        if Donor.objects.filter(user_id=user_id).exclude(pk=donor.pk).exists():
            raise DomainError(_("This account already belongs to another donor."), field="user")
        donor.user_id = user_id
    donor.save()
    return donor
