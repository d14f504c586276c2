from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    """The pages of the roles other than mentors (DESIGN §4): the supervisor's so far.

    Pages only: reads come from the domain apps' selectors, writes go through
    their services, as the API's do. It may import every app; none imports it.
    """

    name = "console"
    verbose_name = _("Pages")
