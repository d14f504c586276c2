"""The shapes and labels every table of the report uses: a titled table, a section, a cell's
number, and the translated names of schools, levels, sources and money words.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from donations.models import FundSource
from donations.money_words import GOVERNMENT, SOCIAL
from mentoring.models import SchoolLevel
from mentoring.models.people import tier_label

TEN_THOUSAND = Decimal(10_000)
CENT = Decimal("0.01")
# 1 fen is 0.000001 万元; the bureau's forms keep four places (one yuan).
WAN_PLACES = Decimal("0.0001")


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    # Rows from this index on are totals (rendered bold).
    total_from: int | None = None
    note: str = ""
    # A two-level header: each group's label over the names of its columns (the second header
    # row); a group labelled None puts its columns' own names across both rows. The groups'
    # columns add up to `columns`, which stay the flat names CSV writes.
    groups: list[tuple[str | None, list[str]]] | None = None

    def header_rows(self) -> list[list[dict]]:
        """The header as rows of cells {text, colspan, rowspan}: one row, or two with groups."""
        if not self.groups:
            return [[{"text": c, "colspan": 1, "rowspan": 1} for c in self.columns]]
        top, under = [], []
        for label, names in self.groups:
            if label is None:
                top += [{"text": name, "colspan": 1, "rowspan": 2} for name in names]
            else:
                top.append({"text": label, "colspan": len(names), "rowspan": 1})
                under += [{"text": name, "colspan": 1, "rowspan": 1} for name in names]
        return [top, under]


@dataclass
class Section:
    key: str
    title: str
    tables: list[Table]


def number(value):
    """A figure from the JSON as a number for a cell: '11.16' → Decimal, None stays None."""
    if value is None or isinstance(value, int):
        return value
    return Decimal(value)


def wan(value):
    """Yuan as 万元 with exactly four places, as the bureau's form writes them (2.8000)."""
    if value is None:
        return None
    return (Decimal(value) / TEN_THOUSAND).quantize(WAN_PLACES)


def school_names(data) -> dict[str, str]:
    return {school["code"]: school["name"] for school in data["schools"]}


def school_levels(data) -> dict[str, str]:
    return {school["code"]: school["level"] for school in data["schools"]}


def level_label(level: str) -> str:
    return str(dict(SchoolLevel.choices).get(level, level))


def in_source_order(sources) -> list[str]:
    """Sources from central down to society, whatever order the stored JSON kept them in."""
    order = FundSource.values
    return sorted(sources, key=lambda s: (order.index(s) if s in order else len(order), s))


def source_label(source: str) -> str:
    return str(dict(FundSource.choices).get(source, source))


def tier_names(data) -> dict[str, str]:
    # A snapshot keeps the district's names; a default one is shown in the report's language.
    return {tier["code"]: tier_label(tier["code"], tier["name"]) for tier in data["tiers"]}


def per_school_rows(data, section_schools, total, cells):
    names = school_names(data)
    rows = [[names.get(code, code), *cells(figures)] for code, figures in section_schools.items()]
    rows.append([_("Total"), *cells(total)])
    return rows


def money_labels() -> dict[str, str]:
    """The label of each money word (donations.money_words), the same in every table and card."""
    return {
        "allocated": _("Allocated (yuan)"),
        "received": _("Received (yuan)"),
        "awarded": _("Awarded (yuan)"),
        "paid": _("Paid (yuan)"),
        "arrival_rate": _("Arrival rate: received ÷ allocated (%)"),
        "payout_rate": _("Payout rate: paid ÷ awarded (%)"),
    }


def fund_group_labels() -> dict[str, str]:
    return {
        GOVERNMENT: _("Government funds"),
        SOCIAL: _("Social funds (donations)"),
        "all": _("All funds"),
    }


def group_label(group: str, name: str) -> str:
    """'Government funds: Paid (yuan)': one money word of one fund group."""
    return _("%(group)s: %(figure)s") % {
        "group": fund_group_labels()[group],
        "figure": money_labels()[name],
    }


def reason_labels() -> dict[str, str]:
    """Why an eligible student was left unfunded, in words (the allocation's reason codes)."""
    return {
        "quota_full": _("Quota full"),
        "no_quota": _("No places for the school"),
        "funds_exhausted": _("Funds exhausted"),
        "duplicate_aid": _("Already aided for this purpose"),
        "no_standard": _("No standard for the student"),
        "tier_share_full": _("Places for the student's hardship tier full"),
        "no_tier_share": _("No places for the student's hardship tier"),
    }


def project_name(data, code: str) -> str:
    """A project by its name (versions built before names were kept: by its code)."""
    return data.get("project_names", {}).get(code, code)
