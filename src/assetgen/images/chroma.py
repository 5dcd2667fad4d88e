"""`transparent: chroma`: generate on a flat key colour, then remove it locally with Pillow.

gpt-image-2's own transparent background is a preview feature; keying is the portable
alternative. The prompt asks for a flat background in the key colour; `remove_key` then

1. measures the key the model really painted (the median of the border pixels close to
   the asked colour — a "pure green" often comes back as (12, 246, 20));
2. turns the distance of every pixel to that colour into alpha with a soft ramp
   (`SOFT_EDGE`), so anti-aliased edges stay smooth instead of jagged;
3. despills: near the key, the key's channels are pulled down to the others, so edges do
   not keep a green (or magenta) fringe; colours far from the key are left alone;
4. clears the colour of fully transparent pixels (smaller files, no hidden key colour).

Everything is deterministic: the same pixels and key give the same output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Pillow is imported where pixels are touched: the planner imports this
    from PIL import Image

SOFT_EDGE = (40.0, 110.0)  # RGB distance: fully transparent below, fully opaque above
DESPILL_REACH = 200.0  # despill fades out between SOFT_EDGE[1] and this distance
_BORDER_SAMPLES = 4096
_NEAR_KEY = 150.0  # border pixels this close to the asked key are taken as background

_NAMES = {"#00ff00": "pure green", "#ff00ff": "magenta", "#0000ff": "pure blue",
          "#00ffff": "cyan", "#ff0000": "pure red", "#ffff00": "pure yellow"}


def parse_hex(key: str) -> tuple[int, int, int]:
    digits = key.strip().lstrip("#")
    if len(digits) != 6:
        raise ValueError(f"not a #rrggbb colour: {key!r}")
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def to_hex(rgb: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{c:02x}" for c in rgb)


def prompt_suffix(key: str) -> str:
    """What the prompt adds so the model paints a background that can be keyed out."""
    name = _NAMES.get(key.lower())
    colour = f"{name} ({key.upper()})" if name else key.upper()
    return (f"Background: one perfectly flat, uniform {colour} colour filling the whole frame "
            "behind the subject — no gradient, texture, shadow, reflection or vignette on it. "
            f"Do not use {colour} or similar colours anywhere in the subject itself.")


def _rgb_distance(a: tuple[int, int, int], b: tuple[int, ...]) -> float:
    return float(sum((p - q) ** 2 for p, q in zip(a, b[:3], strict=True)) ** 0.5)


def measure_key(image: Image.Image, asked: tuple[int, int, int]) -> tuple[int, int, int]:
    """The key colour as painted: the median of the border pixels near ``asked``."""
    rgb = image.convert("RGB")
    width, height = rgb.size
    points: list[tuple[int, int]] = []
    perimeter = 2 * (width + height)
    step = max(1, perimeter // _BORDER_SAMPLES)
    points += [(x, 0) for x in range(0, width, step)]
    points += [(x, height - 1) for x in range(0, width, step)]
    points += [(0, y) for y in range(0, height, step)]
    points += [(width - 1, y) for y in range(0, height, step)]
    near = []
    for point in points:
        pixel = rgb.getpixel(point)
        if isinstance(pixel, tuple) and _rgb_distance(asked, pixel) <= _NEAR_KEY:
            near.append(pixel)
    if len(near) < max(8, len(points) // 10):
        return asked  # the model did not paint much of a key: trust the asked colour
    import statistics  # loads decimal and fractions: only when a key colour is measured

    return (round(statistics.median(p[0] for p in near)),
            round(statistics.median(p[1] for p in near)),
            round(statistics.median(p[2] for p in near)))


def remove_key(image: Image.Image, key: str) -> tuple[Image.Image, dict[str, Any]]:
    """``image`` with the key colour made transparent (RGBA), and the postprocess step."""
    from PIL import Image, ImageMath

    asked = parse_hex(key)
    measured = measure_key(image, asked)
    source = image.convert("RGBA")
    red, green, blue, original_alpha = source.split()
    kr, kg, kb = (float(c) for c in measured)
    inner, outer = SOFT_EDGE

    def distance(a: Any) -> Any:
        f = a["float"]
        return ((f(a["r"]) - kr) ** 2 + (f(a["g"]) - kg) ** 2 + (f(a["b"]) - kb) ** 2) ** 0.5

    dist = ImageMath.lambda_eval(distance, r=red, g=green, b=blue)
    scale = 255.0 / (outer - inner)
    alpha = ImageMath.lambda_eval(lambda a: a["convert"]((a["d"] - inner) * scale, "L"),
                                  d=dist)
    alpha = ImageMath.lambda_eval(lambda a: a["convert"](a["min"](a["x"], a["y"]), "L"),
                                  x=alpha, y=original_alpha)
    red, green, blue = _despill((red, green, blue), dist, asked)
    result = Image.merge("RGBA", (red, green, blue, alpha))
    # Fully transparent pixels carry no colour: black, so no key colour hides in them.
    clear = alpha.point(lambda v: 255 if v == 0 else 0)
    result.paste((0, 0, 0, 0), mask=clear)
    step = {"op": "chroma-key", "key": key.lower(), "measured": to_hex(measured),
            "soft_edge": list(SOFT_EDGE), "despill": True}
    return result, step


def _despill(channels: tuple[Image.Image, Image.Image, Image.Image], dist: Image.Image,
             key: tuple[int, int, int]) -> tuple[Image.Image, Image.Image, Image.Image]:
    """Pull the key's channels down to the others' level near the key colour."""
    from PIL import ImageMath

    hot = [index for index, value in enumerate(key) if value >= 128]
    cold = [index for index, value in enumerate(key) if value < 128]
    if not hot or not cold:
        return channels
    _inner, outer = SOFT_EDGE
    reach = DESPILL_REACH
    # weight: 1 up to the opaque edge, fading to 0 at DESPILL_REACH.
    weight = ImageMath.lambda_eval(
        lambda a: a["min"](a["max"]((reach - a["d"]) / (reach - outer), 0.0), 1.0), d=dist)
    floats = [ImageMath.lambda_eval(lambda a: a["float"](a["c"]), c=c) for c in channels]

    def lowest(items: list[Image.Image]) -> Image.Image:
        result = items[0]
        for item in items[1:]:
            result = ImageMath.lambda_eval(lambda a: a["min"](a["x"], a["y"]), x=result, y=item)
        return result

    def highest(items: list[Image.Image]) -> Image.Image:
        result = items[0]
        for item in items[1:]:
            result = ImageMath.lambda_eval(lambda a: a["max"](a["x"], a["y"]), x=result, y=item)
        return result

    spill = ImageMath.lambda_eval(
        lambda a: a["max"](a["h"] - a["c"], 0.0) * a["w"],
        h=lowest([floats[i] for i in hot]), c=highest([floats[i] for i in cold]), w=weight)
    out = list(channels)
    for index in hot:
        out[index] = ImageMath.lambda_eval(lambda a: a["convert"](a["x"] - a["s"], "L"),
                                           x=floats[index], s=spill)
    return out[0], out[1], out[2]
