from __future__ import annotations

import pytest

from hub.language import preferred_language


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "zh"),
        ("", "zh"),
        ("en", "en"),
        ("EN-gb", "en"),
        ("en-US,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en;q=0.2, zh;q=0.8", "zh"),
        ("fr, en;q=0.5", "en"),
        ("fr, de", "zh"),
        ("*", "zh"),
        ("zh;q=0, *", "en"),
        ("en;q=abc", "zh"),
        ("en;q=2", "zh"),
    ],
)
def test_preferred_language_weighs_q_values(header: str | None, language: str) -> None:
    assert preferred_language(header) == language
