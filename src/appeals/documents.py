"""PAY-3: what an appeal document may be — a PDF, JPEG or PNG, recognised by its content
(never by its name), no larger than policy.appeal_document_max_bytes."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from core.policy import policy
from core.uploads import is_program, sniff

# Programs (Windows, Linux, macOS, scripts, archives that may carry them) are recognised by
# their leading bytes, and PDFs by theirs, in core.uploads (the one content sniffing).
MAX_FILES = 5


@dataclass(frozen=True)
class Checked:
    content_type: str
    extension: str


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB"


def document_check(upload) -> Checked | str:
    """The document's real type, or the sentence that says why it is refused."""
    size = upload.size or 0
    if size == 0:
        return _("“%(name)s” is empty.") % {"name": upload.name}
    limit = policy.appeal_document_max_bytes
    if size > limit:
        return _("“%(name)s” is larger than %(limit)s; send a smaller file.") % {
            "name": upload.name, "limit": _megabytes(limit)
        }
    upload.seek(0)
    head = upload.read(12)
    upload.seek(0)
    if is_program(head):
        return _(
            "“%(name)s” is a program or an archive, not a document, whatever its "
            "name says. Send a PDF, a JPEG or a PNG."
        ) % {"name": upload.name}
    if sniff(head) == "pdf":
        return Checked("application/pdf", "pdf")
    try:
        with Image.open(upload) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        kind = None
    finally:
        upload.seek(0)
    if kind == "JPEG":
        return Checked("image/jpeg", "jpg")
    if kind == "PNG":
        return Checked("image/png", "png")
    return _("“%(name)s” is not a PDF, a JPEG or a PNG. Send one of those.") % {"name": upload.name}
