"""Verdicts of the verifier and their HMAC-SHA256 signature (standard library only)."""
from __future__ import annotations

import hashlib
import hmac
import json
from typing import NamedTuple


class Verdict(NamedTuple):
    """The verifier's decision on one ``check(name, obj)`` call."""

    name: str
    passed: bool
    mistake: str | None
    message: str
    n_cases: int


def _payload(body: dict) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def sign_line(key: str, body: dict) -> str:
    """One JSON line ``{"body": ..., "sig": hex}`` signed with ``key``."""
    sig = hmac.new(key.encode(), _payload(body), hashlib.sha256).hexdigest()
    return json.dumps({"body": body, "sig": sig})


def verify_line(key: str, line: str) -> dict:
    """The body of a signed line; ``ValueError`` if unsigned, malformed or forged."""
    try:
        obj = json.loads(line)
        body, sig = obj["body"], obj["sig"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"unsigned or malformed verdict line: {line[:80]!r}") from exc
    if not isinstance(body, dict) or not isinstance(sig, str):
        raise ValueError(f"malformed verdict line: {line[:80]!r}")
    good = hmac.new(key.encode(), _payload(body), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(good, sig):
        raise ValueError(f"verdict line with a bad signature: {line[:80]!r}")
    return body
