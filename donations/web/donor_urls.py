"""The donor's page, included under /donor/ by config.urls."""

from django.urls import path

from donations.web import donor

app_name = "donor"

urlpatterns = [
    path("", donor.home, name="home"),
    path("logout/", donor.LogoutView.as_view(), name="logout"),
    path("pledges/", donor.pledge_new, name="pledge-new"),
    path("pledges/<int:pledge_id>/cancel/", donor.pledge_cancel, name="pledge-cancel"),
]
