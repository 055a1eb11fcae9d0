"""Keep credentials out of botocore's DEBUG logs.

botocore logs signed requests at DEBUG (``Authorization: ... Credential=AKIA...``,
``X-Amz-Security-Token``, the canonical request). A logging filter on the AWS
SDK's loggers masks those values and any secret this package was given.
"""

from __future__ import annotations

import logging
import re
import threading

__all__ = ["MASK", "RedactingFilter", "install", "remember"]

MASK = "****"

_PATTERNS = [
    # Authorization: AWS4-HMAC-SHA256 Credential=AKID/20240101/...
    re.compile(r"(Credential=)[^/\s,'\"]+"),
    re.compile(r"(Signature=)[0-9a-f]+"),
    # header dumps: 'X-Amz-Security-Token': b'...'  /  x-amz-security-token:...
    re.compile(r"((?i:x-amz-security-token)['\"]?\s*[:=]\s*b?['\"]?)[^'\"\s,}]+"),
    re.compile(
        r"((?i:aws_secret_access_key|SecretAccessKey|SessionToken)['\"]?\s*[:=]\s*['\"]?)[^'\"\s,}]+"
    ),
    # STS XML responses: <SecretAccessKey>...</SecretAccessKey>
    re.compile(r"(<(?:SecretAccessKey|SessionToken)>)[^<]+"),
]
_LOGGER_PREFIXES = ("botocore", "aiobotocore", "boto3", "urllib3", "s3transfer")
_secrets: set[str] = set()
_lock = threading.Lock()


def remember(*secrets: str | None) -> None:
    """Add secret values to mask wherever they appear in SDK log messages."""
    with _lock:
        _secrets.update(s for s in secrets if s and len(s) >= 8)


def redact(text: str) -> str:
    """Mask credential values in ``text``."""
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    for secret in tuple(_secrets):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with credentials masked (never drops it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the formatted message in place."""
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logger's business
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = RedactingFilter()


def install() -> None:
    """Attach the filter to every AWS SDK logger that exists now."""
    names = [
        name
        for name in list(logging.root.manager.loggerDict)
        if name.split(".")[0] in _LOGGER_PREFIXES
    ]
    for name in [*_LOGGER_PREFIXES, *names]:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
