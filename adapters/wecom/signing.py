"""WeCom callback crypto: ``msg_signature`` and AES-256-CBC with the EncodingAESKey.

- signature = sha1 of the sorted, concatenated [token, timestamp, nonce, encrypted] (hex);
- key = base64decode(EncodingAESKey + "="), 32 bytes; iv = key[:16];
- plaintext = random(16) | len(msg) as 4 bytes big-endian | msg | receive id (the corp id),
  PKCS#7-padded to a **32**-byte block (a standard 16-byte unpadder fails on WeCom's data).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32
WINDOW_SECONDS = 300


class Refused(Exception):
    """A callback that is forged, stale, for another corp, or undecryptable."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    """``msg_signature`` for an encrypted payload."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode()).hexdigest()  # noqa: S324 - WeCom's protocol


def pad(data: bytes) -> bytes:
    """PKCS#7 to a 32-byte block."""
    amount = BLOCK - len(data) % BLOCK
    return data + bytes([amount]) * amount


def unpad(data: bytes) -> bytes:
    """Undo ``pad``; refuse anything that is not a valid 1..32 padding."""
    amount = data[-1] if data else 0
    if not 1 <= amount <= BLOCK or data[-amount:] != bytes([amount]) * amount:
        raise Refused("bad_padding")
    return data[:-amount]


class WeComCrypto:
    """Checks, decrypts and encrypts callback payloads of one app."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except binascii.Error as exc:
            raise ValueError("EncodingAESKey is not base64") from exc
        if len(key) != 32:
            raise ValueError("EncodingAESKey must be 43 characters (32 bytes)")
        self._token = token
        self._key = key
        self._receive_id = receive_id

    def sign(self, timestamp: str, nonce: str, encrypted: str) -> str:
        """The signature WeCom sends for ``encrypted``."""
        return signature(self._token, timestamp, nonce, encrypted)

    def check(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> None:
        """Raise ``Refused`` unless the signature matches (constant-time)."""
        expected = self.sign(timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected.encode(), msg_signature.lower().encode()):
            raise Refused("bad_signature")

    def decrypt(self, encrypted: str) -> str:
        """The message inside ``encrypted``; refuses another receive id."""
        try:
            data = base64.b64decode(encrypted, validate=True)
        except binascii.Error as exc:
            raise Refused("bad_ciphertext") from exc
        if not data or len(data) % 16:
            raise Refused("bad_ciphertext")
        decryptor = self._cipher().decryptor()
        plain = unpad(decryptor.update(data) + decryptor.finalize())
        if len(plain) < 20:
            raise Refused("bad_plaintext")
        (length,) = struct.unpack(">I", plain[16:20])
        message, receive_id = plain[20 : 20 + length], plain[20 + length :]
        if len(message) != length:
            raise Refused("bad_plaintext")
        if not hmac.compare_digest(receive_id, self._receive_id.encode()):
            raise Refused("wrong_receive_id")
        try:
            return message.decode()
        except UnicodeDecodeError as exc:
            raise Refused("bad_plaintext") from exc

    def encrypt(self, message: str, random16: bytes | None = None) -> str:
        """``message`` encrypted as WeCom does (a fixed ``random16`` makes it reproducible)."""
        prefix = random16 if random16 is not None else os.urandom(16)
        body = message.encode()
        plain = prefix + struct.pack(">I", len(body)) + body + self._receive_id.encode()
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(pad(plain)) + encryptor.finalize()).decode()

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))
