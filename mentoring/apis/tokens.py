"""JWT login, refresh and logout, with tokens that can be revoked.

Every token carries the account's `token_generation` (claim `gen`). Each
request and each refresh compares it with the account, which is loaded
anyway, so raising the generation (`User.revoke_tokens`: logout, a new
password, deactivation, a role removed) ends every token issued before, access
tokens included, at no extra query. Refresh tokens also rotate: each is
accepted once and blacklisted (simplejwt's token_blacklist), even when two
requests race with the same token.

Failed logins and lockouts are counted by django-axes for every login path
(core.logins); here a locked-out login answers 429 with Retry-After.
"""

from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings

from core.logins import LoginLockedOut, lockout_of
from mentoring.authentication import REVOKED, RefreshToken, is_current
from mentoring.models import User


class BearerScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of mentoring.authentication.BearerAuthentication: simplejwt's."""

    target_class = "mentoring.authentication.BearerAuthentication"


class LoginSerializer(jwt_serializers.TokenObtainPairSerializer):
    token_class = RefreshToken

    access = serializers.CharField(read_only=True)
    refresh = serializers.CharField(read_only=True)

    def validate(self, attrs):
        request = self.context["request"]
        try:
            data = super().validate(attrs)
        except AuthenticationFailed:
            # authenticate() returns None both for a wrong password and for a
            # lockout; django-axes flags the request in the second case.
            if getattr(request, "axes_locked_out", False):
                credentials = {self.username_field: attrs[self.username_field]}
                raise LoginLockedOut(lockout_of(request, credentials)) from None
            raise
        # What a page login sends too: records last_login, and lets
        # django-axes forget this account's failures from this address.
        user_logged_in.send(sender=type(self.user), request=request, user=self.user)
        return data


class RefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    """Trade a refresh token, once, for an access token and the next refresh token."""

    token_class = RefreshToken

    def validate(self, attrs):
        # Refuses a bad signature, an expired token and one already used.
        refresh = self.token_class(attrs["refresh"])
        user = User.objects.filter(pk=refresh.get(api_settings.USER_ID_CLAIM)).first()
        if not is_current(refresh, user):
            raise AuthenticationFailed(REVOKED, code="token_revoked")
        # The blacklist row is unique per token, so of two requests racing
        # with the same token exactly one creates it and is answered.
        _blacklisted, created = refresh.blacklist()
        if not created:
            raise InvalidToken(_("Token is blacklisted"))
        access = str(refresh.access_token)
        refresh.set_jti()
        refresh.set_exp()
        refresh.set_iat()
        refresh.outstand()
        return {"access": access, "refresh": str(refresh)}


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField(write_only=True)

    def validate_refresh(self, value):
        refresh = RefreshToken(value)
        user = User.objects.filter(pk=refresh.get(api_settings.USER_ID_CLAIM)).first()
        if not is_current(refresh, user):
            raise AuthenticationFailed(REVOKED, code="token_revoked")
        self.user = user
        return refresh


class TokenObtainView(jwt_views.TokenObtainPairView):
    """POST username and password; answers `access` and `refresh` tokens.

    After repeated failures the account or the address is locked: 429 with
    Retry-After, until the lock ends or an administrator unlocks the account.
    """

    serializer_class = LoginSerializer

    @extend_schema(
        responses={
            200: LoginSerializer,
            401: OpenApiResponse(description="Wrong username or password."),
            429: OpenApiResponse(description="Locked out after repeated failures."),
        }
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class TokenRefreshView(jwt_views.TokenRefreshView):
    """POST a refresh token; answers an access token and the next refresh token.

    A refresh token is accepted once; using it again answers 401.
    """

    serializer_class = RefreshSerializer

    @extend_schema(
        responses={
            200: RefreshSerializer,
            401: OpenApiResponse(description="Invalid, expired, used or revoked token."),
        }
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class LogoutView(jwt_views.TokenViewBase):
    """POST the refresh token: every token of the account stops working, this one included.

    No access token is needed, so that a client whose access token has
    expired can still log out.
    """

    serializer_class = LogoutSerializer
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        responses={
            204: None,
            400: OpenApiResponse(description="No refresh token."),
            401: OpenApiResponse(description="Invalid, expired, used or revoked token."),
        }
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except TokenError as exc:
            raise InvalidToken(exc.args[0]) from exc
        serializer.validated_data["refresh"].blacklist()
        serializer.user.revoke_tokens()
        return Response(status=status.HTTP_204_NO_CONTENT)
