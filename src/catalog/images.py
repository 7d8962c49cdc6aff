"""Product image uploads (CAT-1): check what a seller sends, keep a clean copy, make a thumbnail.

The type is decided by the file's content as Pillow reads it, never by its
name or the browser's content type. Accepted: JPEG, PNG and WebP, at most
policy.product_image_max_bytes, between MIN_SIDE and MAX_SIDE pixels on each
side. The stored original is re-encoded from the decoded pixels, so EXIF and
other metadata (camera, GPS position) are dropped; the EXIF orientation is
applied to the pixels first so the picture stays upright.
"""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils.translation import gettext
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import DomainError
from core.policy import policy
from core.uploads import is_program

ACCEPTED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MIN_SIDE = 200
MAX_SIDE = 6000
THUMBNAIL_SIZE = (400, 400)
MAX_IMAGES_PER_PRODUCT = 12
ACCEPT_ATTRIBUTE = "image/jpeg,image/png,image/webp"
KEPT_INFO = {"transparency", "icc_profile"}
# Modes Pillow resamples smoothly; others (palette, 1-bit, 16-bit) are converted first.
RESAMPLE_MODES = {"L", "LA", "RGB", "RGBA", "CMYK"}


class ImageRejected(DomainError):
    status = 422
    code = "invalid_image"

    def __init__(self, message: str, *, field: str = "image"):
        super().__init__(message, fields={field: [message]})


@dataclass(frozen=True)
class PreparedImage:
    """A checked upload: the re-encoded original and its thumbnail, ready to store."""

    original: ContentFile
    thumbnail: ContentFile
    width: int
    height: int
    format: str


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def image_read_limited(upload, *, field: str = "image") -> bytes:
    """The upload's bytes, refusing anything larger than the policy allows."""
    limit = policy.product_image_max_bytes
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ImageRejected(
            gettext("This file is %(size)s; a product image may be at most %(limit)s.")
            % {"size": _megabytes(size), "limit": _megabytes(limit)},
            field=field,
        )
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ImageRejected(
            gettext("This file is larger than %(limit)s, the most a product image may be.")
            % {"limit": _megabytes(limit)},
            field=field,
        )
    if not data:
        raise ImageRejected(gettext("The file is empty."), field=field)
    return data


def _open_checked(data: bytes, field: str) -> Image.Image:
    not_image = gettext(
        "This file is not a picture we can read. Upload a JPEG, PNG or WebP image."
    )
    if is_program(data):  # core.uploads: a program or an archive is no picture, whatever its name
        raise ImageRejected(not_image, field=field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            kind = probe.format
            width, height = probe.size
            if kind not in ACCEPTED_FORMATS:
                raise ImageRejected(
                    (gettext("%(kind)s images are not accepted. Upload a JPEG, PNG or WebP image.")
                     % {"kind": kind} if kind
                     else gettext("This images are not accepted. Upload a JPEG, PNG or WebP image.")),
                    field=field,
                )
            _check_dimensions(width, height, field)
            probe.verify()
            # verify() leaves the image unusable: open again and decode every pixel,
            # which is what reveals a truncated or damaged file.
            image = Image.open(io.BytesIO(data))
            image.load()
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(
            gettext("This image has too many pixels to process safely. Upload a smaller picture."),
            field=field,
        ) from None
    except UnidentifiedImageError:
        raise ImageRejected(not_image, field=field) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ImageRejected(
            gettext("This image file is damaged or incomplete. Save it again and upload it once more."),
            field=field,
        ) from None
    return image


def _check_dimensions(width: int, height: int, field: str) -> None:
    if width < MIN_SIDE or height < MIN_SIDE:
        raise ImageRejected(
            gettext("This image is %(width)s×%(height)s pixels; each side must be at least %(min)s pixels.")
            % {"width": width, "height": height, "min": MIN_SIDE},
            field=field,
        )
    if width > MAX_SIDE or height > MAX_SIDE:
        raise ImageRejected(
            gettext("This image is %(width)s×%(height)s pixels; each side may be at most %(max)s pixels.")
            % {"width": width, "height": height, "max": MAX_SIDE},
            field=field,
        )


def _encode(image: Image.Image, kind: str) -> bytes:
    out = io.BytesIO()
    if kind == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=90, optimize=True)
    elif kind == "PNG":
        if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"):
            image = image.convert("RGBA")
        image.save(out, "PNG", optimize=True)
    else:
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        image.save(out, "WEBP", quality=90)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    """A WebP of at most THUMBNAIL_SIZE. Shrinks `image` in place (it is not needed after)."""
    if image.mode not in RESAMPLE_MODES:
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    image.thumbnail(THUMBNAIL_SIZE, Image.Resampling.LANCZOS)
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    out = io.BytesIO()
    image.save(out, "WEBP", quality=80)
    return out.getvalue()


def image_prepare(upload, *, field: str = "image") -> PreparedImage:
    """Check an upload; return a clean original and a thumbnail, or raise ImageRejected."""
    data = image_read_limited(upload, field=field)
    image = _open_checked(data, field)
    kind = image.format
    # Work on the one decoded copy: a 6000×6000 picture is large in memory.
    ImageOps.exif_transpose(image, in_place=True)
    # Keep only what the pixels need (palette transparency, colour profile);
    # EXIF, XMP and comments are dropped.
    image.info = {k: v for k, v in image.info.items() if k in KEPT_INFO}
    width, height = image.size
    stem = uuid.uuid4().hex
    original = ContentFile(_encode(image, kind), name=f"{stem}.{ACCEPTED_FORMATS[kind]}")
    thumbnail = ContentFile(_thumbnail(image), name=f"{stem}-thumb.webp")
    return PreparedImage(original=original, thumbnail=thumbnail, width=width, height=height,
                         format=kind)
