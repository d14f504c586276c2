"""`manage.py import_roster FILE --term CODE --district CODE [--school CODE] [--dry-run]`.

The same import as `POST /api/v1/students/import/`, through the same service.
Whoever runs it on the server already has the whole database, so every
school of the district is in scope; the history records no user.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from mentoring.models import District, School, Term
from mentoring.services.roster import RosterInvalid, roster_import


class Command(BaseCommand):
    help = "Import a roster file (.xlsx or .csv) into a term: every row checked, all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--district", required=True, help="The district's code.")
        parser.add_argument("--term", required=True, help="The term's code, e.g. 2026-autumn.")
        parser.add_argument(
            "--school", help="The school's code, for a file without a 学校代码 column."
        )
        parser.add_argument("--dry-run", action="store_true", help="Check and count only.")

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        district = District.objects.filter(code=options["district"]).first()
        if district is None:
            raise CommandError(f"No district with code {options['district']!r}.")
        term = Term.objects.filter(district=district, code=options["term"]).first()
        if term is None:
            raise CommandError(f"No term {options['term']!r} in district {district.code}.")
        school = None
        if options["school"]:
            school = School.objects.filter(district=district, code=options["school"]).first()
            if school is None:
                raise CommandError(
                    f"No school with code {options['school']!r} in district {district.code}."
                )

        try:
            with path.open("rb") as file:
                result = roster_import(
                    by=None,
                    term=term,
                    school=school,
                    file=file,
                    filename=path.name,
                    size=path.stat().st_size,
                    dry_run=options["dry_run"],
                )
        except RosterInvalid as exc:
            for error in exc.extra["errors"]:
                self.stderr.write(f"row {error['row']}, {error['column']}: {error['message']}")
            raise CommandError(str(exc.message)) from None
        except DomainError as exc:
            raise CommandError(f"{exc.field or 'file'}: {exc.message}") from None

        prefix = "Dry run, nothing written. Would have: " if result.dry_run else ""
        self.stdout.write(
            f"{prefix}rows {result.rows}, created {result.created}, updated {result.updated}, "
            f"unchanged {result.unchanged}, hardship indicators added {result.indicators_added}."
        )
