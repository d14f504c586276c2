"""A URL conf with an admin site whose classes record students' access (mentoring.admin_access).

The project's own admin modules are the lead's to wire; this site proves the mixin works on
real admin pages: change list, change page, history and delete confirmation.
"""

from django.contrib import admin
from django.urls import path

from mentoring.admin_access import RecordsStudentAccessAdmin
from mentoring.models import Pairing, Student, TutoringSession

site = admin.AdminSite(name="access_admin")


@admin.register(Student, site=site)
class StudentAdmin(RecordsStudentAccessAdmin, admin.ModelAdmin):
    access_student_lookup = "pk"
    list_per_page = 3


@admin.register(Pairing, site=site)
class PairingAdmin(RecordsStudentAccessAdmin, admin.ModelAdmin):
    pass


@admin.register(TutoringSession, site=site)
class TutoringSessionAdmin(RecordsStudentAccessAdmin, admin.ModelAdmin):
    access_student_lookup = "pairing__student"


urlpatterns = [path("admin/", site.urls)]
