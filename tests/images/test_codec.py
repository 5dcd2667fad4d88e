from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from assetgen.errors import ImageError
from assetgen.images import codec as imaging
from assetgen.images import placeholder as draw
from assetgen.images.codec import (
    API_FORMATS,
    ImageInfo,
    api_format_for,
    decode,
    encode,
    fit,
    format_for_path,
    probe,
    probe_file,
    writable_formats,
)
from assetgen.images.placeholder import render_placeholder

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)


def gradient(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """A smooth, non-trivial picture: lossy codecs keep its shape, and it compresses."""
    red = Image.linear_gradient("L").resize((width, height))
    green = Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90).resize((width, height))
    blue = Image.new("L", (width, height), 128)
    image = Image.merge("RGB", (red, green, blue))
    if mode == "RGBA":
        alpha = Image.new("L", (width, height), 255)
        alpha.paste(0, (0, 0, width // 2, height))  # the left half is fully transparent
        image.putalpha(alpha)
    return image


def banded(width: int, height: int, band: int) -> Image.Image:
    """Red bands of ``band`` px at the left and right, green in between."""
    image = Image.new("RGB", (width, height), GREEN)
    image.paste(RED, (0, 0, band, height))
    image.paste(RED, (width - band, 0, width, height))
    return image


def close(pixel: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=False))


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


# --- formats --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("hero.png", "png"),
        ("hero.PNG", "png"),
        ("img/hero.jpg", "jpeg"),
        ("hero.jpeg", "jpeg"),
        ("hero.JPEG", "jpeg"),
        ("hero.webp", "webp"),
        ("hero.gif", "gif"),
        ("hero.tif", "tiff"),
        ("hero.tiff", "tiff"),
        ("hero.bmp", "bmp"),
        ("dir.with.dots/hero.final.png", "png"),
    ],
)
def test_format_for_path(name: str, expected: str) -> None:
    assert format_for_path(name) == expected
    assert format_for_path(Path(name)) == expected


def test_format_for_avif_path_when_writable() -> None:
    if "avif" not in writable_formats():
        pytest.skip("this Pillow cannot write AVIF")
    assert format_for_path("hero.avif") == "avif"


@pytest.mark.parametrize("name", ["logo.svg", "notes.txt", "hero", "hero.", "archive.tar.gz"])
def test_format_for_path_refuses_what_pillow_cannot_write(name: str) -> None:
    with pytest.raises(ValueError, match=r"accepted suffixes: .*\.png.*\.jpg.*\.webp"):
        format_for_path(name)


def test_format_for_svg_names_the_suffix() -> None:
    with pytest.raises(ValueError, match=r"cannot write a \.svg file"):
        format_for_path("img/logo.svg")


def test_writable_formats_include_the_api_formats() -> None:
    formats = writable_formats()
    assert set(formats) >= API_FORMATS
    assert all(name == name.lower() for name in formats)


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("png", "png"), ("jpeg", "jpeg"), ("jpg", "jpeg"), ("webp", "webp"), ("avif", "png")],
)
def test_api_format_for(fmt: str, expected: str) -> None:
    assert api_format_for(fmt) == expected


def test_api_format_for_other_formats_is_a_png_master() -> None:
    assert api_format_for("gif") == "png"
    assert api_format_for("TIFF") == "png"


# --- encode and probe -----------------------------------------------------------------------

ROUND_TRIP_FORMATS = ["png", "jpeg", "webp", "avif", "gif", "tiff", "bmp", "jpeg2000", "tga"]


@pytest.mark.parametrize("fmt", ROUND_TRIP_FORMATS)
def test_round_trip_keeps_dimensions(fmt: str) -> None:
    if fmt not in writable_formats():
        pytest.skip(f"this Pillow cannot write {fmt}")
    data = encode(gradient(96, 64), fmt)
    info = probe(data)
    assert (info.width, info.height, info.format) == (96, 64, fmt)
    assert decode(data).size == (96, 64)


@pytest.mark.parametrize("fmt", ROUND_TRIP_FORMATS)
def test_encode_is_deterministic(fmt: str) -> None:
    if fmt not in writable_formats():
        pytest.skip(f"this Pillow cannot write {fmt}")
    image = gradient(80, 48, "RGBA")
    first = encode(image, fmt)
    assert encode(image, fmt) == first
    assert encode(image.copy(), fmt) == first


def test_re_encoding_decoded_pixels_is_stable() -> None:
    data = encode(gradient(64, 64), "png")
    assert encode(decode(data), "png") == data


