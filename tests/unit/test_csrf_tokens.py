"""The web forms' CSRF tokens and same-site checks (gateway/web/csrf.py)."""

from __future__ import annotations

from gateway.web.csrf import MAX_AGE, CsrfTokens, cross_site_reason


class Clock:
    now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_token_is_valid_for_its_owner_until_it_expires():
    clock = Clock()
    tokens = CsrfTokens(b"key", clock=clock)
    token = tokens.issue("alice-owner")
    assert tokens.valid("alice-owner", token)
    assert not tokens.valid("bob-owner", token)
    clock.now += MAX_AGE + 1
    assert not tokens.valid("alice-owner", token)


def test_a_token_from_another_key_or_tampered_with_is_refused():
    clock = Clock()
    token = CsrfTokens(b"key", clock=clock).issue("alice-owner")
    assert not CsrfTokens(b"other key", clock=clock).valid("alice-owner", token)
    issued, _, mac = token.partition(".")
    later = CsrfTokens(b"key", clock=clock)
    assert not later.valid("alice-owner", f"{int(issued) + 1}.{mac}")
    for junk in ("", ".", "abc.def", "1" * 40 + "." + mac, token + "x"):
        assert not later.valid("alice-owner", junk)


def test_the_browser_saying_another_site_or_origin_refuses_the_post():
    hosts = ["gw.example.org"]
    assert cross_site_reason({"sec-fetch-site": "same-origin"}, hosts) is None
    assert cross_site_reason({"sec-fetch-site": "none"}, hosts) is None
    assert cross_site_reason({}, hosts) is None  # curl: the token alone decides
    assert cross_site_reason({"sec-fetch-site": "cross-site"}, hosts)
    assert cross_site_reason({"sec-fetch-site": "same-site"}, hosts)
    assert cross_site_reason({"origin": "https://evil.example"}, hosts)
    assert cross_site_reason({"origin": "null"}, hosts)
    assert cross_site_reason({"origin": "https://gw.example.org"}, hosts) is None
    assert cross_site_reason({"origin": "https://gw.example.org:8443"},
                             ["127.0.0.1:8000", "gw.example.org:8443"]) is None
