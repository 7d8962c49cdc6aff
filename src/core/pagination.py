"""One page shape for every API list:
{"items": [...], "count": N, "page": P, "pages": K, "page_size": S}.

Use with ninja: ``@paginate(PagePagination)`` on an endpoint returning a queryset
and declared ``response=list[Schema]``.
"""

from math import ceil
from typing import Any

from ninja import Field, Schema
from ninja.pagination import PaginationBase


class PagePagination(PaginationBase):
    max_page_size = 100

    class Input(Schema):
        page: int = Field(1, ge=1, description="Page number, from 1.")
        page_size: int = Field(24, ge=1, le=100, description="Items per page (1–100).")

    class Output(Schema):
        items: list[Any]
        count: int
        page: int
        pages: int
        page_size: int

    items_attribute = "items"

    def paginate_queryset(self, queryset, pagination: Input, **params):
        size = pagination.page_size
        count = self._items_count(queryset)
        offset = (pagination.page - 1) * size
        return {
            "items": list(queryset[offset : offset + size]),
            "count": count,
            "page": pagination.page,
            "pages": max(1, ceil(count / size)),
            "page_size": size,
        }
