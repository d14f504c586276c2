"""config.wsgi with the URLconf imported, for gunicorn --preload in the fault tests.

The first request of a gunicorn worker imports the whole URLconf (the solver's
scipy and OR-Tools among it); on the shared two-core test machine that has
taken over gunicorn's 30 s worker timeout, a 500 no fault caused. Imported once
in the master, before the fork, every worker starts ready. The requests
themselves take the same path as in production.
"""

from django.db import connections
from django.urls import get_resolver

from config.wsgi import application

get_resolver().url_patterns  # noqa: B018  (the import is the point)
# Nothing opened in the master may be shared by the forked workers.
connections.close_all()

__all__ = ["application"]
