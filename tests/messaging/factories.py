"""Chats built through the real services (MSG-1); orders come from the disputes' factories."""

from __future__ import annotations

import datetime as dt

from messaging import services
from tests.disputes.factories import Upload, jpeg_bytes, paid_order, png_bytes  # noqa: F401
from tests.factories import ProductFactory, StoreFactory, UserFactory

T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)  # a Monday
SECOND = dt.timedelta(seconds=1)
MINUTE = dt.timedelta(minutes=1)


class Chat:
    """A buyer, a store (its owner is the seller), a product of it, and their conversation."""

    def __init__(self, *, now: dt.datetime = T0):
        self.buyer = UserFactory(first_name="Pa", last_name="Lee")
        self.store = StoreFactory(name=f"Paj Ntaub House {self.buyer.pk}")
        self.seller = self.store.owner
        self.product = ProductFactory(
            store=self.store, title="Indigo story cloth", slug=f"indigo-{self.buyer.pk}"
        )
        self.conversation = services.conversation_start(buyer=self.buyer, store_id=self.store.pk, now=now)

    def buyer_says(self, text: str = "Hello", *, now: dt.datetime = T0, **kw):
        return services.message_send(
            conversation=self.conversation, sender=self.buyer, text=text, now=now, **kw
        )

    def seller_says(self, text: str = "Hi there", *, now: dt.datetime = T0, **kw):
        return services.message_send(
            conversation=self.conversation, sender=self.seller, text=text, now=now, **kw
        )

    def fresh(self):
        self.conversation.refresh_from_db()
        return self.conversation


def close_file(response) -> None:
    """Close the file a FileResponse streams, without response.close() (which sends
    request_finished and so ends the test's database connection)."""
    for close in response._resource_closers:
        close()
