"""rclone's "obscure" encoding of passwords, so a task's rclone reads them from its environment.

rclone expects ``RCLONE_CONFIG_<REMOTE>_PASS`` obscured: AES-256-CTR under a key that is public in
rclone's source, a random 16-byte IV in front, base64url without padding. It is obfuscation, not
encryption; it keeps the plain password out of casual view (and out of shells: no subprocess).
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# The fixed key from rclone's fs/config/obscure package.
_RCLONE_KEY = bytes([
    0x9C, 0x93, 0x5B, 0x48, 0x73, 0x0A, 0x55, 0x4D, 0x6B, 0xFD, 0x7C, 0x63, 0xC8, 0x86, 0xA9, 0x2B,
    0xD3, 0x90, 0x19, 0x8E, 0xB8, 0x12, 0x8A, 0xFB, 0xF4, 0xDE, 0x16, 0x2B, 0x8B, 0x95, 0xF6, 0x38,
])


def _ctr(iv: bytes, data: bytes) -> bytes:
    cipher = Cipher(algorithms.AES(_RCLONE_KEY), modes.CTR(iv))
    transform = cipher.encryptor()
    return transform.update(data) + transform.finalize()


def obscure(password: str, *, iv: bytes) -> str:
    if len(iv) != 16:
        raise ValueError("the IV must be 16 bytes")
    blob = iv + _ctr(iv, password.encode())
    return base64.urlsafe_b64encode(blob).decode().rstrip("=")


def reveal(obscured: str) -> str:
    blob = base64.urlsafe_b64decode(obscured + "=" * (-len(obscured) % 4))
    if len(blob) < 16:
        raise ValueError("too short to be an obscured password")
    return _ctr(blob[:16], blob[16:]).decode()
