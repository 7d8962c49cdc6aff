"""Pictures made in memory with Pillow for the upload tests (CAT-1)."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (800, 600), *, mode: str = "RGB",
                color="indigo", exif: Image.Exif | None = None, noise: bool = False) -> bytes:
    image = Image.new(mode, size, color)
    if noise:
        image = Image.effect_noise(size, 64).convert(mode)
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def upload(data: bytes, name: str = "picture.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def jpeg_upload(size: tuple[int, int] = (800, 600), name: str = "picture.jpg", **kwargs):
    return upload(image_bytes("JPEG", size, **kwargs), name)


def exif_with_camera_and_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x0131] = "Secret editor"  # Software
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    return exif
