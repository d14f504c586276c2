"""One home for "who may open this page", for every server-rendered page.

Each role's pages (the mentor's, the donor's, the supervisor's, the
administrators' console) are opened by the signed-in users a selector finds
something for: the mentor profile, the donor profile, the supervised schools,
the administered schools. `role_page` asks that selector once per request and
hands its answer to the view; a user it finds nothing for is shown the page's
own "not yours" page with 403, and an anonymous visitor is sent to sign in.
The selectors live in the domain apps, so core imports none of them.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

# Anyone signs in at `/` (mentoring.web.start), which then takes each role to its page.
SIGN_IN = "start"


class SignOutView(auth_views.LogoutView):
    """Sign out (POST only, with its CSRF token) and land on the sign-in page."""

    next_page = SIGN_IN


def role_page(holder: Callable[[Any], Any], *, refused: str, login_url: str = SIGN_IN) -> Callable:
    """Decorate a view taking `(request, held, *args)`, where `held = holder(request.user)`.

    `holder` answers what makes the user one of the page's readers (a profile,
    a list of schools); an answer of None or an empty list refuses the page
    with the template `refused` and status 403.
    """

    def decorate(view: Callable) -> Callable:
        @login_required(login_url=login_url)
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            held = holder(request.user)
            if held is None or (isinstance(held, list | tuple) and not held):
                return render(request, refused, status=403)
            return view(request, held, *args, **kwargs)

        return wrapper

    return decorate
