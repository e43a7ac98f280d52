"""Small builders shared by the emulator tests."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable

from PIL import Image

# polling fixture: `await polling(dispatcher, **start_polling_kwargs)`
StartPolling = Callable[..., Awaitable[None]]


def make_jpeg(
    width: int = 1000, height: int = 600, color: tuple[int, int, int] = (200, 60, 40)
) -> bytes:
    """A real JPEG image of the given size."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="JPEG")
    return buffer.getvalue()
