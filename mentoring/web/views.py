"""The mentor's page: a teacher or volunteer sees their mentees, logs sessions, reads reminders.

Server-rendered HTML for a phone, behind Django's session login and CSRF
protection. Views are thin: reads come from `mentoring.selectors`, writes go
through the same services as the API, and a service's error is shown on the
field it names, with nothing written.
"""

import datetime
from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError, FieldErrors, ValidationErrors
from core.pages import role_page
from mentoring.models import AccessAction, SessionKind
from mentoring.selectors import mentees as selectors
from mentoring.selectors.visit_plans import planned_visits_of
from mentoring.services import notifications as notification_services
from mentoring.services import scores as score_services
from mentoring.services import sessions as session_services
from mentoring.services.access_log import access_record_request
from mentoring.web.forms import ScoreForm, SessionForm

LOGIN_URL = "teacher:login"
# The id of the page's banner (base.html), where a saved session lands.
SAVED_ANCHOR = "messages"
TEMPLATES = "mentoring/teacher/"


class LoginView(auth_views.LoginView):
    """Session login. Failures and lockouts are counted with every other login (core.logins):
    a locked-out attempt is shown this form again, with the lockout as its error, and 429.
    """

    template_name = TEMPLATES + "login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return reverse("teacher:home")


class LogoutView(auth_views.LogoutView):
    next_page = LOGIN_URL


# Signed-in users with a mentor profile only; anyone else is told the page is not theirs.
mentor_page = role_page(
    selectors.mentor_of, refused=TEMPLATES + "not_a_mentor.html", login_url=LOGIN_URL
)


def _not_found(request):
    # A pairing of another mentor and one that does not exist look the same.
    return render(request, TEMPLATES + "not_found.html", status=404)


@mentor_page
def home(request, mentor):
    today = timezone.localdate()
    pairings = selectors.current_first(list(selectors.active_pairings_of(mentor)), today=today)
    weeks = selectors.week_status(pairings, today=today)
    mentees = [SimpleNamespace(pairing=p, week=weeks[p.pk]) for p in pairings]
    access_record_request(
        request,
        action=AccessAction.LIST,
        kind="pairing",
        student_ids=[pairing.student_id for pairing in pairings],
    )
    return render(
        request,
        TEMPLATES + "home.html",
        {
            "mentor": mentor,
            "mentees": mentees,
            "today": today,
            "unread": selectors.unread_notification_count(request.user),
        },
    )


def _initial(mentor, pairing, today) -> dict:
    """Today, 45 minutes of tutoring, in the subject of the mentee's last session.

    A mentor who has always taught this mentee Chinese should not have to
    change the subject every time; the mentor's first subject serves only
    before the first session.
    """
    subjects = [s for s in mentor.subjects if s]
    subject = selectors.last_session_subject(pairing)
    return {
        "date": today,
        "minutes": 45,
        "kind": SessionKind.TUTORING,
        "subject": subject or (subjects[0] if subjects else ""),
    }


def _asked_day(value: str | None, today: datetime.date) -> datetime.date | None:
    """The ISO day a link asks the form to start on, if it is one and not in the future."""
    try:
        day = datetime.date.fromisoformat(value or "")
    except ValueError:
        return None
    return day if day <= today else None


