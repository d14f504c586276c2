"""The donor's pledge form: money or items, once or in instalments, to a project of its district.

The form only turns the posted text into values of the right type and reads
the instalment rows; every rule about a pledge (the project, the purpose, the
items, the due dates) is checked by `donations.services.pledges`, the same
functions the API calls, and all their errors are shown at once on the fields
they name, with the form's own.
"""

import re
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from donations.models import PledgeKind, PledgeSchedule
from donations.services.pledges import pledge_amount_problem, pledge_due_date_problem

INSTALMENT_ROWS = 6
# A service error about one instalment: `instalments[<index>].<due_on|amount>`.
INSTALMENT_ERROR = re.compile(r"instalments\[(?P<index>\d+)\]\.(?P<field>due_on|amount)")


class PledgeForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What you give"), choices=PledgeKind.choices, widget=forms.RadioSelect
    )
    project = forms.TypedChoiceField(
        label=_("Project"), coerce=int, required=False, empty_value=None
    )
    purpose = forms.CharField(
        label=_("Or say what the gift is for"), max_length=200, required=False
    )
    item_name = forms.CharField(label=_("Items"), max_length=100, required=False)
    item_unit = forms.CharField(label=_("Unit"), max_length=20, required=False)
    schedule = forms.ChoiceField(
        label=_("When"), choices=PledgeSchedule.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, projects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [("", "—"), *((p.pk, p.name) for p in projects)]
        for n in range(1, INSTALMENT_ROWS + 1):
            self.fields[f"due_on_{n}"] = forms.DateField(
                label=_("Due on"),
                required=False,
                widget=forms.DateInput(
                    attrs={"type": "date", "aria-label": _("Due on %(n)s") % {"n": n}},
                    format="%Y-%m-%d",
                ),
            )
            self.fields[f"amount_{n}"] = forms.DecimalField(
                label=_("Amount"),
                required=False,
                min_value=Decimal("0.01"),
                max_digits=14,
                decimal_places=2,
                widget=forms.NumberInput(
                    attrs={
                        "inputmode": "decimal",
                        "step": "0.01",
                        "aria-label": _("Amount %(n)s") % {"n": n},
                    }
                ),
            )

    def rows(self):
        """The instalment rows as (due field, amount field) pairs, for the template."""
        return [(self[f"due_on_{n}"], self[f"amount_{n}"]) for n in range(1, INSTALMENT_ROWS + 1)]

    def clean(self):
        cleaned = super().clean()
        kind, today = cleaned.get("kind"), timezone.localdate()
        instalments = []
        for n in range(1, INSTALMENT_ROWS + 1):
            due, amount = cleaned.get(f"due_on_{n}"), cleaned.get(f"amount_{n}")
            if not {f"due_on_{n}", f"amount_{n}"} & set(self.errors):
                if due is None and amount is None:
                    continue
                if due is None:
                    self.add_error(f"due_on_{n}", _("Give the day this amount is due."))
                elif amount is None:
                    self.add_error(f"amount_{n}", _("Give the amount due on this day."))
                elif pledge_amount_problem(kind, amount):
                    self.add_error(f"amount_{n}", pledge_amount_problem(kind, amount))
                else:
                    instalments.append({"due_on": due, "amount": amount, "row": n})
                    continue
            # A row the form sets aside never reaches the service, which would
            # have judged its day: the service's own rule judges it here, so
            # that every mistake of the row is shown at once.
            problem = due and pledge_due_date_problem(due, today=today)
            if problem:
                self.add_error(f"due_on_{n}", problem)
        if not instalments and not any(k.startswith(("due_on_", "amount_")) for k in self.errors):
            self.add_error(None, _("Give at least one amount and the day it is due."))
        cleaned["instalments"] = instalments
        if kind == PledgeKind.ITEMS:
            self._counts_are_whole_numbers()
        return cleaned

    def _counts_are_whole_numbers(self):
        """An items pledge's column holds counts: a count below one, or with decimals, is told
        so in its own words, not with the money's floor of 0.01 the field checks first."""
        for n in range(1, INSTALMENT_ROWS + 1):
            errors = self._errors.get(f"amount_{n}")
            if errors and any(
                error.code in {"min_value", "max_decimal_places"} for error in errors.as_data()
            ):
                self._errors[f"amount_{n}"] = self.error_class(
                    [_("The count must be a positive whole number.")]
                )

    def field_for_error(self, name: str | None) -> str | None:
        """The form field on which a service error about `name` is shown (None: above the form).

        The service names an instalment by its place among those given
        (`instalments[1].amount`); the form shows it on that instalment's own row.
        """
        match = INSTALMENT_ERROR.fullmatch(name or "")
        if match:
            given = self.cleaned_data.get("instalments", [])
            index = int(match["index"])
            if index < len(given):
                return f"{match['field']}_{given[index]['row']}"
            return None
        return name if name in self.fields else None
