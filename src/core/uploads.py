"""What an uploaded file really is, decided by its content — never its name or the browser's
content type — for every feature that takes files from people (dispute evidence, chat
attachments).

`upload_check(upload, limit=…, allowed=…)` reads at most `limit + 1` bytes and returns an
`Upload` (the bytes and their sniffed type) or raises `UploadRejected` with a sentence saying
why. Refused, whatever the name says:

- empty files and files over the limit;
- programs and archives (Windows PE, ELF, Mach-O, scripts with `#!`, Java classes, zip/jar,
  rar, 7z, gzip) by their leading bytes;
- markup a browser could run: HTML, SVG, PHP, `<script>` — anywhere in the file, so a
  picture carrying a page (a polyglot) is refused too;
- zip archives hidden inside another file (GIFAR and JPEG+zip polyglots): a zip
  end-of-directory record near the end of an image or a PDF;
- images with bytes after their end marker (JPEG EOI, PNG IEND), images Pillow cannot decode;
- PDFs without a proper end (`%%EOF`) or with active content (JavaScript, launch actions,
  embedded files);
- MP4 whose top-level boxes do not exactly fill the file; WebM without its EBML header.

Accepted kinds (`allowed`): "jpeg", "png", "webp", "gif", "pdf", "mp4", "webm". A GIF (dispute
evidence, DSP-1) is decoded like the other pictures and must end at its trailer byte (`;`), so
a GIFAR or a page appended after it is refused. `IMAGES` (chat pictures) stays JPEG, PNG, WebP.

`is_program(head)` and `sniff(head)` are the leading-bytes tests alone, for features that do
the rest of their checking themselves (appeal documents, product images).
"""

from __future__ import annotations

import io
import re
import uuid
import warnings
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from core.errors import DomainError

CONTENT_TYPES = {
    "jpeg": ("image/jpeg", "jpg"),
    "png": ("image/png", "png"),
    "webp": ("image/webp", "webp"),
    "gif": ("image/gif", "gif"),
    "pdf": ("application/pdf", "pdf"),
    "mp4": ("video/mp4", "mp4"),
    "webm": ("video/webm", "webm"),
}
IMAGES = frozenset({"jpeg", "png", "webp"})
DECODED = IMAGES | {"gif"}  # checked by decoding them with Pillow
ALL_KINDS = frozenset(CONTENT_TYPES)

_PROGRAM_MAGIC = (
    b"MZ",  # Windows PE / DOS
    b"\x7fELF",
    b"\xcf\xfa\xed\xfe",
    b"\xce\xfa\xed\xfe",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",  # Mach-O
    b"\xca\xfe\xba\xbe",  # Java class / Mach-O fat
    b"#!",
    b"PK\x03\x04",
    b"PK\x05\x06",  # zip, jar, docx, apk
    b"Rar!",
    b"7z\xbc\xaf\x27\x1c",
    b"\x1f\x8b",
)
# Tags a browser would run. Long enough that the compressed bytes of a genuine photo or video
# practically never spell one by chance ("<svg" only with what follows a tag name).
_MARKUP = re.compile(
    rb"<(?:script|html|svg[\s>/]|body|iframe|object|embed|\?php|!doctype)|javascript:", re.IGNORECASE
)
# A zip reader finds an archive by its end-of-directory record, within the last 64 KiB + 22
# bytes of the file: that is where a GIFAR or a JPEG+zip polyglot must carry one.
_ZIP_END = b"PK\x05\x06"
_ZIP_TAIL = 65_557
_PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)\b")
_MP4_BRANDS = {
    b"isom",
    b"iso2",
    b"iso4",
    b"iso5",
    b"iso6",
    b"mp41",
    b"mp42",
    b"avc1",
    b"M4V ",
    b"dash",
    b"mmp4",
    b"MSNV",
    b"3gp4",
    b"3gp5",
    b"qt  ",
}


class UploadRejected(DomainError):
    status = 422
    code = "invalid_file"

    def __init__(self, message: str, *, field: str = "files"):
        super().__init__(message, fields={field: [message]})


@dataclass(frozen=True)
class Upload:
    data: bytes
    kind: str
    content_type: str
    extension: str
    original_name: str

    @property
    def size(self) -> int:
        return len(self.data)

    def generated_name(self) -> str:
        """A fresh random name with the extension of the real type (never the uploader's name)."""
        return f"{uuid.uuid4().hex}.{self.extension}"


def megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def _display_name(upload) -> str:
    name = str(getattr(upload, "name", "") or "file").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in name if ch.isprintable())[:200] or "file"


