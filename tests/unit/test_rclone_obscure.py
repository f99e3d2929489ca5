"""Storage passwords reach the task obscured exactly as rclone itself would read them."""

import shutil
import subprocess

import pytest

from gateway.rclone import obscure, reveal


def test_obscured_password_round_trips():
    obscured = obscure("p@ss word/ü", iv=bytes(range(16)))
    assert "p@ss" not in obscured
    assert reveal(obscured) == "p@ss word/ü"


def test_obscure_is_pinned_for_a_fixed_iv():
    # rclone's format: base64url(iv + AES-CTR(key, iv, password)) without padding.
    assert obscure("secret", iv=bytes(16)) == "AAAAAAAAAAAAAAAAAAAAADe-yhAwiw"


def test_obscure_refuses_a_short_iv():
    with pytest.raises(ValueError, match="16 bytes"):
        obscure("x", iv=b"short")


@pytest.mark.skipif(shutil.which("rclone") is None, reason="rclone (Debian package) not installed")
def test_real_rclone_reveals_what_we_obscure():
    obscured = obscure("correct horse battery staple", iv=b"0123456789abcdef")
    revealed = subprocess.run(["rclone", "reveal", obscured], check=True, capture_output=True,
                              text=True).stdout.strip()
    assert revealed == "correct horse battery staple"
