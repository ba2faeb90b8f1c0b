"""WeCom crypto against the vendor's published sample vectors (research/protocols.md §4.9)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from adapters.wecom.signing import Refused, WeComCrypto, pad, unpad

TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
CORP_ID = "ww1436e0e65a779aee"

VERIFY_SIGNATURE = "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb"
VERIFY_TIMESTAMP, VERIFY_NONCE = "1476416373", "47744683"
ECHOSTR = "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA=="
ECHO_PLAIN = "1288432023552776189"

MSG_SIGNATURE = "0c3914025cb4b4d68103f6bfc8db550f79dcf48e"
MSG_TIMESTAMP, MSG_NONCE = "1476422779", "1597212914"
MSG_ENCRYPT = (
    "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGz"
    "BhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3J"
    "WcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQH"
    "E7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYu"
    "PDGOCI8jmnKiypE+"
)
MSG_PLAIN = (
    "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName>"
    "<CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content>"
    "<MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>"
)


@pytest.fixture
def crypto() -> WeComCrypto:
    return WeComCrypto(TOKEN, AES_KEY, CORP_ID)


def random_prefix(encrypted: str) -> bytes:
    """The vector's 16 random bytes, read with plain AES (independently of the adapter)."""
    key = base64.b64decode(AES_KEY + "=")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    return (decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize())[:16]


def test_verify_url_vector(crypto: WeComCrypto) -> None:
    crypto.check(VERIFY_SIGNATURE, VERIFY_TIMESTAMP, VERIFY_NONCE, ECHOSTR)
    assert crypto.decrypt(ECHOSTR) == ECHO_PLAIN
    assert crypto.encrypt(ECHO_PLAIN, random_prefix(ECHOSTR)) == ECHOSTR


def test_decrypt_msg_vector(crypto: WeComCrypto) -> None:
    crypto.check(MSG_SIGNATURE, MSG_TIMESTAMP, MSG_NONCE, MSG_ENCRYPT)
    assert crypto.decrypt(MSG_ENCRYPT) == MSG_PLAIN
    assert crypto.encrypt(MSG_PLAIN, random_prefix(MSG_ENCRYPT)) == MSG_ENCRYPT
    assert crypto.sign(MSG_TIMESTAMP, MSG_NONCE, MSG_ENCRYPT) == MSG_SIGNATURE


def test_padding_is_to_32_bytes() -> None:
    assert len(pad(b"x" * 31)) == 32 and pad(b"x" * 32)[-1] == 32
    assert unpad(pad(b"abc")) == b"abc"
    with pytest.raises(Refused):
        unpad(b"x" * 31 + bytes([33]))


def test_a_standard_16_byte_unpadder_would_fail_on_the_vector() -> None:
    from cryptography.hazmat.primitives import padding

    key = base64.b64decode(AES_KEY + "=")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    raw = decryptor.update(base64.b64decode(MSG_ENCRYPT)) + decryptor.finalize()
    assert raw[-1] == 22
    unpadder = padding.PKCS7(128).unpadder()
    with pytest.raises(ValueError, match="Invalid padding"):
        unpadder.update(raw) + unpadder.finalize()


def test_refusals(crypto: WeComCrypto) -> None:
    with pytest.raises(Refused, match="bad_signature"):
        crypto.check(VERIFY_SIGNATURE, VERIFY_TIMESTAMP, "1", ECHOSTR)
    other_corp = WeComCrypto(TOKEN, AES_KEY, "ww_other")
    with pytest.raises(Refused, match="wrong_receive_id"):
        other_corp.decrypt(MSG_ENCRYPT)
    with pytest.raises(Refused, match="bad_ciphertext"):
        crypto.decrypt("not base64!")
    with pytest.raises(ValueError, match="43 characters"):
        WeComCrypto(TOKEN, "abc", CORP_ID)
