"""Events that revoke an account's tokens, whichever path caused them.

A role removed (a membership deleted, or its role, school or account changed)
and a logout from a page (the mentor's page, the admin, the browsable API)
end every JWT issued to the account. Account changes themselves (password,
deactivation, flags) are handled by `User.save`. Signals catch every path:
the API's services, the Django admin, cascades and `QuerySet.delete()`.
"""

from django.contrib.auth.models import update_last_login
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_delete, pre_save
from django.dispatch import receiver
from django.utils import timezone

from mentoring.models import Membership, User, revoke_tokens_of


@receiver(pre_save, sender=Membership, dispatch_uid="mentoring.membership_changed")
def revoke_tokens_when_a_role_changes(sender, instance: Membership, raw=False, **kwargs):
    if raw or instance._state.adding:
        return
    fields = ("user_id", "school_id", "role")
    stored = Membership.objects.filter(pk=instance.pk).values(*fields).first()
    if stored is None:
        return
    if any(stored[name] != getattr(instance, name) for name in fields):
        revoke_tokens_of([stored["user_id"]])


@receiver(post_delete, sender=Membership, dispatch_uid="mentoring.membership_deleted")
def revoke_tokens_when_a_role_is_removed(sender, instance: Membership, **kwargs):
    revoke_tokens_of([instance.user_id])


@receiver(user_logged_out, dispatch_uid="mentoring.logged_out")
def revoke_tokens_at_logout(sender, request, user, **kwargs):
    if user is not None and user.pk is not None:
        user.revoke_tokens()


# Django records the time of a login with `user.save(update_fields=["last_login"])`,
# and django-simple-history writes a history row for every save, even one of
# an excluded field: every login of every account would add a row to the
# account's audit history. The time is written with an UPDATE instead, which
# history does not see (the field is excluded from it anyway).
user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")


@receiver(user_logged_in, dispatch_uid="mentoring.last_login")
def record_last_login(sender, request, user, **kwargs):
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(last_login=now)
    user.last_login = now
