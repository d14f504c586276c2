"""The session and score forms of the mentor's page.

The form only turns the posted text into values of the right type; every rule
about a session (the date window, the minutes, a subject for tutoring, the
content) is checked by `mentoring.services.sessions.session_log`, the same
function the API calls, and all its errors are shown at once on the fields
they name, with the form's own (a field the form refused is not checked again).
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from mentoring.models import SessionKind, Subject

MINUTE_PRESETS = [20, 30, 45, 60, 90]


class SessionForm(forms.Form):
    date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    minutes = forms.TypedChoiceField(
        label=_("Minutes"),
        choices=[(m, str(m)) for m in MINUTE_PRESETS],
        coerce=int,
        required=False,
        widget=forms.RadioSelect,
    )
    other_minutes = forms.IntegerField(
        label=_("Other length (minutes)"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=SessionKind.choices, widget=forms.RadioSelect)
    subject = forms.ChoiceField(
        label=_("Subject"), choices=[("", "—"), *Subject.choices], required=False
    )
    content = forms.CharField(
        label=_("What was done"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        cleaned = super().clean()
        # A length typed in wins over a preset, so a teacher need not unselect one.
        other = cleaned.get("other_minutes")
        if other is not None:
            cleaned["minutes"] = other
        elif cleaned.get("minutes") in (None, "") and not (
            {"minutes", "other_minutes"} & set(self.errors)
        ):
            self.add_error("minutes", _("Choose the length or type it in."))
        return cleaned

    def field_for_error(self, name: str | None) -> str | None:
        """The form field on which a service error about `name` is shown."""
        return name if name in self.fields else None


class ScoreForm(forms.Form):
    """A mentee's score in one subject this term; the range and the decimals are the service's."""

    subject = forms.ChoiceField(label=_("Subject"), choices=[("", "—"), *Subject.choices])
    start_score = forms.DecimalField(
        label=_("Opening exam"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
    )
    end_score = forms.DecimalField(
        label=_("Closing exam"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
    )

    def __init__(self, *args, **kwargs):
        # Its own element ids: the session form on the same page has a subject too.
        kwargs.setdefault("auto_id", "score_%s")
        super().__init__(*args, **kwargs)

    def field_for_error(self, name: str | None) -> str | None:
        return name if name in self.fields else None
