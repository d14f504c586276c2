"""The report's table per village committee: only where a project of the district uses them."""

from django.utils.translation import gettext as _

from mentoring.models import CommitteeKind
from workers.reporting.layout import Section, Table, number


def committees(data) -> Section | None:
    section = data.get("committees")
    if not section:
        return None
    kinds = dict(CommitteeKind.choices)

    def cells(figures):
        return [
            figures["students"],
            figures["awards"],
            number(figures["amount"]),
            number(figures["paid"]),
            figures["approved"],
        ]

    rows = [
        [f"{c['code']} {c['name']}", str(kinds.get(c["kind"], c["kind"])), *cells(c)]
        for c in section["committees"]
    ]
    if section["without_committee"]:
        rows.append([_("No committee on record"), "", *cells(section["without_committee"])])
    rows.append([_("Total"), "", *cells(section["total"])])
    table = Table(
        _("Aid per village committee"),
        [
            _("Village committee"),
            _("Kind"),
            _("Students"),
            _("Awards"),
            _("Awarded (yuan)"),
            _("Paid (yuan)"),
            _("Approved by the district"),
        ],
        rows,
    )
    table.total_from = len(rows) - 1
    table.note = _(
        "Projects whose places are split among village committees: %(projects)s. A student "
        "counts under the committee of the family's residence on record; a student with two "
        "such projects counts once among the students and twice among the awards."
    ) % {"projects": ", ".join(section["projects"])}
    return Section("committees", _("Village committees"), [table])
