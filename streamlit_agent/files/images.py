"""Images checked before they are kept, and the thumbnail the page draws instead of them.

Pillow reads a header without decoding pixels, so the pixel count is checked before
anything is decoded: a few kilobytes of PNG can claim 100,000 x 100,000 pixels (a
decompression bomb). Only then is the image verified and a small PNG thumbnail made;
the page draws that thumbnail, never the file itself, so an image the browser would
decode differently (or an SVG, which is never an image kind here) is never drawn.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

from streamlit_agent.files.errors import FileRejected

THUMBNAIL_PX = 320
# Frames of an animated GIF or WebP are counted against the pixel cap together.
_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF"}


def _open(name: str, data: bytes, kind: str, max_pixels: int) -> Image.Image:
    # Pillow's own bomb guard (a warning past MAX_IMAGE_PIXELS, an error past twice it)
    # is made an error at our cap; the size check below catches the same earlier.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[_FORMATS[kind]])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise FileRejected(name, "the image has too many pixels to open safely") from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise FileRejected(
                name, "the image is damaged or not what its first bytes say"
            ) from None
    width, height = image.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise FileRejected(
            name,
            f"the image is {width:,} x {height:,} pixels; at most {max_pixels:,} pixels are taken",
        )
    return image


def check_image(name: str, data: bytes, kind: str, max_pixels: int) -> tuple[int, int]:
    """(width, height) of an image within `max_pixels` whose data is whole; raises
    FileRejected naming the file otherwise. Nothing is decoded past the cap."""
    image = _open(name, data, kind, max_pixels)
    frames = getattr(image, "n_frames", 1)  # counted from the headers, not decoded
    if frames * image.size[0] * image.size[1] > max_pixels * 4:
        raise FileRejected(name, f"the animation has {frames:,} frames; it is too large")
    try:
        image.verify()  # checksums and structure, without decoding the pixels
    except Exception:  # Pillow raises many kinds here for many kinds of damage
        raise FileRejected(name, "the image is damaged") from None
    return image.size


def thumbnail(name: str, data: bytes, kind: str, max_pixels: int) -> bytes:
    """A PNG at most THUMBNAIL_PX on a side, decoded under the pixel cap (JPEG with
    `draft`, which decodes at a fraction of the size); raises FileRejected."""
    image = _open(name, data, kind, max_pixels)
    try:
        if kind == "jpeg":
            image.draft("RGB", (THUMBNAIL_PX, THUMBNAIL_PX))
        image.seek(0)
        small = image.convert("RGBA") if image.mode in ("P", "LA", "PA") else image.convert("RGB")
        small.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
        out = io.BytesIO()
        small.save(out, format="PNG")
    except Exception:  # a truncated or damaged image fails only when decoded
        raise FileRejected(name, "the image is damaged") from None
    return out.getvalue()
