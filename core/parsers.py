"""Request body parsers with limits, so that no body can make the API answer 500.

- `JSONParser` (the API's default) refuses a body larger than
  `DATA_UPLOAD_MAX_MEMORY_SIZE` (413) and one nested deeper than
  `API_JSON_MAX_DEPTH` (400). Python's decoder recurses once per level and
  raises RecursionError near a thousand levels; that is caught, and the depth
  of what it did decode is counted without recursion. No request body of the
  API needs more than a handful of levels.
- `MultiPartParser` (file uploads: the roster import, the government list)
  refuses a body larger than `API_UPLOAD_MAX_BYTES` before reading it. Django
  bounds the fields of such a body (`DATA_UPLOAD_MAX_MEMORY_SIZE`,
  `DATA_UPLOAD_MAX_NUMBER_FIELDS`) but not its files, which it spools to disk.
- `FormParser` is bounded by Django's own limits; it is here so that a view
  that lists form parsers names only bounded ones.

Every limit is a setting read from the environment (config/settings/base.py).
"""

import codecs

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

from core.exceptions import body_too_large


def nesting_depth(value, *, stop_above: int) -> int:
    """How deeply lists and objects nest in `value` (a scalar is 0, `[]` is 1).

    Counted with an explicit stack, so any depth the decoder produced is
    measured without recursion; counting stops once `stop_above` is passed.
    """
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > stop_above:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _too_deep(limit: int) -> ParseError:
    return ParseError(
        _("The JSON body is nested deeper than the limit of %(limit)s levels.") % {"limit": limit}
    )


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        depth_limit = settings.API_JSON_MAX_DEPTH
        encoding = parsers.get_encoding(parser_context or {})
        # DRF hands over request.body, which Django has bounded already; the
        # bound is kept here too for a stream from anywhere else.
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise body_too_large(limit)
        try:
            text = codecs.decode(raw, encoding)
            parse_constant = json.strict_constant if self.strict else None
            data = json.loads(text, parse_constant=parse_constant)
        except RecursionError:
            raise _too_deep(depth_limit) from None
        except ValueError as exc:
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None
        if nesting_depth(data, stop_above=depth_limit) > depth_limit:
            raise _too_deep(depth_limit)
        return data


class FormParser(parsers.FormParser):
    pass


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_UPLOAD_MAX_BYTES
        request = (parser_context or {}).get("request")
        meta = request.META if request is not None else {}
        try:
            length = int(meta.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            raise body_too_large(limit)
        return super().parse(stream, media_type, parser_context)