@pytest.mark.parametrize("fmt", ["png", "webp", "avif"])
def test_alpha_is_kept(fmt: str) -> None:
    if fmt not in writable_formats():
        pytest.skip(f"this Pillow cannot write {fmt}")
    decoded = decode(encode(gradient(64, 64, "RGBA"), fmt))
    assert decoded.mode in ("RGBA", "LA")
    assert decoded.getpixel((4, 32))[-1] < 16  # transparent half
    assert decoded.getpixel((60, 32))[-1] > 240  # opaque half


def test_alpha_is_flattened_on_white_for_jpeg() -> None:
    image = Image.new("RGBA", (32, 32), (0, 0, 255, 255))
    image.paste((0, 0, 0, 0), (0, 0, 16, 32))  # transparent black must become white
    decoded = decode(encode(image, "jpeg"))
    assert decoded.mode == "RGB"
    assert close(decoded.getpixel((4, 16)), (255, 255, 255))
    assert close(decoded.getpixel((28, 16)), BLUE)


def test_palette_transparency_is_flattened_for_jpeg() -> None:
    image = Image.new("P", (16, 16), 0)
    image.putpalette([0, 0, 0, 255, 0, 0])
    image.paste(1, (8, 0, 16, 16))
    image.info["transparency"] = 0
    decoded = decode(encode(image, "jpg"))
    assert close(decoded.getpixel((2, 8)), (255, 255, 255))
    assert close(decoded.getpixel((13, 8)), RED)


def test_palette_transparency_is_kept_for_png() -> None:
    image = Image.new("P", (16, 16), 0)
    image.putpalette([0, 0, 0, 255, 0, 0])
    image.paste(1, (8, 0, 16, 16))
    image.info["transparency"] = 0
    decoded = decode(encode(image, "png")).convert("RGBA")
    assert decoded.getpixel((2, 8))[3] == 0
    assert decoded.getpixel((13, 8)) == (*RED, 255)


def test_single_colour_transparency_becomes_alpha_or_white() -> None:
    image = Image.new("RGB", (16, 16), RED)
    image.paste(BLUE, (0, 0, 8, 16))
    image.info["transparency"] = BLUE  # as a PNG tRNS chunk decodes
    assert decode(encode(image, "webp", lossless=True)).getpixel((2, 8))[3] == 0
    assert close(decode(encode(image, "jpeg")).getpixel((2, 8)), (255, 255, 255))


def test_encode_writes_no_metadata() -> None:
    image = gradient(32, 32)
    exif = Image.Exif()
    exif[0x010E] = "secret description"  # ImageDescription
    image.info.update(comment=b"secret comment", exif=exif.tobytes(), dpi=(300, 300))
    for fmt in ("png", "jpeg", "webp"):
        data = encode(image, fmt)
        assert b"secret" not in data
        assert b"Exif" not in data
        with Image.open(io.BytesIO(data)) as reopened:
            assert "exif" not in reopened.info
            assert "comment" not in reopened.info
    assert image.info["comment"] == b"secret comment"  # the caller's image is untouched


def test_encode_quality_changes_lossy_output() -> None:
    image = gradient(64, 64)
    assert encode(image, "jpeg", quality=30) != encode(image, "jpeg")
    assert len(encode(image, "webp", quality=20)) < len(encode(image, "webp", quality=95))


def test_lossless_webp_keeps_exact_pixels() -> None:
    image = gradient(48, 48)
    assert decode(encode(image, "webp", lossless=True)).tobytes() == image.tobytes()


def test_encode_refuses_unknown_formats_and_lossless_jpeg() -> None:
    with pytest.raises(ValueError, match="writable formats"):
        encode(gradient(8, 8), "svg")
    with pytest.raises(ValueError, match="losslessly"):
        encode(gradient(8, 8), "jpeg", lossless=True)
    with pytest.raises(ValueError, match="quality"):
        encode(gradient(8, 8), "webp", quality=101)


def test_jpeg_is_progressive() -> None:
    with Image.open(io.BytesIO(encode(gradient(64, 64), "jpeg"))) as reopened:
        assert reopened.info.get("progressive") or reopened.info.get("progression")


def test_probe_describes_the_image() -> None:
    info = probe(encode(gradient(40, 30, "RGBA"), "png"))
    assert info == ImageInfo(width=40, height=30, format="png", mode="RGBA")


@pytest.mark.parametrize(
    "data",
    [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b"GIF89a"],
    ids=["empty", "garbage", "png-signature-only", "gif-header-only"],
)
def test_probe_rejects_what_does_not_decode(data: bytes) -> None:
    with pytest.raises(ImageError, match="image data does not decode"):
        probe(data)


def test_probe_rejects_an_empty_file_plainly() -> None:
    with pytest.raises(ImageError, match="empty"):
        probe(b"")


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_probe_rejects_truncated_png(keep: float) -> None:
    data = encode(gradient(64, 64), "png")
    with pytest.raises(ImageError, match="does not decode"):
        probe(data[: int(len(data) * keep)])


