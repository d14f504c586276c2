"""Django's `flush`, allowed to empty append-only tables on SQLite too (core.append_only).

The test suite flushes the database after each transactional test with this
command; on PostgreSQL flush truncates, which the triggers allow anyway.
"""

from django.core.management.commands import flush

from core.append_only import erasing_everything


class Command(flush.Command):
    def handle(self, **options):
        with erasing_everything():
            return super().handle(**options)
