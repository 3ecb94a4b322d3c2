"""Court case numbers (案号): parse the 2016 form and the older ``字第`` form.

The Supreme People's Court rules on case numbers (in force 2016-01-01) write
``（2024）川3401刑初12号``: intake year in brackets, court code (province abbreviation plus
0, 2 or 4 digits), case-type code, serial, ``号``. Older numbers read
``(2013)穗中法刑一初字第291号``: a court abbreviation, the case type, ``字第`` and the serial.
Real inputs mix ``（）`` ``()`` ``〔〕`` ``[]`` ``【】`` and carry stray spaces, so the
parsed parts, not the text, decide whether two numbers are the same case.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from adapters.errors import InvalidCaseNumber
from adapters.records import CaseNumber

# Case numbers kept parsed, per process.
PARSED_KEPT = 1024
# Maximum length of a text kept parsed. A case number has about 20 characters.
CACHED_TEXT_MAX = 64
_OPEN = "(（〔［[【﹝"
_CLOSE = ")）〕］]】﹞"
_YEAR = rf"[{re.escape(_OPEN)}](?P<year>\d{{4}})[{re.escape(_CLOSE)}]"
_HAN = "\u4e00-\u9fff"

_FORM_2016 = re.compile(
    rf"^{_YEAR}(?P<court>最高法|[{_HAN}](?:\d{{2}}){{0,2}})(?P<type>[{_HAN}]{{1,6}}?)第?(?P<serial>\d+)号$"
)
# Before 2016 the case type starts with its category character (刑, 民, 行, 执, ...).
_FORM_OLD = re.compile(
    rf"^{_YEAR}(?P<court>[{_HAN}]+?)(?P<type>[刑民行执赔商知监][{_HAN}]{{0,5}}?)字第(?P<serial>\d+)号$"
)


def parse_case_number(raw: str) -> CaseNumber:
    """Parse ``raw`` into year, court, case type and serial, keeping ``raw`` unchanged.

    Raises ``InvalidCaseNumber`` when ``raw`` matches neither form.
    """
    return _parse_recent(raw) if len(raw) <= CACHED_TEXT_MAX else _parse(raw)


# Lookups for one case send the same case number again and again. Only valid numbers are
# kept, and only short texts, so the cache contains at most PARSED_KEPT short strings.
@functools.lru_cache(maxsize=PARSED_KEPT)
def _parse_recent(raw: str) -> CaseNumber:
    return _parse(raw)


def _parse(raw: str) -> CaseNumber:
    folded = _fold(raw)
    match = _FORM_OLD.match(folded) or _FORM_2016.match(folded)
    if match is None:
        raise InvalidCaseNumber(value=raw.strip())

    return CaseNumber(
        raw=raw,
        year=int(match["year"]),
        court=match["court"],
        case_type=match["type"],
        serial=int(match["serial"]),
    )


def try_parse_case_number(raw: str) -> CaseNumber:
    """Parse ``raw``, or keep it unparsed (``CaseNumber(raw=...)``) when it is malformed."""
    try:
        return parse_case_number(raw)
    except InvalidCaseNumber:
        return CaseNumber(raw=raw)


def _fold(raw: str) -> str:
    # NFKC turns full-width digits into ASCII; brackets are matched as sets instead.
    folded = unicodedata.normalize("NFKC", raw)
    return "".join(ch for ch in folded if not ch.isspace())
