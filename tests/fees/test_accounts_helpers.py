"""Small helpers shared by the fees tests."""

from __future__ import annotations

import io

from PIL import Image


def jpeg(color: str = "red", size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()
