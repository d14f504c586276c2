"""Production's URLs and the benchmark's floor (bench/settings.py): never served in production."""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import *  # noqa: F403
from config.urls import urlpatterns as production_urlpatterns


class Floor(APIView):
    """A constant through gunicorn, the middleware and DRF: no authentication, no query."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("bench/floor/", Floor.as_view(), name="bench-floor"), *production_urlpatterns]
