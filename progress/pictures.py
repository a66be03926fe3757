"""Opening a picture with Pillow, HEIC/HEIF included, without a side effect at import.

``pillow_heif`` adds its HEIF decoder to Pillow's global registry; that happens once, on the first
:func:`open_picture` of an ISO media file, so that importing the package changes nothing outside it. A light
module (Pillow only) so that the records layer can read picture headers without loading the analysis layers.
"""

from __future__ import annotations

import functools
import io

from PIL import Image

__all__ = ["open_picture"]


@functools.cache
def _register_heif_decoder() -> None:
    """Teach Pillow to read HEIC/HEIF (``pillow_heif``), once, when the first picture is opened: importing this
    module changes nothing outside it."""
    import pillow_heif

    pillow_heif.register_heif_opener()


def open_picture(data: bytes, formats: tuple[str, ...] | None) -> Image.Image:
    """``Image.open`` on ``data``, trying only ``formats`` (None: every Pillow decoder, for code that only reads
    headers). Reads the header, not the pixels; Pillow's errors pass through. The HEIF decoder is registered
    when the bytes are an ISO media file (``ftyp`` at offset 4, as every HEIC/HEIF/AVIF is), so reading JPEGs
    never loads it."""
    if data[4:8] == b"ftyp":
        _register_heif_decoder()
    return Image.open(io.BytesIO(data), formats=formats)
