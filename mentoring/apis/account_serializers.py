from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.serializers import StrictSerializer
from mentoring.apis.codes import school_field
from mentoring.models import Membership, Role, User


class MembershipSerializer(serializers.ModelSerializer):
    school_code = serializers.CharField(source="school.code", read_only=True)
    school_name = serializers.CharField(source="school.name", read_only=True)

    class Meta:
        model = Membership
        fields = ["school", "school_code", "school_name", "role"]


class MeSerializer(serializers.ModelSerializer):
    is_platform_admin = serializers.BooleanField(read_only=True)
    roles = serializers.SerializerMethodField()
    memberships = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_platform_admin",
            "roles",
            "memberships",
        ]

    def get_roles(self, user) -> list[str]:
        return sorted({m.role for m in self.context["memberships"]})

    def get_memberships(self, user) -> list[dict]:
        return MembershipSerializer(self.context["memberships"], many=True).data


class UserSerializer(serializers.ModelSerializer):
    """An account as an administrator sees it: memberships in their own schools only."""

    memberships = MembershipSerializer(source="visible_memberships", many=True, read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_active",
            "date_joined",
            "memberships",
        ]
        read_only_fields = ["id", "username", "date_joined"]


class UserCreateSerializer(StrictSerializer):
    username = serializers.RegexField(
        r"^[\w.@+-]+\Z",
        max_length=150,
        error_messages={
            "invalid": _("Use letters, digits and @/./+/-/_ only."),
        },
    )
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=150, default="")
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=150, default="")
    role = serializers.ChoiceField(choices=Role.choices)
    schools = serializers.ListField(child=school_field(), allow_empty=False, max_length=500)


class UserUpdateSerializer(StrictSerializer):
    email = serializers.EmailField(required=False, allow_blank=True)
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    is_active = serializers.BooleanField(required=False)


class UnlockSerializer(serializers.Serializer):
    failures_cleared = serializers.IntegerField(
        read_only=True,
        help_text=_("Recent failed logins forgotten; 0 if the account was not locked."),
    )
