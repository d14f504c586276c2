"""Writes that span rows or need a transaction."""

import logging

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core import logins
from core.errors import DomainError, NotPermitted, ValidationErrors, checked
from mentoring.models import Membership, Role, School, User
from mentoring.selectors.accounts import schools_administered_by

logger = logging.getLogger(__name__)

UNLOCK_CHANGE_REASON = "Login lockout cleared"


def _schools_for(*, by: User, school_ids: list[int]) -> list[School]:
    """The requested schools, all of which `by` must administer.

    A school that does not exist is refused exactly like one administered by
    somebody else, so the answer never tells which schools exist.
    """
    wanted = sorted(set(school_ids))
    schools = list(schools_administered_by(by).filter(pk__in=wanted).order_by("pk"))
    missing = sorted(set(wanted) - {school.pk for school in schools})
    if missing:
        message = _(
            "You can only manage accounts in schools you administer; "
            "check these school ids: %(ids)s."
        ) % {"ids": ", ".join(map(str, missing))}
        raise NotPermitted(message, field="schools")
    return schools


def user_create_problems(
    errors: ValidationErrors,
    *,
    by: User,
    username: str | None,
    password: str | None,
    role: str | None,
    school_ids: list[int] | None,
    email: str | None = "",
    first_name: str | None = "",
    last_name: str | None = "",
) -> list[School] | None:
    """Add to `errors` everything wrong with this new account; answers its schools.

    Every field is checked, so one answer names them all; an input given as
    None is not checked (left out, or refused already by the caller). A
    school `by` does not administer is refused outright (403).
    """
    if role is not None and role not in Role.values:
        errors.add("role", _("Unknown role."))
    schools = _schools_for(by=by, school_ids=school_ids) if school_ids is not None else None
    if username is not None and User.objects.filter(username=username).exists():
        errors.add("username", _("This username is taken."))
    if password is not None:
        user = User(
            username=username or "",
            email=email or "",
            first_name=first_name or "",
            last_name=last_name or "",
        )
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            errors.add("password", " ".join(exc.messages))
    return schools


@transaction.atomic
def user_create(
    *,
    by: User,
    username: str,
    password: str,
    role: str,
    school_ids: list[int],
    email: str = "",
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create an account with one role in each of the given schools.

    Every field is checked before anything is written; all that is wrong is
    refused in one `FieldErrors`.
    """
    schools = checked(
        user_create_problems,
        by=by,
        username=username,
        password=password,
        role=role,
        school_ids=school_ids,
        email=email,
        first_name=first_name,
        last_name=last_name,
    )
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise DomainError(_("This username is taken."), field="username") from None
    # One save per membership (not bulk_create) so each lands in the audit history.
    for school in schools:
        Membership.objects.create(user=user, school=school, role=role)
    return user


@transaction.atomic
def user_update(*, by: User, user: User, **fields) -> User:
    """Change an account's name, e-mail or active flag.

    Only an administrator of every school the account belongs to may change
    it, so that one school cannot lock out another school's staff.
    """
    if user.is_superuser and not by.is_superuser:
        raise NotPermitted(_("Only a platform administrator can change this account."))
    if not by.is_superuser:
        member_of = set(user.memberships.values_list("school_id", flat=True))
        administered = set(
            schools_administered_by(by).filter(pk__in=member_of).values_list("pk", flat=True)
        )
        if member_of - administered:
            raise NotPermitted(_("This account also belongs to schools you do not administer."))
    if user.pk == by.pk and fields.get("is_active") is False:
        raise DomainError(_("You cannot deactivate your own account."), field="is_active")
    if not fields:
        return user
    allowed = {"first_name", "last_name", "email", "is_active"}
    for name, value in fields.items():
        if name not in allowed:
            raise DomainError(_("This field cannot be changed here."), field=name)
        setattr(user, name, value)
    user.save(update_fields=sorted(fields))
    return user


@transaction.atomic
def user_unlock(*, by: User, user: User) -> int:
    """End an account's login lockout (core.logins); answers how many recent failures it forgets.

    Any administrator who sees the account may, except that only a platform
    administrator unlocks a platform administrator: a lockout slows down
    password guessing, and the most powerful accounts keep that protection.
    An address locked out is cleared in the Django admin (access attempts).
    """
    if user.is_superuser and not by.is_superuser:
        raise NotPermitted(_("Only a platform administrator can unlock this account."))
    cleared = logins.clear_account(user.get_username())
    if cleared:
        # A history row of the account says who unlocked it and when.
        User.history.bulk_history_create(
            [user], update=True, default_user=by, default_change_reason=UNLOCK_CHANGE_REASON
        )
        logger.info("Login lockout of account %s cleared by account %s.", user.pk, by.pk)
    return cleared
