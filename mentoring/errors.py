"""The one family of domain exceptions.

Services raise these; `config.api.exception_handler` turns them into JSON.
They live in the lowest app so that every app can raise them.
"""


class DomainError(Exception):
    """A request that the domain rules refuse.

    `field` names the input the message is about (None for the request as a
    whole); `extra` adds keys to the error body, such as the allowed actions.
    """

    status_code = 400

    def __init__(self, message, *, field: str | None = None, extra: dict | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.extra = extra or {}


class NotPermitted(DomainError):
    """The user is known, and the rules say they may not do this."""

    status_code = 403


class Conflict(DomainError):
    """The request is valid but not in the current state of the record."""

    status_code = 409


class FieldErrors(DomainError):
    """Several inputs refused at once: `errors` maps each field to its messages.

    A field of a nested list is named by its path, e.g. `instalments[2].due_on`
    (counted from 0), so that a client sees every bad field in one answer.
    """

    def __init__(self, errors: dict[str, list]):
        first, *rest = errors
        super().__init__(
            errors[first][0], field=first, extra={name: list(errors[name]) for name in rest}
        )
        self.errors = errors