def test_probe_rejects_truncated_jpeg_and_webp() -> None:
    for fmt in ("jpeg", "webp"):
        data = encode(gradient(64, 64), fmt)
        with pytest.raises(ImageError):
            probe(data[: len(data) // 2])


def test_probe_rejects_a_corrupted_png_checksum() -> None:
    data = bytearray(encode(gradient(32, 32), "png"))
    data[-20] ^= 0xFF  # inside the last IDAT chunk
    with pytest.raises(ImageError):
        probe(bytes(data))


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("limit", [1000, 3000])  # Pillow errors past 2x its limit, warns below
def test_probe_guards_decompression_bombs(monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    data = encode(gradient(64, 64), "png")  # 4,096 pixels
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)
    with pytest.raises(ImageError, match="does not decode"):
        probe(data)
    with pytest.raises(ImageError):
        decode(data)


def test_probe_file(tmp_path: Path) -> None:
    path = tmp_path / "ok.webp"
    path.write_bytes(encode(gradient(20, 10), "webp"))
    assert probe_file(path) == ImageInfo(20, 10, "webp", "RGB")


def test_probe_file_errors_name_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "missing.png"
    with pytest.raises(ImageError, match=r"missing\.png"):
        probe_file(missing)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"nope")
    with pytest.raises(ImageError, match=r"broken\.png: image data does not decode"):
        probe_file(broken)


def test_decode_applies_exif_orientation() -> None:
    image = gradient(40, 20)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    assert probe(buffer.getvalue()).width == 40
    assert decode(buffer.getvalue()).size == (20, 40)


# --- fit ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ((1216, 640), (1200, 630)),  # slight downscale
        ((64, 64), (300, 200)),  # upscale to another shape
        ((1536, 1024), (101, 307)),  # odd, tall
        ((300, 100), (1001, 999)),  # wide to square, upscale
        ((50, 50), (1, 1)),
    ],
)
def test_fit_gives_exact_dimensions(source: tuple[int, int], target: tuple[int, int]) -> None:
    assert fit(gradient(*source), *target).size == target


def test_fit_returns_the_image_when_already_that_size() -> None:
    image = gradient(32, 16)
    assert fit(image, 32, 16) is image


def test_fit_crops_the_centre_of_a_wide_image() -> None:
    fitted = fit(banded(300, 100, band=50), 80, 80)
    assert fitted.size == (80, 80)
    for corner in ((0, 0), (79, 0), (0, 79), (79, 79)):
        assert close(fitted.getpixel(corner), GREEN), corner


def test_fit_crops_the_centre_of_a_tall_image() -> None:
    tall = banded(300, 100, band=50).transpose(Image.Transpose.ROTATE_90)
    fitted = fit(tall, 120, 120)  # an upscale too
    for corner in ((0, 0), (119, 0), (0, 119), (119, 119)):
        assert close(fitted.getpixel(corner), GREEN), corner


def test_fit_keeps_the_whole_width_when_cropping_height() -> None:
    fitted = fit(banded(300, 300, band=30), 150, 50)
    assert close(fitted.getpixel((1, 25)), RED)
    assert close(fitted.getpixel((75, 25)), GREEN)
    assert close(fitted.getpixel((148, 25)), RED)


def test_fit_handles_palette_images_smoothly() -> None:
    palette_image = gradient(64, 64).convert("P", palette=Image.Palette.ADAPTIVE)
    fitted = fit(palette_image, 40, 30)
    assert fitted.size == (40, 30)
    assert fitted.mode == "RGB"


def test_fit_rejects_non_positive_sizes() -> None:
    with pytest.raises(ValueError):
        fit(gradient(8, 8), 0, 8)


# --- placeholder ----------------------------------------------------------------------------

PROMPT = (
    "flat vector illustration, warm palette: a rocket launching for Acme over a city skyline "
    "at dawn — café signs glowing, soft clouds, crisp edges"
)


def placeholder(width: int, height: int, seed: str = "hero", body: str = PROMPT) -> Image.Image:
    return render_placeholder(
        width, height, title="hero", subtitle=f"{width}x{height} · draft", body=body, seed=seed
    )


@pytest.mark.parametrize("size", [(64, 64), (1200, 630), (3840, 2160), (480, 1440), (1, 1)])
def test_placeholder_has_the_exact_size(size: tuple[int, int]) -> None:
    image = placeholder(*size)
    assert image.size == size
    assert image.mode == "RGB"


def test_placeholder_is_deterministic() -> None:
    first = encode(placeholder(1200, 630), "png")
    assert encode(placeholder(1200, 630), "png") == first


