"""Typed access to environment variables.

Every setting that comes from the environment goes through `Env`. A value that
is present but malformed raises `ImproperlyConfigured` naming the variable, so a
typo in a deployment stops the process at start instead of running with a
silently different configuration.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

_MISSING = object()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class Env:
    def __init__(self, environ: Mapping[str, str] | None = None):
        self._environ = os.environ if environ is None else environ

    def _raw(self, name: str, default):
        value = self._environ.get(name)
        if value is None or value == "":
            if default is _MISSING:
                raise ImproperlyConfigured(f"The environment variable {name} must be set.")
            return None
        return value

    def is_set(self, name: str) -> bool:
        return bool(self._environ.get(name))

    def str(self, name: str, default=_MISSING) -> str | None:
        raw = self._raw(name, default)
        return default if raw is None else raw

    def bool(self, name: str, default=_MISSING) -> bool:
        raw = self._raw(name, default)
        if raw is None:
            return default
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a boolean; use one of {sorted(_TRUE | _FALSE)}."
        )

    def int(
        self,
        name: str,
        default=_MISSING,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int:
        raw = self._raw(name, default)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None
        if minimum is not None and value < minimum:
            raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
        if maximum is not None and value > maximum:
            raise ImproperlyConfigured(f"{name}={value} must be at most {maximum}.")
        return value

    def list(self, name: str, default=_MISSING) -> list[str]:
        raw = self._raw(name, default)
        if raw is None:
            return list(default)
        items = [item.strip() for item in raw.split(",")]
        if any(not item for item in items):
            raise ImproperlyConfigured(f"{name}={raw!r} has an empty item.")
        return items

    def url(self, name: str, default=_MISSING, *, schemes: tuple[str, ...]) -> str | None:
        raw = self._raw(name, default)
        if raw is None:
            return default
        parsed = urlparse(raw)
        if parsed.scheme not in schemes:
            raise ImproperlyConfigured(
                f"{name} must start with one of {', '.join(s + '://' for s in schemes)}; "
                f"got {parsed.scheme or 'no scheme'!r}."
            )
        return raw
