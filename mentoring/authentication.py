"""Bearer authentication with tokens that can be revoked (REST_FRAMEWORK settings).

Every token carries the account's `token_generation` (claim `gen`); a token of
an earlier generation is refused. The account row is loaded anyway, so this
costs no query. Kept apart from the views (mentoring.apis.tokens) because DRF
imports authentication classes while its own views module is loading.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from mentoring.models import User

GENERATION_CLAIM = "gen"

REVOKED = _("This token has been revoked. Log in again.")


class RefreshToken(tokens.RefreshToken):
    """A refresh token that carries the account's token generation, as do its access tokens."""

    @classmethod
    def for_user(cls, user: User) -> "RefreshToken":
        token = super().for_user(user)
        token[GENERATION_CLAIM] = user.token_generation
        # simplejwt recorded the token before the claim was added: record the
        # token as issued.
        OutstandingToken.objects.filter(jti=token[api_settings.JTI_CLAIM]).update(token=str(token))
        return token


def is_current(token, user: User | None) -> bool:
    return (
        user is not None and user.is_active and token.get(GENERATION_CLAIM) == user.token_generation
    )


class BearerAuthentication(JWTAuthentication):
    """simplejwt's bearer authentication that also refuses tokens of an earlier generation."""

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        if not is_current(validated_token, user):
            raise AuthenticationFailed(REVOKED, code="token_revoked")
        return user
