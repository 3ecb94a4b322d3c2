"""Choose the language of user-facing messages from the ``Accept-Language`` header.

The hub supports zh-CN (``zh``) and English (``en``). Ranges are weighed by their
q-values as RFC 9110 section 12.5.4 defines, and ties keep header order. ``q=0``
excludes a language, and ``*`` or no usable range selects zh-CN.
"""

from __future__ import annotations

DEFAULT_LANGUAGE = "zh"
SUPPORTED_LANGUAGES = ("zh", "en")


def preferred_language(header: str | None) -> str:
    """Return ``zh`` or ``en`` for an ``Accept-Language`` header value."""
    if not header:
        return DEFAULT_LANGUAGE

    ranges = [parsed for part in header.split(",") if (parsed := _parse_range(part)) is not None]
    excluded = {tag for tag, quality in ranges if quality == 0}
    accepted = sorted((item for item in ranges if item[1] > 0), key=lambda item: -item[1])
    for tag, _ in accepted:
        if tag == "*":
            return next((lang for lang in SUPPORTED_LANGUAGES if lang not in excluded), DEFAULT_LANGUAGE)
        if tag in SUPPORTED_LANGUAGES and tag not in excluded:
            return tag
    return DEFAULT_LANGUAGE


def _parse_range(part: str) -> tuple[str, float] | None:
    """Parse ``en-US;q=0.8`` into (``en``, 0.8); return None for a malformed range."""
    tag, *params = (piece.strip() for piece in part.split(";"))
    if not tag:
        return None

    quality = 1.0
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() != "q":
            continue
        try:
            quality = float(value)
        except ValueError:
            return None
        if not 0 <= quality <= 1:
            return None
    return tag.split("-")[0].lower(), quality
