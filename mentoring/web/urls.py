"""The mentor's page, included under /teacher/ by config.urls."""

from django.urls import path

from mentoring.web import views

app_name = "teacher"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("mentees/<int:pairing_id>/", views.mentee, name="mentee"),
    path("mentees/<int:pairing_id>/scores/", views.mentee_score, name="mentee-score"),
    path("reminders/", views.reminders, name="reminders"),
    path("reminders/read/", views.reminders_read_all, name="reminders-read-all"),
    path("reminders/<int:notification_id>/read/", views.reminder_read, name="reminder-read"),
]
