"""The families' application page, included under /apply/ by config.urls."""

from django.urls import path

from mentoring.web import apply

app_name = "apply"

urlpatterns = [
    path("", apply.code_entry, name="code"),
    path("done/", apply.done, name="done"),
    path("<str:code>/", apply.application_form, name="form"),
]
