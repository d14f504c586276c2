"""A project's shares per hardship tier (e.g. the living subsidy's 80 % hardship / 20 % special).

A share is either a percentage of each school's quota for the term or a count
of places for the whole project in the term. Percentages are rounded down, so
that a tier never takes more than its share: 80 / 20 of 10 places is 8 and 2,
of 12 places 9 and 2 (one place stays free). A place a tier does not use is
not passed to another tier: the shares are caps set by policy. Once a project
states shares, a tier without one gets no places. Changing the shares takes
back no award: the places already given count against the new shares.

`tier_shares_problems` is the one check of what a client sends (every bad
field named at once); `TierCaps` is what allocation asks, place by place.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from core.errors import ValidationErrors
from donations.models import AidProject, ProjectTierShare
from mentoring.models import District

MAX_TIER_SHARES = 20
# As many places as a school's quota may have.
MAX_SHARE_PLACES = 100_000


def tier_shares_problems(
    errors: ValidationErrors,
    *,
    district: District | None,
    project_tiers: list[str] | None,
    shares: list[dict] | None,
) -> None:
    """Add to `errors` everything wrong with these shares, each under `tier_shares[i].field`.

    Each share names a tier of the district (at most once, and one the
    project admits when it names its tiers) and exactly one of `percent`
    (1 to 100) or `places` (1 to 100,000); the percentages add up to at most
    100. A district given as None (unknown, refused already) skips the tier
    checks; shares given as None are not checked.
    """
    if shares is None:
        return
    if len(shares) > MAX_TIER_SHARES:
        errors.add("tier_shares", _("At most %(n)s tier shares.") % {"n": MAX_TIER_SHARES})
        return
    known = district.tier_codes if district is not None else None
    seen: set[str] = set()
    total = 0
    for i, share in enumerate(shares):
        where = f"tier_shares[{i}]"
        tier = share.get("tier") or ""
        percent, places = share.get("percent"), share.get("places")
        if not tier:
            errors.add(f"{where}.tier", _("Name the tier."))
        elif known is not None and tier not in known:
            errors.add(
                f"{where}.tier",
                _("Unknown tier %(tier)s; this district's tiers are: %(tiers)s.")
                % {"tier": tier, "tiers": ", ".join(known)},
            )
        elif project_tiers and tier not in project_tiers:
            errors.add(
                f"{where}.tier",
                _("The project does not admit tier %(tier)s; it admits %(tiers)s.")
                % {"tier": tier, "tiers": ", ".join(project_tiers)},
            )
        elif tier in seen:
            errors.add(f"{where}.tier", _("Tier %(tier)s has a share already.") % {"tier": tier})
        seen.add(tier)
        if (percent is None) == (places is None):
            errors.add(where, _("Give either a percent or a number of places, not both."))
            continue
        if percent is not None:
            if not isinstance(percent, int) or not 1 <= percent <= 100:
                errors.add(f"{where}.percent", _("A share is from 1 to 100 percent."))
            else:
                total += percent
        elif not isinstance(places, int) or not 1 <= places <= MAX_SHARE_PLACES:
            errors.add(
                f"{where}.places",
                _("A share of places is from 1 to %(max)s.") % {"max": MAX_SHARE_PLACES},
            )
    if total > 100:
        errors.add(
            "tier_shares",
            _("The shares add up to %(total)s%%; at most 100%% can be shared.") % {"total": total},
        )


def tier_shares_replace(project: AidProject, shares: list[dict]) -> None:
    """Replace the project's shares with these (checked already by `tier_shares_problems`)."""
    project.tier_shares.all().delete()
    ProjectTierShare.objects.bulk_create(
        ProjectTierShare(
            project=project,
            tier=share["tier"],
            percent=share.get("percent"),
            places=share.get("places"),
        )
        for share in shares
    )


@dataclass
class TierCaps:
    """The places each tier may still take in one allocation, updated as places are given.

    `percent` and `places` come from the project's shares; `used_*` start
    from the awards the project already made this term, by tier.
    """

    percent: dict[str, int]
    places: dict[str, int]
    quotas: dict[int, int]
    used_by_school: dict[tuple[int, str], int] = field(default_factory=dict)
    used: dict[str, int] = field(default_factory=dict)
    # The district's name of each tier code, for the words of a refusal.
    names: dict[str, str] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return bool(self.percent or self.places)

    def cap(self, *, tier: str, school: int) -> int | None:
        """The most places `tier` may hold (in the school, for a percent share); None: no share."""
        if tier in self.percent:
            return self.percent[tier] * self.quotas.get(school, 0) // 100
        return self.places.get(tier)

    def refusal(self, *, tier: str, school: int) -> tuple[str, str] | None:
        """Why `tier` cannot take one more place at `school`, as (reason, words), or None.

        The words name the tier by the district's name for it, as pages show them.
        """
        if not self.active:
            return None
        cap = self.cap(tier=tier, school=school)
        name = self.names.get(tier, tier)
        if cap is None:
            return "no_tier_share", _(
                "The project gives the tier “%(tier)s” no share of its places."
            ) % {"tier": name}
        if tier in self.percent:
            if self.used_by_school.get((school, tier), 0) >= cap:
                # Words that name the tier and its count, so a refusal while the
                # school still has places reads as the tier's rule, not a mistake.
                return "tier_share_full", _(
                    "The places of the tier “%(tier)s” are used up (%(used)s/%(cap)s: "
                    "%(percent)s%% of the school's %(quota)s places); the school's other "
                    "places are for the other tiers."
                ) % {
                    "tier": name,
                    "used": self.used_by_school.get((school, tier), 0),
                    "percent": self.percent[tier],
                    "quota": self.quotas.get(school, 0),
                    "cap": cap,
                }
            return None
        if self.used.get(tier, 0) >= cap:
            return "tier_share_full", _(
                "The places of the tier “%(tier)s” in the project are used up (%(used)s/%(cap)s)."
            ) % {"tier": name, "used": self.used.get(tier, 0), "cap": cap}
        return None

    def take(self, *, tier: str, school: int) -> None:
        self.used_by_school[(school, tier)] = self.used_by_school.get((school, tier), 0) + 1
        self.used[tier] = self.used.get(tier, 0) + 1


def tier_caps_of(
    project: AidProject, *, quotas: dict[int, int], awarded: list[tuple[int, str]]
) -> TierCaps:
    """The project's caps, with `awarded` (school, tier) of its awards already made this term."""
    caps = TierCaps(
        percent={},
        places={},
        quotas=quotas,
        names={tier["code"]: tier["name"] for tier in project.district.tier_labels},
    )
    for share in project.tier_shares.all():
        if share.percent is not None:
            caps.percent[share.tier] = share.percent
        else:
            caps.places[share.tier] = share.places
    for school, tier in awarded:
        caps.take(tier=tier, school=school)
    return caps