def upload_read_limited(upload, *, limit: int, field: str = "files") -> bytes:
    name = _display_name(upload)
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise UploadRejected(
            _("“%(name)s” is larger than %(limit)s; send a smaller file.")
            % {"name": name, "limit": megabytes(limit)},
            field=field,
        )
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if hasattr(upload, "seek"):
        upload.seek(0)
    if len(data) > limit:
        raise UploadRejected(
            _("“%(name)s” is larger than %(limit)s; send a smaller file.")
            % {"name": name, "limit": megabytes(limit)},
            field=field,
        )
    if not data:
        raise UploadRejected(_("“%(name)s” is empty.") % {"name": name}, field=field)
    return data


def is_program(data: bytes) -> bool:
    """The leading bytes of a program or an archive (whatever the file's name says)."""
    return data.startswith(_PROGRAM_MAGIC)


def sniff(data: bytes) -> str | None:
    """The kind the bytes claim to be by their leading bytes (not yet verified), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data[4:8] == b"ftyp":
        return "mp4"
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    return None


# A picture is decoded only when it has at most this many pixels: a small, highly compressed
# file could otherwise expand to gigabytes in a web worker (a decompression bomb).
MAX_PIXELS = 40_000_000


def _image_problem(data: bytes, kind: str) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                found = (image.format or "").lower()
                width, height = image.size
                image.verify()
            if width * height > MAX_PIXELS:
                return "undecodable"
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # decodes the pixels: a truncated or forged body fails here
    except (
        UnidentifiedImageError, OSError, SyntaxError, ValueError,
        Image.DecompressionBombError, Image.DecompressionBombWarning,
    ):
        return "undecodable"
    if found != kind:
        return "mismatch"
    if kind == "jpeg" and not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        return "trailing"
    if kind == "png" and not data.endswith(b"IEND\xaeB`\x82"):
        return "trailing"
    if kind == "webp" and int.from_bytes(data[4:8], "little") + 8 != len(data):
        return "trailing"
    if kind == "gif" and not data.endswith(b";"):
        return "trailing"
    return None


def _pdf_problem(data: bytes) -> str | None:
    if b"%%EOF" not in data[-1024:]:
        return "trailing"
    if _PDF_ACTIVE.search(data):
        return "active"
    return None


def _mp4_problem(data: bytes) -> str | None:
    if data[8:12] not in _MP4_BRANDS:
        return "undecodable"
    at, seen_moov = 0, False
    while at < len(data):
        if at + 8 > len(data):
            return "trailing"
        size, box = int.from_bytes(data[at : at + 4], "big"), data[at + 4 : at + 8]
        if size == 1:
            if at + 16 > len(data):
                return "trailing"
            size = int.from_bytes(data[at + 8 : at + 16], "big")
        elif size == 0:
            size = len(data) - at
        if size < 8 or not box.isascii() or not box.replace(b" ", b"a").isalnum():
            return "undecodable"
        seen_moov = seen_moov or box == b"moov"
        at += size
    if at != len(data) or not seen_moov:
        return "undecodable"
    return None


def _webm_problem(data: bytes) -> str | None:
    return None if b"\x42\x82\x84webm" in data[:64] or b"\x42\x82\x88matroska" in data[:64] else "undecodable"


def upload_check(upload, *, limit: int, allowed=ALL_KINDS, field: str = "files") -> Upload:
    """The upload's bytes and real type, or UploadRejected saying why (see the module doc)."""
    name = _display_name(upload)
    data = upload_read_limited(upload, limit=limit, field=field)
    names = ", ".join(sorted(CONTENT_TYPES[k][1].upper() for k in allowed))
    if is_program(data):
        raise UploadRejected(
            _("“%(name)s” is a program or an archive, whatever its name says. Send one of: %(kinds)s.")
            % {"name": name, "kinds": names},
            field=field,
        )
    kind = sniff(data)
    if kind is None or kind not in allowed:
        raise UploadRejected(
            _("“%(name)s” is not a file we accept. Send one of: %(kinds)s.") % {"name": name, "kinds": names},
            field=field,
        )
    if _MARKUP.search(data) or (kind in DECODED | {"pdf"} and _ZIP_END in data[-_ZIP_TAIL:]):
        raise UploadRejected(
            _("“%(name)s” carries hidden content (a web page, a script or an archive) and is refused.")
            % {"name": name},
            field=field,
        )
    if kind in DECODED:
        problem = _image_problem(data, kind)
    elif kind == "pdf":
        problem = _pdf_problem(data)
    elif kind == "mp4":
        problem = _mp4_problem(data)
    else:
        problem = _webm_problem(data)
    if problem == "active":
        raise UploadRejected(
            _("“%(name)s” is a PDF with scripts or embedded files; send a plain PDF.") % {"name": name},
            field=field,
        )
    if problem is not None:
        raise UploadRejected(
            _("“%(name)s” is damaged or carries extra content after its end; send the original file.")
            % {"name": name},
            field=field,
        )
    content_type, extension = CONTENT_TYPES[kind]
    return Upload(data=data, kind=kind, content_type=content_type, extension=extension, original_name=name)
