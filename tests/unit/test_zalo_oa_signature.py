"""The OA webhook signature (plain SHA-256 of a concatenation, not HMAC) and PKCE helpers."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.channels import zalo_oa
from bot.channels.zalo_oa import event_signature, signature_ok
from bot.channels.zalo_oauth import authorize_url, code_challenge, make_code_verifier

APP_ID = "2553928453557884079"
TIMESTAMP = "1699003881354"
SECRET_KEY = "oa-secret-key"
EVENT = {
    "event_name": "user_send_text",
    "app_id": APP_ID,
    "sender": {"id": "6142494823000000000"},
    "recipient": {"id": "3662729599332560487"},
    "message": {"text": "Chào", "msg_id": "cb31dff1c39642cc1b83"},
    "timestamp": TIMESTAMP,
    "user_id_by_app": "979122185046046317",
}
RAW = json.dumps(EVENT, ensure_ascii=False).encode()
# printf '%s' '123{"a":1}456key' | sha256sum  (app_id 123, body {"a":1}, timestamp 456, key "key")
FIXED_MAC = "mac=1e85cba6580d983604c833893e7cc9f5511f98582bcc6db24b158b630701b2d8"


def test_signature_is_sha256_of_the_concatenation() -> None:
    expected = hashlib.sha256(
        APP_ID.encode() + RAW + TIMESTAMP.encode() + SECRET_KEY.encode()
    ).hexdigest()
    assert event_signature(APP_ID, RAW, TIMESTAMP, SECRET_KEY) == "mac=" + expected


def test_signature_of_a_fixed_vector() -> None:
    assert event_signature("123", b'{"a":1}', "456", "key") == FIXED_MAC


def test_signature_is_not_an_hmac() -> None:
    keyed = hmac.new(
        SECRET_KEY.encode(), APP_ID.encode() + RAW + TIMESTAMP.encode(), hashlib.sha256
    ).hexdigest()
    assert event_signature(APP_ID, RAW, TIMESTAMP, SECRET_KEY) != "mac=" + keyed


@pytest.mark.parametrize("with_prefix", [True, False])
def test_header_with_or_without_prefix_is_accepted(with_prefix: bool) -> None:
    header = event_signature(APP_ID, RAW, TIMESTAMP, SECRET_KEY)
    if not with_prefix:
        header = header.removeprefix("mac=")
    assert signature_ok(header, APP_ID, RAW, TIMESTAMP, SECRET_KEY)


def test_uppercase_hex_is_accepted() -> None:
    header = "mac=" + event_signature(APP_ID, RAW, TIMESTAMP, SECRET_KEY)[4:].upper()
    assert signature_ok(header, APP_ID, RAW, TIMESTAMP, SECRET_KEY)


@pytest.mark.parametrize(
    ("header", "app_id", "raw", "timestamp", "secret"),
    [
        pytest.param(None, APP_ID, RAW, TIMESTAMP, SECRET_KEY, id="missing"),
        pytest.param("", APP_ID, RAW, TIMESTAMP, SECRET_KEY, id="empty"),
        pytest.param("mac=", APP_ID, RAW, TIMESTAMP, SECRET_KEY, id="bare-prefix"),
        pytest.param("GOOD", APP_ID, RAW + b" ", TIMESTAMP, SECRET_KEY, id="body-changed"),
        pytest.param("GOOD", APP_ID, RAW, "1699003881355", SECRET_KEY, id="timestamp-changed"),
        pytest.param("GOOD", "2553928453557884078", RAW, TIMESTAMP, SECRET_KEY, id="other-app"),
        pytest.param("GOOD", APP_ID, RAW, TIMESTAMP, "another-key", id="other-key"),
        pytest.param("GOOD", APP_ID, RAW, TIMESTAMP, "", id="no-key-configured"),
        pytest.param("TRUNCATED", APP_ID, RAW, TIMESTAMP, SECRET_KEY, id="truncated"),
    ],
)
def test_wrong_signatures_are_refused(
    header: str | None, app_id: str, raw: bytes, timestamp: str, secret: str
) -> None:
    good = event_signature(APP_ID, RAW, TIMESTAMP, SECRET_KEY)
    given = {"GOOD": good, "TRUNCATED": good[:-1]}.get(header or "", header)
    assert not signature_ok(given, app_id, raw, timestamp, secret)


def test_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(zalo_oa.hmac, "compare_digest", spy)
    header = event_signature(APP_ID, RAW, TIMESTAMP, SECRET_KEY)
    assert signature_ok(header, APP_ID, RAW, TIMESTAMP, SECRET_KEY)
    assert len(calls) == 1


# --- PKCE and the permission URL -------------------------------------------------------------


def test_code_challenge_matches_rfc_7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_code_verifiers_are_fresh_and_well_formed() -> None:
    verifiers = {make_code_verifier() for _ in range(20)}
    assert len(verifiers) == 20
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    for verifier in verifiers:
        assert 43 <= len(verifier) <= 128
        assert set(verifier) <= allowed
        assert "=" not in code_challenge(verifier)


def test_authorize_url_carries_every_parameter() -> None:
    url = authorize_url(
        "https://oauth.zaloapp.com/",
        APP_ID,
        "https://ykien.example/zalo/callback?x=1",
        "CHALLENGE",
        "STATE-1",
    )
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "oauth.zaloapp.com",
        "/v4/oa/permission",
    )
    assert parse_qs(parts.query) == {
        "app_id": [APP_ID],
        "redirect_uri": ["https://ykien.example/zalo/callback?x=1"],
        "code_challenge": ["CHALLENGE"],
        "state": ["STATE-1"],
    }
