"""Swagger UI under the Content-Security-Policy.

Apart from core.pagination and core.exception_handler, which REST framework's
settings import while drf-spectacular's views import REST framework.
"""

from drf_spectacular.views import SpectacularSwaggerSplitView


class SwaggerView(SpectacularSwaggerSplitView):
    """drf-spectacular's Swagger UI with no inline script and a nonce on its style.

    The split view serves the page's script from its own URL (`?script`), so
    `script-src 'self'` holds; core/swagger_ui.html puts the request's nonce on
    the page's inline style.
    """

    template_name = "core/swagger_ui.html"
