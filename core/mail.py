"""An e-mail backend for the embedded default that delivers nothing and logs only that it did not.

Reminders name children in their subject and body. Django's console backend
prints whole messages into the process's output, which ends up in whatever
collects the logs; outside DEBUG the embedded default uses this backend
instead, which logs how many messages and recipients there were, never an
address, a subject or a body. With `DJANGO_DEBUG=true` the console backend
prints them whole, for a developer to read.
"""

import logging

from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger(__name__)


class CountOnlyEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        messages = list(email_messages)
        if messages:
            logger.info(
                "%d e-mail(s) to %d recipient(s) not sent: no mail server is configured "
                "(set EMAIL_BACKEND and EMAIL_HOST to send them).",
                len(messages),
                sum(len(message.recipients()) for message in messages),
            )
        return len(messages)
