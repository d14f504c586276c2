"""Awards made before the fixed payment days of the tests' scenes.

A payment is never dated before the day its award was made (the service says
why, the database refuses it: donations migration 0022). Scenes that pay on a
fixed day of the 2026 autumn term make their awards on the term's first
morning, whatever day the tests run.
"""

import datetime

from django.utils import timezone

from donations.models import Award


def made_at_term_start(*awards: Award) -> None:
    """Date `awards` (rows, refreshed in place) 2026-09-01 09:00 in the project's time zone."""
    made = timezone.make_aware(datetime.datetime(2026, 9, 1, 9, 0))
    Award.objects.filter(pk__in=[award.pk for award in awards]).update(created_at=made)
    for award in awards:
        award.created_at = made
