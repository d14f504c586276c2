"""The request and answer of `assessments/government-list/` (the viewset is in
`mentoring.apis.assessments`; the rules in `mentoring.services.government_list`)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.serializers import StrictSerializer
from mentoring.apis.codes import term_field
from mentoring.services import government_list

MAX_LIST_FILE_BYTES = 5 * 1024 * 1024


class GovernmentListRowSerializer(StrictSerializer):
    # Both may be blank here: the service checks every row and reports them all.
    id_number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    category = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    tier = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("The row's tier (code or name); blank: the tier stated for the list."),
    )


class GovernmentListSerializer(StrictSerializer):
    term = term_field()
    tier = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("The tier of every row that gives none; a row with no tier at all is refused."),
    )
    rows = GovernmentListRowSerializer(
        many=True, required=False, max_length=government_list.MAX_GOVERNMENT_LIST_ROWS
    )
    file = serializers.FileField(
        required=False,
        help_text=_(
            "CSV with the columns id_number (身份证号码) and category (类别), "
            "and optionally tier (档次)."
        ),
    )

    def validate_file(self, file):
        if file.size > MAX_LIST_FILE_BYTES:
            raise serializers.ValidationError(_("The file is larger than 5 MB."))
        return file

    def validate(self, attrs):
        if ("rows" in attrs) == ("file" in attrs):
            raise serializers.ValidationError(
                {"rows": [_("Send either rows (JSON) or a file (CSV), not both or neither.")]}
            )
        return attrs


def _list_rows(data) -> list:
    """The rows of a government list sent as JSON, numbered from 1."""
    return [
        government_list.GovernmentListRow(
            row=number, id_number=row["id_number"], category=row["category"], tier=row["tier"]
        )
        for number, row in enumerate(data["rows"], start=1)
    ]


class GovernmentListResultSerializer(serializers.Serializer):
    term = serializers.IntegerField()
    rows = serializers.IntegerField()
    matched = serializers.IntegerField()
    created = serializers.IntegerField()
    already_assessed = serializers.IntegerField()
    unmatched = serializers.IntegerField()
    unmatched_rows = serializers.ListField(child=serializers.DictField())
    assessments = serializers.ListField(child=serializers.IntegerField())
