"""PAY-3 pages and API: My appeals, the appeal page with the upload form, the staff back
office (queue with countdowns, decisions), the API, and who may see what."""

import datetime as dt
import json

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from appeals.models import Appeal, AppealDocument, AppealState
from orders.models import OrderEvent
from orders.states import State
from payments.providers.simulated import SUCCESS_TOKEN
from tests.appeals.conftest import FLAGGED, jpeg, pdf, png
from tests.factories import UserFactory
from tests.payments.conftest import place

NOW = FLAGGED + dt.timedelta(hours=1)
API = "/api/v1"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_PAY_3_my_appeals_and_the_appeal_page_upload_moves_it_under_review(buyer, appeal):
    client = client_for(buyer)
    with time_machine.travel(NOW, tick=False):
        listing = client.get("/account/appeals/")
        assert listing.status_code == 200 and f"/account/appeals/{appeal.pk}/" in listing.text
        page = client.get(f"/account/appeals/{appeal.pk}/")
        assert page.status_code == 200 and 'type="file"' in page.text
        response = client.post(
            f"/account/appeals/{appeal.pk}/",
            {"id_document": jpeg(), "card_photo": png(), "bank_statement": pdf()},
        )
        assert response.status_code == 302
        page = client.get(f"/account/appeals/{appeal.pk}/")
    appeal.refresh_from_db()
    assert appeal.state == AppealState.UNDER_REVIEW
    assert "Under review" in page.text
    doc = AppealDocument.objects.filter(appeal=appeal).first()
    download = client.get(f"/account/appeals/{appeal.pk}/documents/{doc.pk}/")
    assert download.status_code == 200 and download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"  # runs nothing inline
    # the documents are private: kept outside MEDIA_ROOT, so /media/ never serves them
    from pathlib import Path

    from django.conf import settings

    assert Path(doc.file.path).is_file()
    assert not Path(doc.file.path).is_relative_to(Path(settings.MEDIA_ROOT).resolve())


def test_PAY_3_page_shows_a_renamed_executable_refusal_next_to_the_field(buyer, appeal):
    exe = SimpleUploadedFile("me.jpg", b"MZ" + b"\x00" * 64, content_type="image/jpeg")
    response = client_for(buyer).post(f"/account/appeals/{appeal.pk}/", {"id_document": exe})
    assert response.status_code == 422
    assert "is a program or an archive, not a document" in response.text
    assert Appeal.objects.get(pk=appeal.pk).state == AppealState.AWAITING_DOCUMENTS


def test_PAY_3_order_page_and_pay_page_link_to_the_appeal(buyer, address, appeal):
    client = client_for(buyer)
    order = appeal.orders.first()
    with time_machine.travel(NOW, tick=False):
        page = client.get(f"/orders/{order.number}/")
        assert page.status_code == 200 and f"/account/appeals/{appeal.pk}/" in page.text
        second = place(buyer, address, key="second", now=NOW)
        pay_page = client.get(f"/checkout/{second.pk}/")
        assert f"/account/appeals/{appeal.pk}/" in pay_page.text
        refused = client.post(
            f"/checkout/{second.pk}/pay/", {"token": SUCCESS_TOKEN, "idempotency_key": "pp-1"}
        )
    assert refused.status_code == 409
    assert "waiting for verification documents" in refused.text
    assert {o.state for o in second.orders.all()} == {State.AWAITING_PAYMENT}


def test_PAY_3_api_refuses_a_card_payment_with_appeal_pending(buyer, address, appeal):
    second = place(buyer, address, key="second", now=NOW)
    with time_machine.travel(NOW, tick=False):
        response = client_for(buyer).post(
            f"{API}/checkout/{second.pk}/pay",
            data=json.dumps({"token": SUCCESS_TOKEN, "idempotency_key": "api-1"}),
            content_type="application/json",
        )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "appeal_pending"
    assert body["fields"]["appeal"] == [f"/account/appeals/{appeal.pk}/"]


