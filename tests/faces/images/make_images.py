"""Regenerate the committed face photos from their public sources.

The photos in this folder are derived from two packages on PyPI (see README.md):

    pip download --no-deps --no-binary :all: face_recognition==1.3.0 -d /tmp/fr
    tar xzf /tmp/fr/face_recognition-1.3.0.tar.gz -C /tmp/fr
    pip download --no-deps --only-binary :all: scikit-image==0.26.0 -d /tmp/ski
    unzip -q /tmp/ski/scikit_image-*.whl 'skimage/data/*' -d /tmp/ski

    python tests/faces/images/make_images.py /tmp/fr/face_recognition-1.3.0/tests/test_images \
        /tmp/ski/skimage/data

Every output is a small JPEG so that the whole set stays well under 3 MB. Crop boxes are
in source pixels and were chosen around dlib's detections of the original photos.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageEnhance, ImageFilter

HERE = Path(__file__).resolve().parent


def _save(img: Image.Image, name: str) -> None:
    img.convert("RGB").save(HERE / name, "JPEG", quality=85, optimize=True)


def _width(img: Image.Image, width: int) -> Image.Image:
    return img.resize((width, round(img.height * width / img.width)), Image.Resampling.LANCZOS)


def _height(img: Image.Image, height: int) -> Image.Image:
    return img.resize((round(img.width * height / img.height), height), Image.Resampling.LANCZOS)


def main(fr_dir: Path, ski_dir: Path) -> None:
    obama = Image.open(fr_dir / "obama.jpg").convert("RGB")  # official portrait
    podium = Image.open(fr_dir / "obama2.jpg").convert("RGB")  # speaking at a podium
    east = Image.open(fr_dir / "obama3.jpg").convert("RGB")  # standing in a state room
    biden = Image.open(fr_dir / "biden.jpg").convert("RGB")
    collins = Image.open(ski_dir / "astronaut.png").convert("RGB")
    coffee = Image.open(ski_dir / "coffee.png").convert("RGB")

    # Same person, three distinct photographs of Obama.
    portrait = _width(obama.crop((0, 0, 910, 900)), 600)
    _save(portrait, "obama_portrait.jpg")
    podium_img = _width(podium.crop((0, 0, 626, 900)), 480)
    _save(podium_img, "obama_podium.jpg")
    east_img = _width(east.crop((300, 0, 1300, 1000)), 600)
    _save(east_img, "obama_east_room.jpg")
    # Derived variants: other framing, scale and exposure of the same photographs.
    _save(_width(obama.crop((266, 36, 724, 544)), 400), "obama_portrait_tight.jpg")
    _save(_width(podium, 240), "obama_podium_small.jpg")
    _save(ImageEnhance.Brightness(east_img).enhance(1.35), "obama_east_room_bright.jpg")
    _save(ImageEnhance.Brightness(portrait).enhance(0.55), "obama_portrait_dim.jpg")

    biden_img = _width(biden.crop((0, 0, 970, 900)), 560)
    _save(biden_img, "biden.jpg")
    _save(_width(biden.crop((339, 133, 849, 643)), 360), "biden_tight.jpg")
    _save(ImageEnhance.Contrast(biden_img).enhance(0.7), "biden_low_contrast.jpg")

    _save(collins, "collins.jpg")
    _save(_width(collins.crop((100, 20, 360, 280)), 480), "collins_crop.jpg")

    # Photos that must be refused, each for one reason.
    pair = [_height(portrait, 420), _height(biden_img, 420)]
    two = Image.new("RGB", (sum(p.width for p in pair), 420))
    two.paste(pair[0], (0, 0))
    two.paste(pair[1], (pair[0].width, 0))
    _save(two, "two_faces.jpg")
    _save(coffee, "no_face.jpg")
    _save(ImageEnhance.Brightness(podium_img).enhance(0.12), "dark.jpg")
    _save(portrait.filter(ImageFilter.GaussianBlur(6)), "blurred.jpg")
    _save(_width(east, 260), "small_face.jpg")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
