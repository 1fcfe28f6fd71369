"""Cursor pagination that follows whatever order the list's FilterSet chose.

Two kinds of cursor, both opaque to clients:

- For orders by stored values (newest, oldest, most sourced, and the default), the cursor
  holds the last card's sort key (with its id to break ties): the next page starts after it,
  so a client walking the pages never sees a card twice or misses one when cards are
  published meanwhile, and a deep page costs what the first does.
- For best match (`sort=relevance` with words in `q`), the rank is computed by the database
  for each query (bm25 or ts_rank, which move with every publication): there is no stored
  value to resume after, so the cursor holds the position in the ranking. A card published
  between two requests can shift the ranking by a place.
"""

import base64
import binascii
import json

from django.db.models import Q
from django.db.models.expressions import RawSQL
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_OFFSET = 10**7
BAD_CURSOR = (
    "This cursor is not one the API gave for these filters: follow the `next` link of the "
    "previous page, with the same filters."
)


class KeysetCursorPagination(BasePagination):
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self.page_size(request)
        keys = sort_keys(queryset)
        cursor = self.decode(request.query_params.get(self.cursor_query_param))
        if keys is None:
            offset = cursor.get("offset", 0) if cursor else 0
            if cursor and (set(cursor) != {"offset"} or not valid_offset(offset)):
                raise ValidationError({self.cursor_query_param: [BAD_CURSOR]})
            rows = list(queryset[offset : offset + size + 1])
            self.next_cursor = {"offset": offset + size} if len(rows) > size else None
            return rows[:size]
        queryset = queryset.order_by(*keys)
        if cursor:
            if cursor.get("keys") != keys or not isinstance(cursor.get("after"), list):
                raise ValidationError({self.cursor_query_param: [BAD_CURSOR]})
            queryset = queryset.filter(after(queryset, keys, cursor["after"]))
        rows = list(queryset[: size + 1])
        self.next_cursor = None
        if len(rows) > size:
            last = rows[size - 1]
            self.next_cursor = {"keys": keys, "after": [key_value(last, k) for k in keys]}
        return rows[:size]

    def page_size(self, request):
        text = request.query_params.get(self.page_size_query_param)
        if text is None:
            return PAGE_SIZE
        # ASCII digits only: "²".isdigit() is true, and int() refuses it.
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_PAGE_SIZE:
            raise ValidationError(
                {self.page_size_query_param: [f"Give a whole number from 1 to {MAX_PAGE_SIZE}."]}
            )
        return int(text)

    def decode(self, text):
        if text is None:
            return None
        try:
            cursor = json.loads(base64.urlsafe_b64decode(text.encode("ascii")))
        except (ValueError, UnicodeError, binascii.Error):
            raise ValidationError({self.cursor_query_param: [BAD_CURSOR]}) from None
        if not isinstance(cursor, dict):
            raise ValidationError({self.cursor_query_param: [BAD_CURSOR]})
        return cursor

    def encode(self, cursor):
        return base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode("ascii")

    def next_link(self):
        if self.next_cursor is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, self.encode(self.next_cursor))

    def get_paginated_response(self, data):
        return Response({"next": self.next_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The next page (the same filters), or null on the last.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where the page starts: taken from the previous page's `next`.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results a page, 1 to {MAX_PAGE_SIZE} ({PAGE_SIZE} if not given).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]


def sort_keys(queryset):
    """The queryset's order as field names, the id last to break ties; None when the order
    is computed per query (a rank), so that only a position can say where a page starts."""
    query = queryset.query
    if query.extra_order_by:
        return None
    names = list(query.order_by) or (
        list(queryset.model._meta.ordering) if query.default_ordering else []
    )
    keys = []
    for name in names:
        if not isinstance(name, str):
            return None
        bare = name.lstrip("-")
        annotation = query.annotations.get(bare)
        if isinstance(annotation, RawSQL):
            return None
        if annotation is None and bare != "pk":
            queryset.model._meta.get_field(bare)  # a plain field, or this raises
        keys.append(name)
    if not {"pk", "-pk", "id", "-id"} & set(keys):
        keys.append("-pk" if keys and keys[0].startswith("-") else "pk")
    return keys


def key_value(row, key):
    value = getattr(row, key.lstrip("-"))
    return value.isoformat() if hasattr(value, "isoformat") else value


def after(queryset, keys, values):
    """Rows that come after `values` in the order `keys`: (a > x) or (a = x and b > y) …"""
    if len(values) != len(keys):
        raise ValidationError({"cursor": [BAD_CURSOR]})
    parsed = [parse_key(queryset, key, value) for key, value in zip(keys, values, strict=True)]
    condition = Q()
    for i, key in enumerate(keys):
        bare = key.lstrip("-")
        equal = {k.lstrip("-"): v for k, v in zip(keys[:i], parsed[:i], strict=True)}
        lookup = f"{bare}__{'lt' if key.startswith('-') else 'gt'}"
        condition |= Q(**equal, **{lookup: parsed[i]})
    return condition


def parse_key(queryset, key, value):
    bare = key.lstrip("-")
    annotation = queryset.query.annotations.get(bare)
    field = annotation.output_field if annotation is not None else queryset.model._meta.pk
    if annotation is None and bare != "pk":
        field = queryset.model._meta.get_field(bare)
    if value is None or isinstance(value, (dict, list)):
        raise ValidationError({"cursor": [BAD_CURSOR]})
    try:
        parsed = field.to_python(value)
    except Exception:  # noqa: BLE001 - whatever a forged cursor holds, it is a 400
        raise ValidationError({"cursor": [BAD_CURSOR]}) from None
    if isinstance(parsed, int) and not -(2**63) < parsed < 2**63:  # both databases' largest
        raise ValidationError({"cursor": [BAD_CURSOR]})
    return parsed


def valid_offset(offset):
    return isinstance(offset, int) and not isinstance(offset, bool) and 0 <= offset <= MAX_OFFSET
