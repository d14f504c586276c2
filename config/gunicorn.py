"""gunicorn's settings for the web service (docker-compose.yml `web`, the Dockerfile's CMD).

https://docs.gunicorn.org/en/stable/settings.html. Options given on the
command line override these.
"""

bind = "0.0.0.0:8000"
workers = 3
accesslog = "-"
# The request's path without its query string and without the Referer (whose
# own query string is another page's): a search for a child's name or a
# guardian's phone (`?search=…`) must not land in the log. Method, path,
# protocol, status, bytes, user agent and the time taken in milliseconds.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(M)sms'
