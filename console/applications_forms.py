"""The forms of `/console/identification/start/` (console.applications).

Each form reads the fields of the API request it stands for (the
serializers of `mentoring.apis.applications` and
`mentoring.apis.government_list`); what the fields must say beyond their
shape is the service's check, run on the fields that passed, so that one
answer names every bad field. The forms that write carry a key made when
the form was shown: the write runs under it (core.idempotency.once), so a
second click replays the first answer and writes nothing.
"""

import uuid

from django import forms
from django.utils.translation import gettext_lazy

from core.idempotency import MAX_KEY_LENGTH
from mentoring.models import ApplicantRelation, HardshipKind
from mentoring.services.applications import MAX_TEXT_LENGTH


class KeyedForm(forms.Form):
    """A form that writes: its key, made when it is shown, is required."""

    key = forms.CharField(
        max_length=MAX_KEY_LENGTH,
        widget=forms.HiddenInput,
        error_messages={
            "required": gettext_lazy("The form is out of date; reload the page and send it again.")
        },
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)

    def field_for_error(self, name: str | None) -> str | None:
        """The form field on which a service error about `name` is shown."""
        return name if name in self.fields and name != "key" else None


class GovernmentListForm(forms.Form):
    term = forms.IntegerField(label=gettext_lazy("Term"), widget=forms.HiddenInput)
    tier = forms.CharField(label=gettext_lazy("Tier of the list"), max_length=30, required=False)
    file = forms.FileField(
        label=gettext_lazy("Government list (.csv)"),
        error_messages={"required": gettext_lazy("Choose the list file (.csv).")},
    )

    def field_for_error(self, name: str | None) -> str | None:
        return name if name in self.fields else None


class RecordForm(KeyedForm):
    """A family's application recorded on its behalf: the fields of the API's `applications/`."""

    term = forms.IntegerField(label=gettext_lazy("Term"), widget=forms.HiddenInput)
    student = forms.IntegerField(
        label=gettext_lazy("Student"),
        min_value=1,
        error_messages={"required": gettext_lazy("Find the student and choose them.")},
    )
    guardian_name = forms.CharField(label=gettext_lazy("Applicant"), max_length=50)
    guardian_relation = forms.ChoiceField(
        label=gettext_lazy("Relation to the student"), choices=ApplicantRelation.choices
    )
    guardian_phone = forms.RegexField(
        label=gettext_lazy("Applicant's phone"),
        regex=r"^[0-9+\- ]{7,20}$",
        max_length=20,
        error_messages={"invalid": gettext_lazy("Give a phone number the school can call.")},
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    # Not required here: none chosen is the service's "choose at least one".
    hardship_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Hardship kinds"),
        choices=HardshipKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    income_per_capita = forms.DecimalField(
        label=gettext_lazy("Yearly income per person (yuan)"),
        required=False,
        min_value=0,
        max_value=10_000_000,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    circumstances = forms.CharField(
        label=gettext_lazy("Circumstances"),
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    commitment = forms.CharField(
        label=gettext_lazy("Written commitment"),
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ConfirmForm(KeyedForm):
    student = forms.IntegerField(
        label=gettext_lazy("Student"),
        min_value=1,
        error_messages={"required": gettext_lazy("Choose the student on the roster.")},
    )


class DeclineForm(KeyedForm):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=MAX_TEXT_LENGTH)


class CodeOpenForm(KeyedForm):
    term = forms.IntegerField(label=gettext_lazy("Term"), widget=forms.HiddenInput)
    school = forms.IntegerField(
        label=gettext_lazy("School"),
        min_value=1,
        error_messages={"required": gettext_lazy("Choose one of your schools.")},
    )


class CodeCloseForm(KeyedForm):
    pass


def named(form) -> list[str]:
    """Every error of the form, each with its field's label."""
    out = []
    for name, found in form.errors.items():
        label = form.fields[name].label if name in form.fields and name != "key" else ""
        out.extend(f"{label}: {message}" if label else str(message) for message in found)
    return out