@mentor_page
def mentee(request, mentor, pairing_id: int):
    pairing = selectors.active_pairing_of(mentor, pairing_id)
    if pairing is None:
        return _not_found(request)
    today = timezone.localdate()
    if request.method == "POST":
        form = SessionForm(request.POST)
        valid = form.is_valid()
        data = form.cleaned_data
        errors = ValidationErrors()
        try:
            if valid:
                session_services.session_log(
                    by=request.user,
                    pairing_id=pairing.pk,
                    day=data["date"],
                    minutes=data["minutes"],
                    kind=data["kind"],
                    subject=data["subject"],
                    content=data["content"],
                )
            else:
                # The service's checks of the fields the form read, shown
                # with the form's own errors: every mistake in one answer.
                session_services.session_log_problems(
                    errors,
                    by=request.user,
                    pairing_id=pairing.pk,
                    day=data.get("date"),
                    # A length left empty or refused by the form is not checked again.
                    minutes=data.get("minutes") if isinstance(data.get("minutes"), int) else None,
                    kind=data.get("kind"),
                    subject=data.get("subject"),
                    content=data.get("content"),
                )
        except FieldErrors as error:
            errors.add_error(error)
        except DomainError as error:
            # Not about one field (or a field the form has not): above the form.
            errors.add(error.field or "__all__", error.message)
        if valid and not errors:
            messages.success(request, _("Session saved."))
            # To the banner, with the week's figures below it: a browser keeps the
            # scroll position of the form it posted from otherwise, and the saved
            # session would seem to have vanished into an empty form.
            url = reverse("teacher:mentee", kwargs={"pairing_id": pairing.pk})
            return redirect(f"{url}#{SAVED_ANCHOR}")
        for field, field_messages in errors.errors.items():
            for message in field_messages:
                form.add_error(form.field_for_error(field), str(message))
        status = 400
    else:
        # A reminder's "log a session" asks for a day of the week it is about.
        day = _asked_day(request.GET.get("date"), today) or today
        form = SessionForm(initial=_initial(mentor, pairing, day))
        status = 200
        access_record_request(
            request,
            action=AccessAction.READ,
            kind="pairing",
            student_ids=[pairing.student_id],
            object_id=pairing.pk,
        )
    return _mentee_page(request, mentor, pairing, form=form, status=status)


def _mentee_page(request, mentor, pairing, *, form=None, score_form=None, status=200):
    today = timezone.localdate()
    week = selectors.week_status([pairing], today=today)[pairing.pk]
    selectors.current_first([pairing], today=today)
    context = {
        "mentor": mentor,
        "pairing": pairing,
        "week": week,
        "form": form or SessionForm(initial=_initial(mentor, pairing, today)),
        "score_form": score_form or ScoreForm(),
        "scores": selectors.term_scores(pairing),
        "sessions": selectors.recent_sessions(pairing),
        "planned_visits": planned_visits_of(pairing),
        "unread": selectors.unread_notification_count(request.user),
    }
    return render(request, TEMPLATES + "mentee.html", context, status=status)


@require_POST
@mentor_page
def mentee_score(request, mentor, pairing_id: int):
    """Enter the mentee's score in a subject for the pairing's term (`score_save`, as the API)."""
    pairing = selectors.active_pairing_of(mentor, pairing_id)
    if pairing is None:
        return _not_found(request)
    form = ScoreForm(request.POST)
    valid = form.is_valid()
    data = form.cleaned_data
    # An exam left blank is left as it is; the form's refusals are checked no further.
    scores = {exam: data[exam] for exam in score_services.EXAMS if data.get(exam) is not None}
    errors = ValidationErrors(form.errors)
    try:
        if valid:
            score_services.score_save(
                by=request.user,
                student_id=pairing.student_id,
                term_id=pairing.term_id,
                subject=data["subject"],
                scores=scores,
            )
        else:
            score_services.score_save_problems(
                errors,
                by=request.user,
                student_id=pairing.student_id,
                term_id=pairing.term_id,
                subject=data.get("subject"),
                scores=scores,
            )
    except FieldErrors as error:
        errors.add_error(error)
    except DomainError as error:
        errors.add(error.field or "__all__", error.message)
    if valid and not errors:
        messages.success(request, _("Score saved."))
        url = reverse("teacher:mentee", kwargs={"pairing_id": pairing.pk})
        return redirect(f"{url}#{SAVED_ANCHOR}")
    for field, field_messages in errors.errors.items():
        if field in form.errors:
            continue  # the form's own, shown already
        for message in field_messages:
            form.add_error(form.field_for_error(field), str(message))
    return _mentee_page(request, mentor, pairing, score_form=form, status=400)


@mentor_page
def reminders(request, mentor):
    return render(
        request,
        TEMPLATES + "reminders.html",
        {
            "mentor": mentor,
            "reminders": selectors.reminders_of(request.user, mentor),
            "unread": selectors.unread_notification_count(request.user),
        },
    )


@require_POST
@mentor_page
def reminder_read(request, mentor, notification_id: int):
    if not notification_services.notification_mark_read(
        by=request.user, notification_id=notification_id
    ):
        return _not_found(request)
    return redirect("teacher:reminders")


@require_POST
@mentor_page
def reminders_read_all(request, mentor):
    notification_services.notifications_mark_all_read(by=request.user)
    return redirect("teacher:reminders")
