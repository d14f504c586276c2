"""gunicorn's settings for the web service (docker-compose.yml `web`, the Dockerfile's CMD).

https://docs.gunicorn.org/en/stable/settings.html. Options given on the
command line override these.
"""

bind = "0.0.0.0:8000"
workers = 3
# Threads, not one request per process: a request that waits on a frozen Redis
# (a task's publish, up to its socket timeout) or on PostgreSQL holds a thread,
# and the worker's other threads go on answering, /healthz among them. Django
# opens a database connection per thread (CONN_MAX_AGE keeps it): 3 x 4 = 12
# per web container at most.
worker_class = "gthread"
threads = 4
accesslog = "-"
# The request's path without its query string and without the Referer (whose
# own query string is another page's): a search for a child's name or a
# guardian's phone (`?search=…`) must not land in the log. Method, path,
# protocol, status, bytes, user agent and the time taken in milliseconds.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(M)sms'
