"""Logging filters for config.settings.base.LOGGING."""

import logging


class RefusalWithoutTraceback(logging.Filter):
    """A 403 is an answer, not a fault: its warning line stays, its traceback goes.

    Django logs "Forbidden (Permission denied): /admin/" with the PermissionDenied
    as `exc_info`, so every school administrator who opened /admin/ wrote a whole
    traceback to the log, read as an error by whoever watches it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
