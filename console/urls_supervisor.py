"""The supervisor's page, included under /supervisor/ by config.urls."""

from django.urls import path

from console import supervisor

app_name = "supervisor"

urlpatterns = [
    path("", supervisor.home, name="home"),
    path("logout/", supervisor.LogoutView.as_view(), name="logout"),
]
