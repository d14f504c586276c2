"""Production's URLs, the bench's floor and two bounds (bench/settings.py): never in production."""

from django.db import connection
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


# The table the write floor appends to; bench/api.py creates it in its own database.
WRITE_FLOOR_TABLE = "bench_floor_write"


class AuthFloor(APIView):
    """The least any authenticated request costs: production's bearer token check, then a constant.

    The token is verified and its account read (is it active, is the token of
    its current generation: mentoring.authentication), as before every
    operation of the API; nothing else is read.
    """

    def get(self, request):
        return Response({"ok": True})


class WriteFloor(APIView):
    """The least any authenticated write costs: the token check, one row inserted and committed.

    Logging a session does at least this (who logs it, then the session
    written durably), so its throughput can be no better than this bound's;
    the benchmark reports both against the bare floor.
    """

    def post(self, request):
        # One statement in autocommit: durable at once, one round trip, no BEGIN.
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {WRITE_FLOOR_TABLE} (user_id) VALUES (%s)",  # noqa: S608
                [request.user.pk],
            )
        return Response({"ok": True}, status=201)


def create_write_floor_table():
    """The write floor's table, in the database of the connection (the benchmark's own)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {WRITE_FLOOR_TABLE} ("
            "id bigserial PRIMARY KEY, user_id bigint NOT NULL, "
            "written_at timestamptz NOT NULL DEFAULT now())"
        )


urlpatterns = [
    path("bench/floor/", Floor.as_view(), name="bench-floor"),
    path("bench/floor/auth/", AuthFloor.as_view(), name="bench-floor-auth"),
    path("bench/floor/write/", WriteFloor.as_view(), name="bench-floor-write"),
    *production_urlpatterns,
]
