"""Guardians' bank accounts: the one way to record one, and the one way to read its number.

Every path that records an account (the API; later imports) calls
`guardian_account_set`; the whole number is opened only by
`guardian_account_number`, for the bank's payment list, never for a screen,
an answer or a log.
"""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import NotPermitted, ValidationErrors, checked
from mentoring import bank_accounts
from mentoring.models import GuardianAccount, Student, User
from mentoring.selectors.accounts import schools_administered_by
from mentoring.selectors.scoping import administers_school


def guardian_account_problems(
    errors: ValidationErrors,
    *,
    holder_name: str | None = None,
    bank_name: str | None = None,
    account_number: str | None = None,
) -> str | None:
    """Add what is wrong with each field to `errors`; the normalised number when it is good.

    A value None is not checked (left out, or refused already by the caller).
    """
    if holder_name is not None and not holder_name.strip():
        errors.add("holder_name", _("Give the name of the account holder."))
    if bank_name is not None and not bank_name.strip():
        errors.add("bank_name", _("Give the name of the bank."))
    if account_number is None:
        return None
    try:
        return bank_accounts.validate(account_number)
    except bank_accounts.InvalidAccountNumber:
        errors.add(
            "account_number",
            _("An account number has %(min)s to %(max)s digits.")
            % {"min": bank_accounts.MIN_DIGITS, "max": bank_accounts.MAX_DIGITS},
        )
        return None


@transaction.atomic
def guardian_account_set(
    *, by: User, student: Student, holder_name: str, bank_name: str, account_number: str
) -> GuardianAccount:
    """Record (or replace) the account a student's subsidies are paid into.

    Only an administrator of the student's school may; every field is
    checked before anything is written. The history (simple_history) keeps
    each version with who changed it, the number only encrypted and masked.
    """
    if not administers_school(by, student.school_id):
        raise NotPermitted(
            _("Only an administrator of the student's school can record the guardian's account.")
        )
    number = checked(
        guardian_account_problems,
        holder_name=holder_name,
        bank_name=bank_name,
        account_number=account_number,
    )
    account = GuardianAccount.objects.select_for_update().filter(student=student).first()
    if account is None:
        account = GuardianAccount(student=student)
    account.holder_name = holder_name.strip()
    account.bank_name = bank_name.strip()
    account.number_masked = bank_accounts.mask(number)
    account.number_hash = bank_accounts.keyed_hash(number, key=settings.ID_HASH_KEY)
    # A number unchanged keeps its token, so that the history shows no change of number.
    unchanged = account.pk and _opens_to(account.number_encrypted, number)
    if not unchanged:
        account.number_encrypted = bank_accounts.encrypt(
            number, keys=settings.GUARDIAN_ACCOUNT_KEYS
        )
    account.updated_by = by
    account.save()
    return account


def _opens_to(token: str, number: str) -> bool:
    try:
        return bank_accounts.decrypt(token, keys=settings.GUARDIAN_ACCOUNT_KEYS) == number
    except bank_accounts.AccountKeyMismatch:
        # Written with a key no longer configured: write it again with the current one.
        return False


def guardian_account_number(account: GuardianAccount) -> str:
    """The whole number, for the bank's payment list only.

    Raises `bank_accounts.AccountKeyMismatch` when the configured keys do not
    open it: a payment list is never made with a number missing or wrong.
    """
    return bank_accounts.decrypt(account.number_encrypted, keys=settings.GUARDIAN_ACCOUNT_KEYS)


def students_sharing_account(account: GuardianAccount, *, seen_by: User) -> list[int]:
    """Other students paid into the same account, among the schools `seen_by` administers.

    Siblings share a guardian's account; a number typed on the wrong student
    shows here too. One query.
    """
    return list(
        GuardianAccount.objects.filter(
            number_hash=account.number_hash,
            student__school__in=schools_administered_by(seen_by),
        )
        .exclude(pk=account.pk)
        .order_by("student_id")
        .values_list("student_id", flat=True)
    )
