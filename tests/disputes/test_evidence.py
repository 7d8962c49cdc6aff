"""Evidence uploads (DSP-1, DSP-6): checked by content, a hostile corpus refused, stored outside
the web root under generated names, served only to the parties and staff with nosniff."""

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings

from core.errors import DomainError
from core.uploads import UploadRejected, upload_check
from disputes import services
from disputes.models import Dispute, Evidence
from disputes.storage import evidence_root
from tests.disputes.factories import (
    DAY,
    T0,
    Upload,
    jpeg_bytes,
    mp4_bytes,
    pdf_bytes,
    png_bytes,
    received_order,
    webm_bytes,
)
from tests.factories import StoreFactory, UserFactory

LIMIT = 1024 * 1024


def _zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("evil.class", b"\xca\xfe\xba\xbe" + b"\x00" * 40)
    return out.getvalue()


GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00"
    b"\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)

def gif_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    frames = [Image.new("P", (30, 20), i) for i in (1, 2)]
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100)  # animated
    return out.getvalue()


HOSTILE = {
    "pe_renamed_jpg": (b"MZ\x90\x00\x03" + b"\x00" * 200, "holiday.jpg"),
    "elf_renamed_png": (b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "photo.png"),
    "macho_renamed_pdf": (b"\xcf\xfa\xed\xfe" + b"\x00" * 200, "receipt.pdf"),
    "shell_script": (b"#!/bin/sh\nrm -rf /\n", "video.mp4"),
    "svg_with_script": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "a.svg"),
    "svg_renamed_png": (b'<?xml version="1.0"?><svg onload="alert(1)"/>', "a.png"),
    "html_page": (b"<!DOCTYPE html><html><body><script>steal()</script></body></html>", "a.pdf"),
    "zip_archive": (_zip_bytes(), "photos.jpg"),
    "jpeg_with_zip_appended": (jpeg_bytes() + _zip_bytes(), "polyglot.jpg"),
    "jpeg_with_html_appended": (jpeg_bytes() + b"<html><script>x()</script></html>", "polyglot.jpg"),
    "png_with_trailing_bytes": (png_bytes() + b"\x00payload" * 4, "p.png"),
    "gifar": (GIF + _zip_bytes(), "avatar.gif"),
    "gif_with_html_appended": (GIF + b"<html><script>x()</script></html>", "a.gif"),
    "gif_with_trailing_bytes": (GIF + b"\x00payload", "a.gif"),
    "gif_header_then_garbage": (b"GIF89a" + b"\x00" * 60, "a.gif"),
    "pdf_with_javascript": (
        pdf_bytes().replace(
            b"/Pages 2 0 R", b"/Pages 2 0 R /OpenAction <</S /JavaScript /JS (app.alert(1))>>"
        ),
        "a.pdf",
    ),
    "pdf_without_end": (b"%PDF-1.4\n1 0 obj <<>> endobj\n", "a.pdf"),
    "pdf_with_zip": (pdf_bytes() + _zip_bytes() + b"\n%%EOF", "a.pdf"),
    "mp4_with_trailing_payload": (mp4_bytes() + b"MZ" + b"\x00" * 30, "v.mp4"),
    "fake_mp4_header_only": (b"\x00\x00\x00\x18ftypisom" + b"\x00" * 4, "v.mp4"),
    "webm_without_doctype": (b"\x1a\x45\xdf\xa3" + b"\x00" * 40, "v.webm"),
    "jpeg_header_then_garbage": (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "a.jpg"),
    "jpeg_with_zip_in_a_comment": (
        jpeg_bytes()[:-2]
        + b"\xff\xfe"
        + (len(_zip_bytes()) + 2).to_bytes(2, "big")
        + _zip_bytes()
        + b"\xff\xd9",
        "comment.jpg",
    ),
    "zero_bytes": (b"", "empty.png"),
    "plain_text": (b"just some words", "notes.txt"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_dsp1_hostile_files_are_refused_whatever_their_name(name):
    data, filename = HOSTILE[name]
    with pytest.raises(UploadRejected) as refused:
        upload_check(Upload(data, filename), limit=LIMIT)
    assert refused.value.fields["files"] and refused.value.status == 422


def test_dsp1_oversize_is_refused_before_reading_it_all():
    big = Upload(png_bytes() + b"\x00" * LIMIT, "big.png")
    with pytest.raises(UploadRejected) as refused:
        upload_check(big, limit=LIMIT)
    assert "larger than" in refused.value.message


@pytest.mark.parametrize(
    "maker,kind,content_type",
    [
        (jpeg_bytes, "jpeg", "image/jpeg"),
        (png_bytes, "png", "image/png"),
        (pdf_bytes, "pdf", "application/pdf"),
        (mp4_bytes, "mp4", "video/mp4"),
        (webm_bytes, "webm", "video/webm"),
        (lambda: GIF, "gif", "image/gif"),  # DSP-1: GIF accepted, checked by decoding it
        (lambda: gif_bytes(), "gif", "image/gif"),
    ],
)
def test_dsp1_real_images_videos_and_pdfs_are_accepted_by_content(maker, kind, content_type):
    checked = upload_check(Upload(maker(), "whatever.bin"), limit=LIMIT)
    assert checked.kind == kind and checked.content_type == content_type
    assert checked.generated_name().endswith("." + checked.extension)


@pytest.mark.django_db
def test_dsp1_refused_file_changes_nothing():
    order = received_order()
    with pytest.raises(DomainError) as refused:
        services.dispute_open(
            order=order,
            buyer=order.buyer,
            reason="damaged",
            solution="refund_only",
            amount_minor=100,
            description="Broken.",
            files=[Upload(png_bytes(), "ok.png"), Upload(HOSTILE["gifar"][0], "x.gif")],
            now=T0 + 9 * DAY,
        )
    assert refused.value.status == 422 and "files" in refused.value.fields
    assert not Dispute.objects.exists() and not Evidence.objects.exists()


@pytest.mark.django_db
def test_dsp1_evidence_over_the_policy_limit_is_refused(settings):
    settings.HMONG_POLICY = {"evidence_max_bytes": 1000}
    order = received_order()
    with pytest.raises(DomainError) as refused:
        services.dispute_open(
            order=order,
            buyer=order.buyer,
            reason="damaged",
            solution="refund_only",
            amount_minor=100,
            description="Broken.",
            files=[Upload(jpeg_bytes((300, 300)), "big.jpg")],
            now=T0 + 9 * DAY,
        )
    assert "larger than" in refused.value.fields["files"][0]
    assert not Dispute.objects.exists()


@pytest.mark.django_db
def test_dsp1_evidence_is_stored_outside_the_web_root_under_a_generated_name():
    order = received_order()
    dispute = services.dispute_open(
        order=order,
        buyer=order.buyer,
        reason="damaged",
        solution="refund_only",
        amount_minor=100,
        description="Broken.",
        files=[Upload(png_bytes(), "../../etc/passwd.png")],
        now=T0 + 9 * DAY,
    )
    item = dispute.evidence.get()
    path = Path(item.file.path).resolve()
    assert path.is_file() and path.is_relative_to(evidence_root().resolve())
    assert not path.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert "passwd" not in item.file.name and item.file.name.endswith(".png")
    assert item.original_name == "passwd.png" and item.content_type == "image/png"


@pytest.mark.django_db
def test_dsp6_evidence_is_served_only_to_the_parties_and_staff_as_a_nosniff_attachment(client):
    order = received_order()
    dispute = services.dispute_open(
        order=order,
        buyer=order.buyer,
        reason="damaged",
        solution="refund_only",
        amount_minor=100,
        description="Broken.",
        files=[Upload(pdf_bytes(), "r.pdf")],
        now=T0 + 9 * DAY,
    )
    url = f"/api/v1/disputes/evidence/{dispute.evidence.get().pk}"
    assert client.get(url).status_code == 401
    staff = UserFactory(is_staff=True)
    for user in (order.buyer, order.store.owner, staff):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert b"".join(response.streaming_content) == pdf_bytes()
    for user in (UserFactory(), StoreFactory().owner):
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_dsp1_a_large_genuine_photo_is_accepted():
    import random

    from PIL import Image

    rng = random.Random(7)
    image = Image.frombytes("RGB", (800, 600), bytes(rng.getrandbits(8) for _ in range(800 * 600 * 3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    checked = upload_check(Upload(out.getvalue(), "IMG_0001.JPG"), limit=5 * LIMIT)
    assert checked.kind == "jpeg" and checked.size > 500_000


def test_dsp1_a_pdf_with_xmp_metadata_is_accepted():
    xmp = b'<?xml version="1.0"?><?xpacket begin=""?><x:xmpmeta xmlns:x="adobe:ns:meta/"></x:xmpmeta>'
    data = pdf_bytes().replace(
        b"trailer", b"3 0 obj <</Type /Metadata>> stream\n" + xmp + b"\nendstream\ntrailer"
    )
    assert upload_check(Upload(data, "scan.pdf"), limit=LIMIT).kind == "pdf"


def test_dsp1_a_decompression_bomb_is_refused_without_decoding_it():
    """RULE DSP-1: a tiny PNG that claims 10,000 × 10,000 pixels is refused before its pixels are
    decoded (core.uploads.MAX_PIXELS), not expanded to hundreds of megabytes in the web worker."""
    import io as _io

    from PIL import Image as _Image

    from core.uploads import MAX_PIXELS, _image_problem

    buffer = _io.BytesIO()
    _Image.new("1", (10_000, 10_000)).save(buffer, format="PNG")  # ~100 MP, a few kB compressed
    data = buffer.getvalue()
    assert len(data) < 200_000 and MAX_PIXELS < 10_000 * 10_000
    assert _image_problem(data, "png") == "undecodable"
