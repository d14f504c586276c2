"""English dates on every page, day first as a Chinese reader (and a British one) writes them:
3 Dec 2026, 3 Dec 2026 14:05, and 3 Dec for a week's days. The Chinese ones are
zh_Hans/formats.py; a template writes `|date` (or `|date:"DATETIME_FORMAT"`,
`|date:"MONTH_DAY_FORMAT"`) and never spells a format out.
https://docs.djangoproject.com/en/5.2/topics/i18n/formatting/#creating-custom-format-files
"""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
MONTH_DAY_FORMAT = "j M"
