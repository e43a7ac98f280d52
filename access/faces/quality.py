"""Photo decoding and face-quality measures.

Everything here works on bytes and arrays in memory: a photo is never written to disk.
Problems are reported as :class:`FaceProblem` codes; the chat layer owns the wording
(this package has no user-facing strings).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

RGBImage = NDArray[np.uint8]


class FaceProblem(StrEnum):
    """Why a photo yields no template. Each code maps to one thing the person can fix."""

    NOT_AN_IMAGE = "not_an_image"
    IMAGE_TOO_LARGE = "image_too_large"
    NO_FACE = "no_face"
    MULTIPLE_FACES = "multiple_faces"
    FACE_TOO_SMALL = "face_too_small"
    TOO_DARK = "too_dark"
    TOO_BRIGHT = "too_bright"
    TOO_BLURRY = "too_blurry"
    #: Only with anti-spoofing on: the face looks like a photo or a screen.
    SPOOF_SUSPECTED = "spoof_suspected"


# Formats a phone or a camera sends. Anything else (PDF, SVG via plugins, ICO...) is
# refused before decoding: each extra decoder is extra attack surface.
_FORMATS = ("JPEG", "PNG", "WEBP", "BMP")  # JPEG also opens MPO (phone) files
#: The file types taken as a picture when sent as a document; any other file is
#: refused before it is downloaded (BMP decodes too, but no phone sends one).
PHOTO_MIME_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})

# EXIF orientations that swap width and height.
_TRANSPOSED = {5, 6, 7, 8}


@dataclass(frozen=True, slots=True)
class DecodedImage:
    """An upright RGB photo, possibly downscaled; ``scale`` maps it back to the original."""

    rgb: RGBImage
    #: original (upright) width / this width; 1.0 when not downscaled.
    scale: float


def decode_image(
    data: bytes, *, max_bytes: int, max_pixels: int, max_side: int
) -> DecodedImage | FaceProblem:
    """Decode ``data`` into an upright RGB array whose long side is at most ``max_side``."""
    if len(data) > max_bytes:
        return FaceProblem.IMAGE_TOO_LARGE
    if not data:
        return FaceProblem.NOT_AN_IMAGE
    try:
        with warnings.catch_warnings():
            # Uploads are untrusted and often sloppy: PIL's warnings (corrupt EXIF, the
            # bomb warning under our own pixel cap) are noise; the outcome is what counts.
            warnings.simplefilter("ignore")
            img: Any = Image.open(io.BytesIO(data), formats=_FORMATS)
            width, height = img.size
            if width * height > max_pixels:
                return FaceProblem.IMAGE_TOO_LARGE
            orientation = img.getexif().get(0x0112, 1)
            upright_w = height if orientation in _TRANSPOSED else width
            if img.format in ("JPEG", "MPO"):
                # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when that still leaves at
                # least max_side: a 12 MP photo then decodes several times faster.
                img.draft("RGB", (max_side, max_side))
            img = ImageOps.exif_transpose(img)
            rgb = np.asarray(img.convert("RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
        return FaceProblem.NOT_AN_IMAGE
    except Exception:
        # Untrusted bytes: a malformed EXIF block or chunk can make a decoder raise
        # almost anything (struct.error, KeyError, SyntaxError...). None of it is ours
        # to crash on; all of it means the upload is not a usable image.
        return FaceProblem.NOT_AN_IMAGE
    if rgb.ndim != 3 or min(rgb.shape[:2]) < 8:
        return FaceProblem.NOT_AN_IMAGE
    h, w = rgb.shape[:2]
    if max(h, w) > max_side:
        factor = max_side / max(h, w)
        size = (max(1, round(w * factor)), max(1, round(h * factor)))
        rgb = np.ascontiguousarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA))
    return DecodedImage(rgb=rgb, scale=upright_w / rgb.shape[1])


def gray(rgb: RGBImage) -> NDArray[np.uint8]:
    """Luma of an RGB image."""
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), dtype=np.uint8)


def inner_face(chip_gray: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The central half of an aligned face chip: skin and features, little background.

    dlib's chips carry 25% padding on each side, so the middle half is the face itself;
    measuring there keeps a bright window or a dark suit out of the numbers.
    """
    h, w = chip_gray.shape
    return chip_gray[h // 4 : h - h // 4, w // 4 : w - w // 4]


def brightness(region: NDArray[np.uint8]) -> float:
    """Mean luma (0-255) of a face region."""
    return float(region.mean())


def sharpness(region: NDArray[np.uint8]) -> float:
    """Variance of the Laplacian: low when the face is out of focus or motion-blurred.

    Measured on the fixed-size aligned chip so the value does not depend on how many
    pixels the face had in the photo.
    """
    return float(cv2.Laplacian(region, cv2.CV_64F).var())
