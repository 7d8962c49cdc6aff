"""Product image uploads (RULE CAT-1): type by content, size, dimensions, damaged files,
decompression bombs, metadata stripped, thumbnail made and smaller."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from catalog import images, services
from catalog.images import ImageRejected
from catalog.models import ProductImage
from tests.factories import ProductFactory, ProductImageFactory
from tests.sellercenter.imagefiles import (
    exif_with_camera_and_gps,
    image_bytes,
    jpeg_upload,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return ProductFactory()


def rejected(product, file) -> str:
    with pytest.raises(ImageRejected) as excinfo:
        services.product_image_add(product=product, upload=file, alt_text="")
    error = excinfo.value
    assert error.status == 422 and error.code == "invalid_image"
    assert error.fields == {"image": [error.message]}
    assert not ProductImage.objects.exists()
    return error.message


def opened(field) -> Image.Image:
    field.open("rb")
    try:
        image = Image.open(io.BytesIO(field.read()))
        image.load()
    finally:
        field.close()
    return image


@pytest.mark.parametrize(
    ("fmt", "mode", "name", "stored_ext"),
    [
        ("JPEG", "RGB", "cloth.jpg", ".jpg"),
        ("PNG", "RGBA", "cloth.png", ".png"),
        ("PNG", "P", "palette.png", ".png"),
        ("WEBP", "RGB", "cloth.webp", ".webp"),
        ("PNG", "RGB", "really-a-png.jpg", ".png"),  # the name lies; the content decides
        ("JPEG", "RGB", "no-extension", ".jpg"),
    ],
)
def test_cat_1_accepted_formats_by_content(product, fmt, mode, name, stored_ext):
    data = image_bytes(fmt, (640, 480), mode=mode, color=1 if mode == "P" else "indigo")
    image = services.product_image_add(product=product, upload=upload(data, name),
                                       alt_text="Indigo cloth")
    image.refresh_from_db()
    assert image.image.name.startswith(f"products/{product.pk}/")
    assert image.image.name.endswith(stored_ext)
    assert (image.width, image.height) == (640, 480)
    assert image.alt_text == "Indigo cloth"
    assert opened(image.image).format == fmt
    thumb = opened(image.thumbnail)
    assert thumb.format == "WEBP"
    assert thumb.size == (400, 300)


@pytest.mark.parametrize(("fmt", "mode"), [
    ("PNG", "1"), ("PNG", "LA"), ("PNG", "I;16"), ("JPEG", "CMYK"), ("JPEG", "L"),
    ("WEBP", "RGBA"),
])
def test_cat_1_unusual_colour_modes_are_stored(product, fmt, mode):
    image = Image.new("I", (500, 300), 30000).convert(mode) if mode == "I;16" \
        else Image.new(mode, (500, 300))
    data = io.BytesIO()
    image.save(data, fmt)
    stored = services.product_image_add(product=product, upload=upload(data.getvalue()))
    assert opened(stored.image).format == fmt
    assert opened(stored.thumbnail).size == (400, 240)


def test_cat_1_palette_transparency_is_kept(product):
    image = Image.new("P", (300, 300), 0)
    data = io.BytesIO()
    image.save(data, "PNG", transparency=0)
    stored = services.product_image_add(product=product, upload=upload(data.getvalue()))
    assert opened(stored.image).info.get("transparency") == 0
    assert opened(stored.thumbnail).mode == "RGBA"


def test_cat_1_thumbnail_is_smaller_than_original(product):
    data = image_bytes("JPEG", (2400, 1800), noise=True)
    image = services.product_image_add(product=product, upload=upload(data), alt_text="")
    assert max(opened(image.thumbnail).size) <= 400
    assert image.thumbnail.size < image.image.size


def test_cat_1_text_file_renamed_jpg_is_refused(product):
    message = rejected(product, upload(b"just some notes, not a picture\n" * 20, "notes.jpg"))
    assert "not a picture we can read" in message


def test_cat_1_gif_and_bmp_are_refused_by_content(product):
    assert "GIF images are not accepted" in rejected(
        product, upload(image_bytes("GIF", (300, 300), mode="P", color=1), "anim.jpg"))
    assert "BMP images are not accepted" in rejected(
        product, upload(image_bytes("BMP", (300, 300)), "photo.png"))


def test_cat_1_empty_file_is_refused(product):
    assert "empty" in rejected(product, upload(b"", "empty.jpg"))


def test_cat_1_oversize_file_is_refused(product, settings):
    settings.HMONG_POLICY = {"product_image_max_bytes": 50_000}
    data = image_bytes("PNG", (1000, 1000), noise=True)
    assert len(data) > 50_000
    message = rejected(product, upload(data, "big.png"))
    assert "at most" in message and "MB" in message


def test_cat_1_oversize_by_default_policy_is_refused_before_decoding(product):
    data = image_bytes("JPEG", (300, 300)) + b"\0" * (5 * 1024 * 1024)
    assert "at most 5 MB" in rejected(product, upload(data, "padded.jpg"))


def test_cat_1_oversize_stream_without_size_is_refused(product, settings):
    settings.HMONG_POLICY = {"product_image_max_bytes": 1000}

    class Stream(io.BytesIO):
        name = "stream.jpg"

    assert "larger than" in rejected(product, Stream(image_bytes("JPEG", (400, 400),
                                                                  noise=True)))


@pytest.mark.parametrize(("size", "fragment"), [
    ((199, 400), "at least 200"),
    ((400, 150), "at least 200"),
    ((6001, 300), "at most 6000"),
    ((300, 6001), "at most 6000"),
])
def test_cat_1_dimensions_are_checked(product, size, fragment):
    message = rejected(product, upload(image_bytes("PNG", size), "x.png"))
    assert fragment in message
    assert f"{size[0]}×{size[1]}" in message


def test_cat_1_smallest_allowed_size_is_accepted(product):
    image = services.product_image_add(product=product, upload=jpeg_upload((200, 200)))
    assert (image.width, image.height) == (200, 200)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_cat_1_truncated_image_is_refused(product, fmt):
    data = image_bytes(fmt, (800, 800), noise=True)
    message = rejected(product, upload(data[: len(data) // 2], "cut.img"))
    assert "damaged or incomplete" in message


def test_cat_1_decompression_bomb_is_refused(product, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)
    message = rejected(product, upload(image_bytes("PNG", (1000, 1000)), "bomb.png"))
    assert "too many pixels" in message


def test_cat_1_exif_is_stripped_and_orientation_applied(product):
    data = image_bytes("JPEG", (800, 600), exif=exif_with_camera_and_gps())
    assert Image.open(io.BytesIO(data)).getexif().get(0x010F) == "PhoneMaker"
    image = services.product_image_add(product=product, upload=upload(data))
    stored = opened(image.image)
    assert dict(stored.getexif()) == {}
    assert "exif" not in stored.info
    # Orientation 6 means "turn 90°": the stored pixels are upright, so 600×800.
    assert stored.size == (600, 800)
    assert (image.width, image.height) == (600, 800)
    image.image.open("rb")
    assert b"PhoneMaker" not in image.image.read()
    image.image.close()


def test_cat_1_image_limit_per_product(product):
    ProductImageFactory.create_batch(images.MAX_IMAGES_PER_PRODUCT, product=product)
    with pytest.raises(ImageRejected) as excinfo:
        services.product_image_add(product=product, upload=jpeg_upload())
    assert f"at most {images.MAX_IMAGES_PER_PRODUCT} images" in excinfo.value.message


def test_cat_1_alt_text_too_long(product):
    with pytest.raises(services.DomainError) as excinfo:
        services.product_image_add(product=product, upload=jpeg_upload(), alt_text="x" * 201)
    assert "alt_text" in excinfo.value.fields


def test_cat_1_missing_upload(product):
    with pytest.raises(ImageRejected):
        services.product_image_add(product=product, upload=None)


def test_cat_1_images_get_positions_and_delete_removes_files(
        product, django_capture_on_commit_callbacks):
    first = services.product_image_add(product=product, upload=jpeg_upload(), alt_text="1")
    second = services.product_image_add(product=product, upload=jpeg_upload(), alt_text="2")
    assert (first.position, second.position) == (1, 2)
    storage = first.image.storage
    names = [first.image.name, first.thumbnail.name]
    assert all(storage.exists(n) for n in names)
    with django_capture_on_commit_callbacks(execute=True):
        services.product_image_delete(image=first)
    assert not ProductImage.objects.filter(pk=first.pk).exists()
    assert not any(storage.exists(n) for n in names)
    services.product_image_update(image=second, alt_text="  Back view ")
    second.refresh_from_db()
    assert second.alt_text == "Back view"
