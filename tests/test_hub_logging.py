from __future__ import annotations

import logging
import os
import subprocess
import sys

from hub.logging import MaskingFormatter, mask_name, mask_text


def test_mask_text_masks_18_character_id_number() -> None:
    assert mask_text("lookup 51340119850612106X done") == "lookup 513401********106X done"


def test_mask_text_masks_15_digit_id_number() -> None:
    assert mask_text("id=513401850612031") == "id=513401*****2031"


def test_mask_text_leaves_longer_numbers_alone() -> None:
    assert mask_text("order 5134011985061203150001") == "order 5134011985061203150001"


def test_mask_text_masks_given_names() -> None:
    assert mask_text("person 阿苏拉哈 found", names=["阿苏拉哈"]) == "person 阿** found"


def test_masked_names_hide_their_length() -> None:
    masked = [mask_name(name) for name in ("张三", "李建国", "阿苏拉哈", "吉克阿依莫")]

    assert masked == ["张**", "李**", "阿**", "吉**"]
    assert mask_name("") == ""


def test_formatter_masks_traceback_text() -> None:
    try:
        raise ValueError("bad 513401198506120315")
    except ValueError as exc:
        record = logging.LogRecord(
            "t", logging.ERROR, __file__, 1, "failed", None, (type(exc), exc, exc.__traceback__)
        )

    text = MaskingFormatter("%(message)s").format(record)

    assert "513401198506120315" not in text
    assert "513401********0315" in text


JOB_WITH_A_LIBRARY_WARNING = """
import logging
from hub.cli import hub

@hub.command("warn-once")
def warn_once() -> None:
    logging.getLogger("some.library").warning("retrying resident 513401198506120315")
    print("done")

hub(["warn-once"])
"""


def test_job_masks_library_warnings() -> None:
    env = {key: value for key, value in os.environ.items() if key != "HUB_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, "-c", JOB_WITH_A_LIBRARY_WARNING],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == "done\n"
    assert "WARNING some.library" in result.stderr
    assert "513401********0315" in result.stderr
    assert "513401198506120315" not in result.stderr
