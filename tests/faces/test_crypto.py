"""Templates at rest: AES-GCM under a key derived from the app secret."""

from __future__ import annotations

import numpy as np
import pytest

from access.faces import TemplateDecryptionError, decrypt_template, encrypt_template

pytestmark = pytest.mark.faces

SECRET = "app-secret-key-for-tests"


def _vec() -> np.ndarray:
    return np.random.default_rng(0).normal(size=128).astype(np.float32)


def test_round_trip() -> None:
    vec = _vec()
    blob = encrypt_template(vec, SECRET)
    out = decrypt_template(blob, SECRET)
    assert out.dtype == np.float32 and out.shape == (128,)
    assert np.array_equal(out, vec)
    assert out.flags.writeable  # a copy, not a view on the blob
    assert blob[0] == 1 and len(blob) == 1 + 12 + 2 + 128 * 4 + 16


def test_float64_input_is_stored_as_float32() -> None:
    vec = _vec().astype(np.float64)
    assert np.allclose(decrypt_template(encrypt_template(vec, SECRET), SECRET), vec)


def test_same_template_encrypts_differently_each_time() -> None:
    vec = _vec()
    assert encrypt_template(vec, SECRET) != encrypt_template(vec, SECRET)


def test_wrong_key_fails() -> None:
    blob = encrypt_template(_vec(), SECRET)
    with pytest.raises(TemplateDecryptionError):
        decrypt_template(blob, SECRET + "x")


def test_tampering_fails() -> None:
    blob = bytearray(encrypt_template(_vec(), SECRET))
    blob[20] ^= 1
    with pytest.raises(TemplateDecryptionError):
        decrypt_template(bytes(blob), SECRET)


def test_context_binds_the_blob_to_its_row() -> None:
    blob = encrypt_template(_vec(), SECRET, context=b"template:41")
    assert decrypt_template(blob, SECRET, context=b"template:41").shape == (128,)
    with pytest.raises(TemplateDecryptionError):
        decrypt_template(blob, SECRET, context=b"template:42")


@pytest.mark.parametrize("blob", [b"", b"\x01" + b"\x00" * 10, b"\x02" + b"\x00" * 600])
def test_malformed_or_unknown_version(blob: bytes) -> None:
    with pytest.raises(TemplateDecryptionError):
        decrypt_template(blob, SECRET)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        encrypt_template(_vec(), "")
    with pytest.raises(ValueError, match="finite"):
        encrypt_template(np.full(128, np.inf), SECRET)
    with pytest.raises(ValueError, match="1-D"):
        encrypt_template(np.zeros((2, 64)), SECRET)
