"""One date format on every page: 2026年12月3日 in Chinese, 3 Dec 2026 in English.

The formats are the language's own (`config/formats/`); a template writes
`|date`, `|date:"DATETIME_FORMAT"` or `|date:"MONTH_DAY_FORMAT"` and never
spells a format out, except in an attribute a script or a test reads
(`data-…="…|date:'Y-m-d'"`).
"""

import datetime
import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["console", "mentoring", "donations", "core", "oversight"]
SPELLED_OUT = re.compile(r"\|date:[\"'](?![A-Z_]+_FORMAT[\"'])")
MACHINE_READ = re.compile(r"data-[\w-]+=\"\{\{[^}]*\|date:'Y-m-d'\s*\}\}\"")


@pytest.mark.parametrize(
    ("language", "day", "moment", "week_day"),
    [
        ("zh-hans", "2026年12月3日", "2026年12月3日 14:05", "12月3日"),
        ("en", "3 Dec 2026", "3 Dec 2026 14:05", "3 Dec"),
    ],
)
def test_each_language_writes_dates_one_way(language, day, moment, week_day):
    template = Template(
        '{{ day|date }}|{{ day }}|{{ at|date:"DATETIME_FORMAT" }}|{{ day|date:"MONTH_DAY_FORMAT" }}'
    )
    at = timezone.make_aware(datetime.datetime(2026, 12, 3, 14, 5))
    with translation.override(language):
        shown = template.render(Context({"day": datetime.date(2026, 12, 3), "at": at}))

    assert shown.split("|") == [day, day, moment, week_day]


def test_no_page_template_spells_a_date_format_out():
    spelled = []
    for app in PAGES:
        for path in (ROOT / app).glob("templates/**/*.html"):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if SPELLED_OUT.search(MACHINE_READ.sub("", line)):
                    spelled.append(f"{path.relative_to(ROOT)}:{n}")

    assert spelled == []
