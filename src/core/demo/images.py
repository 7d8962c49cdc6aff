"""Product pictures for the demo catalog, drawn with Pillow.

Each picture is a tiled, paj-ntaub-like pattern (stepped diamonds, crosses,
square spirals, zigzag stripes) in one of a few textile palettes. The same
seed and index always give the same pixels. catalog.services.product_image_add
stores them (and makes the thumbnail) exactly as it does a seller's upload.
"""

from __future__ import annotations

import hashlib
import io
import random
from collections.abc import Callable

from PIL import Image, ImageDraw

SIZE = 640
Colour = tuple[int, int, int]


def _hex(value: str) -> Colour:
    value = value.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


# Background first, then the thread colours.
PALETTES: dict[str, list[Colour]] = {
    "indigo": [_hex(c) for c in ("1b2a57", "f4f1e8", "c8102e", "e0a526", "3f6fb5")],
    "red": [_hex(c) for c in ("9e1b1b", "f7efe0", "14213d", "f2b705", "2a7f62")],
    "green": [_hex(c) for c in ("1f4d3a", "f3ecd9", "d1495b", "edae49", "30638e")],
    "gold": [_hex(c) for c in ("c9931e", "201c3d", "b3261e", "f8f4e3", "2f6d4f")],
    "black": [_hex(c) for c in ("161616", "e9e4d4", "d7263d", "1b998b", "f46036")],
}


def _rng(seed: str, index: int) -> random.Random:
    digest = hashlib.sha256(f"{seed}#{index}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _diamond(draw: ImageDraw.ImageDraw, cx: int, cy: int, r: int, colours: list[Colour]) -> None:
    """Concentric stepped diamonds, the commonest paj ntaub figure."""
    rings = len(colours)
    for i, colour in enumerate(colours):
        rr = r - i * r // rings
        if rr <= 2:
            break
        draw.polygon([(cx, cy - rr), (cx + rr, cy), (cx, cy + rr), (cx - rr, cy)], fill=colour)


def _cross(draw: ImageDraw.ImageDraw, cx: int, cy: int, r: int, colours: list[Colour]) -> None:
    """A stepped cross with a small diamond heart."""
    arm = max(3, r // 3)
    draw.rectangle([cx - r, cy - arm, cx + r, cy + arm], fill=colours[0])
    draw.rectangle([cx - arm, cy - r, cx + arm, cy + r], fill=colours[0])
    step = max(2, arm // 2)
    draw.rectangle([cx - r + step, cy - step, cx + r - step, cy + step], fill=colours[1])
    draw.rectangle([cx - step, cy - r + step, cx + step, cy + r - step], fill=colours[1])
    _diamond(draw, cx, cy, arm, [colours[2 % len(colours)], colours[0]])


def _spiral(draw: ImageDraw.ImageDraw, cx: int, cy: int, r: int, colours: list[Colour]) -> None:
    """A squared snail-shell spiral, as cut in reverse appliqué."""
    width = max(2, r // 7)
    draw.rectangle([cx - r, cy - r, cx + r, cy + r], fill=colours[1])
    x, y, length = cx, cy, width
    points = [(x, y)]
    directions = [(1, 0), (0, 1), (-1, 0), (0, -1)]
    for turn in range(40):
        dx, dy = directions[turn % 4]
        x, y = x + dx * length, y + dy * length
        if abs(x - cx) > r - width or abs(y - cy) > r - width:
            break
        points.append((x, y))
        if turn % 2 == 1:
            length += width * 2
    draw.line(points, fill=colours[0], width=width, joint="curve")


def _stripes(draw: ImageDraw.ImageDraw, cx: int, cy: int, r: int, colours: list[Colour]) -> None:
    """Bands of zigzag triangles, like a sash border."""
    band = max(4, (2 * r) // 5)
    top = cy - r
    for row in range(5):
        y0 = top + row * band
        colour = colours[row % len(colours)]
        draw.rectangle([cx - r, y0, cx + r, y0 + band], fill=colour)
        tooth = max(4, band // 2)
        accent = colours[(row + 1) % len(colours)]
        for x in range(cx - r, cx + r - 2 * tooth + 1, tooth * 2):
            draw.polygon([(x, y0 + band), (x + tooth, y0), (x + 2 * tooth, y0 + band)], fill=accent)


MOTIFS: dict[str, Callable[..., None]] = {
    "diamond": _diamond,
    "cross": _cross,
    "spiral": _spiral,
    "stripes": _stripes,
}


def pattern_image(*, seed: str, index: int = 0, size: int = SIZE) -> Image.Image:
    """A square picture, deterministic from (seed, index)."""
    rng = _rng(seed, index)
    palette_name = sorted(PALETTES)[rng.randrange(len(PALETTES))]
    background, *threads = PALETTES[palette_name]
    image = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(image)

    # A border of stripes or small diamonds, then a grid of one or two motifs.
    border = size // 12
    border_colours = rng.sample(threads, 3)
    for i, offset in enumerate(range(0, size, border)):
        colour = border_colours[i % 3]
        for x0, y0 in ((offset, 0), (offset, size - border), (0, offset), (size - border, offset)):
            draw.polygon(
                [
                    (x0 + border // 2, y0),
                    (x0 + border, y0 + border // 2),
                    (x0 + border // 2, y0 + border),
                    (x0, y0 + border // 2),
                ],
                fill=colour,
            )
    names = sorted(MOTIFS)
    first, second = names[rng.randrange(4)], names[rng.randrange(4)]
    cells = rng.choice([2, 3, 4])
    inner = size - 2 * border
    cell = inner // cells
    for row in range(cells):
        for col in range(cells):
            cx = border + col * cell + cell // 2
            cy = border + row * cell + cell // 2
            motif = MOTIFS[first if (row + col) % 2 == 0 else second]
            colours = rng.sample(threads, 3) if rng.random() < 0.3 else threads[:3]
            motif(draw, cx, cy, int(cell * 0.42), colours)
    return image


def pattern_jpeg(*, seed: str, index: int = 0, size: int = SIZE) -> bytes:
    """The picture for (seed, index) as JPEG bytes."""
    out = io.BytesIO()
    pattern_image(seed=seed, index=index, size=size).save(out, format="JPEG", quality=85)
    return out.getvalue()
