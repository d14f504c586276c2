"""`/`: a signed-in user's own page, by role; a short sign-in page for anyone else.

The Django admin's "view site" link leads here too. Today a mentor has the
mentor's page, a donor the donor's page, a supervisor the supervisor's page,
a school or district administrator the console (`/console/`) and a platform
administrator the admin; anyone else the API's documentation.
"""

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mentoring.models import Role, User
from mentoring.selectors import mentees as selectors
from mentoring.web.views import TEMPLATES
from mentoring.web.views import LoginView as MentorLoginView


def page_for(user: User) -> str:
    """The URL of the user's own page: the admin, the mentor's page, the donor's page,
    the supervisor's page, the console, or the API's documentation."""
    if user.is_superuser:
        return reverse("admin:index")
    if selectors.mentor_of(user) is not None:
        return reverse("teacher:home")
    # The donor profile (donations.Donor) by its reverse relation: no import of donations.
    if getattr(user, "donor", None) is not None:
        return reverse("donor:home")
    if user.memberships.filter(role=Role.SUPERVISOR).exists():
        return reverse("supervisor:home")
    if user.memberships.filter(role=Role.ADMINISTRATOR).exists():
        return reverse("console:home")
    return reverse("swagger-ui")


class SignInView(MentorLoginView):
    """The sign-in form at `/`, for every role; counted with every other login (core.logins)."""

    template_name = TEMPLATES + "login.html"
    extra_context = {"hint": _("Sign in to Bangfu: each role is then taken to its own page.")}

    def get_default_redirect_url(self):
        return reverse("start")


def start(request):
    if request.user.is_authenticated:
        return redirect(page_for(request.user))
    return SignInView.as_view()(request)
