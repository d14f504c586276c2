"""The one family of domain exceptions.

Services raise these; `core.exception_handler` turns them into JSON.
They live in core, which imports no domain app, so that every app can raise them.
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

    def __init__(self, errors: dict[str, list], *, extra: dict | None = None):
        first = next(iter(errors))
        # `extra` holds every field's messages, the first field's too, so
        # that the answer keeps all of them (it overrides `field`'s one),
        # and any keys a check adds, such as the name of a broken rule.
        super().__init__(
            _first_message(errors[first]),
            field=first,
            extra={**(extra or {}), **{name: _messages(errors[name]) for name in errors}},
        )
        self.errors = errors


def _messages(value):
    """A field's messages as a list; a nested serializer's errors (a dict by item) as they are."""
    return dict(value) if isinstance(value, dict) else list(value)


def _first_message(value):
    while isinstance(value, dict | list) and value:
        value = next(iter(value.values())) if isinstance(value, dict) else value[0]
    return value


class ValidationErrors:
    """Collects the field errors of one request, so that it is answered with all of them.

    A service checks every input to the end, adding what is wrong with
    `add(field, message)` (or taking in a `DomainError` that names a field
    with `add_error`), then calls `raise_if_any()` once: one
    `FieldErrors` names every bad field, and nothing has been written. A view
    starts it with the serializer's errors, so the service's checks of the
    fields that passed come in the same answer (`FieldErrors` then carries
    both). A check skips an input given as None: left out, or refused already.
    """

    def __init__(self, errors=None):
        # A nested serializer's errors stay a dict (by item, then field).
        self.errors: dict[str, list] = {
            name: _messages(messages) for name, messages in (errors or {}).items()
        }
        self.extra: dict = {}

    def add(self, field: str, message, *, extra: dict | None = None) -> None:
        """Add a field's message; `extra` adds keys to the answer (e.g. the rule broken)."""
        messages = self.errors.setdefault(field, [])
        if isinstance(messages, dict):
            # A nested serializer's errors, and now one about the whole list.
            messages = self.errors[field] = [messages]
        messages.append(message)
        self.extra.update(extra or {})

    def has(self, field: str) -> bool:
        return field in self.errors

    def __bool__(self) -> bool:
        return bool(self.errors)

    def add_error(self, error: DomainError) -> None:
        """Take in a refusal naming fields; one that names none is raised as it is."""
        if isinstance(error, FieldErrors):
            for field, messages in error.errors.items():
                for message in [messages] if isinstance(messages, dict) else messages:
                    self.add(field, message)
        elif error.field and error.status_code == 400:
            self.add(error.field, error.message)
        else:
            raise error

    def raise_if_any(self) -> None:
        if self.errors:
            raise FieldErrors(self.errors, extra=self.extra)


def checked(problems, /, *args, **fields):
    """Run a service's own checks, `problems(errors, *args, **fields)`, before it writes.

    Raises one `FieldErrors` naming every bad field when any check failed;
    otherwise returns what the checks found (the rows they loaded).
    """
    errors = ValidationErrors()
    found = problems(errors, *args, **fields)
    errors.raise_if_any()
    return found


def validated_data(payload, problems) -> dict:
    """The payload's validated data, or one `FieldErrors` naming every bad field.

    When the serializer refuses some fields, `problems(errors, fields)` runs the
    service's own checks of the fields that passed (`core.serializers.valid_fields`),
    adding to the same `errors`, so that one answer names them all.
    """
    if not payload.is_valid():
        from core.serializers import valid_fields

        errors = ValidationErrors(payload.errors)
        problems(errors, valid_fields(payload))
        errors.raise_if_any()
    return payload.validated_data
