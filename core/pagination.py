"""The pagination of every list endpoint (REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"])."""

from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 1000
