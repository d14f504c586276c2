"""Chinese dates on every page: 2026年12月3日, 2026年12月3日 14:05, and 12月3日 for a week's days
(Django's own zh_Hans formats, written here so both languages are in one place).
https://docs.djangoproject.com/en/5.2/topics/i18n/formatting/#creating-custom-format-files
"""

DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i"
MONTH_DAY_FORMAT = "n月j日"