def test_PAY_3_api_list_get_and_upload_documents(buyer, appeal):
    client = client_for(buyer)
    listing = client.get(f"{API}/appeals")
    assert listing.status_code == 200
    assert [a["id"] for a in listing.json()] == [appeal.pk]
    one = client.get(f"{API}/appeals/{appeal.pk}").json()
    assert one["state"] == "awaiting_documents" and one["orders"] == [appeal.orders.get().number]
    bad = client.post(
        f"{API}/appeals/{appeal.pk}/documents",
        {"card_photo": SimpleUploadedFile("c.png", b"#!/bin/sh\nrm -rf /\n")},
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"
    assert "card_photo" in bad.json()["fields"]
    with time_machine.travel(NOW, tick=False):
        ok = client.post(
            f"{API}/appeals/{appeal.pk}/documents", {"id_document": jpeg(), "card_photo": png()}
        )
    assert ok.status_code == 200
    assert ok.json()["state"] == "under_review" and len(ok.json()["documents"]) == 2
    again = client.post(f"{API}/appeals/{appeal.pk}/documents", {"card_photo": png()})
    assert again.status_code == 409 and again.json()["code"] == "appeal_not_awaiting_documents"


def test_PAY_3_another_buyer_gets_404_everywhere(appeal):
    other = client_for(UserFactory())
    assert other.get(f"/account/appeals/{appeal.pk}/").status_code == 404
    assert other.post(f"/account/appeals/{appeal.pk}/", {"card_photo": png()}).status_code == 404
    assert other.get(f"{API}/appeals/{appeal.pk}").status_code == 404
    assert other.post(f"{API}/appeals/{appeal.pk}/documents", {"card_photo": png()}).status_code == 404
    assert other.get(f"{API}/appeals").json() == []
    assert Client().get(f"{API}/appeals").status_code == 401
    assert Client().get("/account/appeals/").status_code == 302  # to sign in


def test_PAY_3_back_office_is_staff_only(buyer, appeal):
    for client in (Client(), client_for(buyer), client_for(UserFactory())):
        assert client.get("/backoffice/appeals/").status_code == 404
        assert client.get(f"/backoffice/appeals/{appeal.pk}/").status_code == 404
        response = client.post(f"/backoffice/appeals/{appeal.pk}/decide/", {"decision": "approve"})
        assert response.status_code == 404
    assert Appeal.objects.get(pk=appeal.pk).state == AppealState.AWAITING_DOCUMENTS


def test_PAY_3_back_office_queue_countdown_documents_and_approve(buyer, appeal, staff):
    buyer_client, staff_client = client_for(buyer), client_for(staff)
    with time_machine.travel(NOW, tick=False):
        buyer_client.post(f"/account/appeals/{appeal.pk}/", {"id_document": jpeg(), "card_photo": png()})
        queue = staff_client.get("/backoffice/appeals/")
        assert queue.status_code == 200 and f"/backoffice/appeals/{appeal.pk}/" in queue.text
        assert "left" in queue.text
        detail = staff_client.get(f"/backoffice/appeals/{appeal.pk}/")
        doc = AppealDocument.objects.filter(appeal=appeal).first()
        assert f"/backoffice/appeals/{appeal.pk}/documents/{doc.pk}/" in detail.text
        assert staff_client.get(f"/backoffice/appeals/{appeal.pk}/documents/{doc.pk}/").status_code == 200
        bad = staff_client.post(f"/backoffice/appeals/{appeal.pk}/decide/", {"decision": "maybe"})
        assert bad.status_code == 422
        done = staff_client.post(
            f"/backoffice/appeals/{appeal.pk}/decide/", {"decision": "approve", "note": "Looks right"}
        )
        assert done.status_code == 302
        twice = staff_client.post(f"/backoffice/appeals/{appeal.pk}/decide/", {"decision": "approve"})
        assert twice.status_code == 302
        refused = staff_client.post(f"/backoffice/appeals/{appeal.pk}/decide/", {"decision": "reject"})
        assert refused.status_code == 409
    appeal.refresh_from_db()
    assert (appeal.state, appeal.decided_by, appeal.staff_note) == ("approved", staff, "Looks right")
    assert OrderEvent.objects.filter(kind="appeal_approved", actor="staff").count() == 1
    assert {o.state for o in appeal.orders.all()} == {State.AWAITING_SHIPMENT}


def test_PAY_3_back_office_overdue_flag(buyer, appeal, staff):
    buyer_client, staff_client = client_for(buyer), client_for(staff)
    with time_machine.travel(NOW, tick=False):
        buyer_client.post(f"/account/appeals/{appeal.pk}/", {"card_photo": png()})
    appeal.refresh_from_db()
    with time_machine.travel(appeal.review_due_at + dt.timedelta(hours=2), tick=False):
        queue = staff_client.get("/backoffice/appeals/")
    assert "Overdue" in queue.text and "overdue by 2 h" in queue.text


def test_PAY_3_admin_shows_appeals_read_only(appeal, db):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client = client_for(admin)
    assert client.get("/admin/appeals/appeal/").status_code == 200
    page = client.get(f"/admin/appeals/appeal/{appeal.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.text
    assert client.get("/admin/appeals/appeal/add/").status_code == 403