def test_placeholder_seed_picks_the_colours() -> None:
    colours = {placeholder(200, 200, seed=seed).getpixel((1, 199)) for seed in "abcdefgh"}
    assert len(colours) >= 6


def test_placeholder_text_changes_the_image() -> None:
    assert placeholder(600, 400).tobytes() != placeholder(600, 400, body="another prompt").tobytes()


def test_placeholder_background_is_calm_and_text_contrasts() -> None:
    image = placeholder(1200, 630)
    background_luma = sum(image.convert("L").crop((0, 0, 1200, 20)).tobytes()) / (1200 * 20)
    assert background_luma > 170  # light, not a loud colour
    darkest = min(image.convert("L").tobytes())
    assert darkest < 90  # dark text on it


def test_placeholder_survives_long_and_odd_text() -> None:
    long_body = "word " * 5000 + "averyveryverylongwordwithoutanyspaces" * 20
    image = render_placeholder(
        300,
        120,
        title="a-really-long-asset-identifier-that-cannot-fit-at-all.v2",
        subtitle="300x120 · draft",
        body=long_body + " 中文 émoji 🚀\n\ttabs",
        seed="",
    )
    assert image.size == (300, 120)


def test_placeholder_wrap_ends_with_an_ellipsis_when_cut() -> None:
    font = draw._font(20)
    lines = draw._wrap("lorem ipsum dolor " * 50, font, 200, max_lines=3)
    assert len(lines) == 3
    assert lines[-1].endswith("…")
    assert all(font.getlength(line) <= 200 for line in lines)


def test_placeholder_text_is_folded_to_drawable_characters() -> None:
    assert draw._drawable("café — 1200×630") == "cafe - 1200x630"
    assert draw._drawable("a\n\tb") == "a b"


# --- metadata, settings and resizing for variants ---------------------------------------------


def test_encode_writes_only_the_metadata_it_is_given() -> None:
    image = gradient(32, 32)
    with_text = encode(image, "png", png_text={"assetgen.provenance": '{"a":"b"}'})
    with Image.open(io.BytesIO(with_text)) as reopened:
        assert reopened.info["assetgen.provenance"] == '{"a":"b"}'
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"/>'
    for fmt in ("jpeg", "webp", "avif"):
        data = encode(image, fmt, xmp=xmp)
        assert encode(image, fmt, xmp=xmp) == data  # still deterministic
        with Image.open(io.BytesIO(data)) as reopened:
            assert reopened.info["xmp"] == xmp


def test_encode_refuses_metadata_a_format_cannot_carry() -> None:
    with pytest.raises(ValueError, match="XMP"):
        encode(gradient(8, 8), "gif", xmp=b"<x/>")
    with pytest.raises(ValueError, match="PNG text"):
        encode(gradient(8, 8), "webp", png_text={"k": "v"})


def test_progressive_and_optimize_settings() -> None:
    image = gradient(64, 64)
    with Image.open(io.BytesIO(encode(image, "jpeg", progressive=False))) as reopened:
        assert not reopened.info.get("progressive") and not reopened.info.get("progression")
    assert encode(image, "png", optimize=True) != encode(image, "png")


def test_resize_to_width_keeps_the_ratio_and_never_enlarges() -> None:
    image = gradient(300, 200)
    assert imaging.resize_to_width(image, 150).size == (150, 100)
    assert imaging.resize_to_width(image, 600) is image
    with pytest.raises(ValueError):
        imaging.resize_to_width(image, 0)


def test_has_alpha_means_a_pixel_that_is_not_opaque() -> None:
    assert imaging.has_alpha(encode(gradient(16, 16, "RGBA"), "png"))
    opaque_rgba = Image.new("RGBA", (8, 8), (1, 2, 3, 255))
    assert not imaging.has_alpha(encode(opaque_rgba, "png"))
    assert not imaging.has_alpha(encode(gradient(8, 8), "png"))


def test_format_table_agrees_with_pillow() -> None:
    from assetgen.images import formats
    assert {spec.name for spec in formats.writable()} >= set(writable_formats())
    assert formats.suffix_for("jpeg") == ".jpg" and formats.mime_for("avif") == "image/avif"
    assert imaging.API_FORMATS is formats.API_FORMATS


def test_header_reads_size_without_proving_the_pixels() -> None:
    header = imaging.header
    data = encode(Image.new("RGB", (40, 30), (1, 2, 3)), "png")
    assert (header(data).width, header(data).height, header(data).format) == (40, 30, "png")
    assert header(data[: len(data) // 2]).width == 40  # cut pixels: only probe notices
    with pytest.raises(ImageError, match="does not decode"):
        probe(data[: len(data) // 2])
    for junk in (b"", b"<html>"):
        with pytest.raises(ImageError, match="does not decode"):
            header(junk)
