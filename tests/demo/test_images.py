"""The demo pictures: deterministic, square, and accepted by the seller upload checks."""

import io

from django.core.files.base import ContentFile
from PIL import Image

from catalog.images import image_prepare
from core.demo.images import pattern_image, pattern_jpeg


def test_same_seed_same_bytes_different_seed_different_picture():
    assert pattern_jpeg(seed="story-cloth-a", index=0) == pattern_jpeg(
        seed="story-cloth-a", index=0
    )
    assert pattern_jpeg(seed="story-cloth-a", index=0) != pattern_jpeg(
        seed="story-cloth-a", index=1
    )
    assert pattern_jpeg(seed="story-cloth-a", index=0) != pattern_jpeg(
        seed="story-cloth-b", index=0
    )


def test_picture_is_square_jpeg_with_several_colours():
    picture = Image.open(io.BytesIO(pattern_jpeg(seed="silver-ring", index=2)))
    assert picture.format == "JPEG"
    assert picture.width == picture.height >= 400
    assert len(pattern_image(seed="silver-ring", index=2, size=200).getcolors(100_000)) > 4


def test_picture_passes_the_upload_checks():
    # RULE CAT-1: demo images go through the same checks as a seller's upload.
    prepared = image_prepare(ContentFile(pattern_jpeg(seed="basket", index=0), name="b.jpg"))
    assert prepared.format == "JPEG"
