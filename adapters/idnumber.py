"""Resident ID numbers (公民身份号码, GB 11643-1999): normalise, validate, upgrade 15 → 18.

An 18-character number is region (6) + birth date YYYYMMDD (8) + sequence (3, odd for
men) + check character. A legacy 15-digit number is region + YYMMDD + sequence with no
check character; upgrading inserts ``19`` and computes the check character, which is
wrong for people born before 1900 (none are alive to be looked up).
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from dataclasses import dataclass

from adapters.errors import InvalidIdNumber
from adapters.regions import is_valid_region

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"
# The longest malformed input a message quotes in full.
QUOTED_MAX = 40
NAME_MASK = "**"
# Valid numbers kept parsed, per process.
PARSED_KEPT = 4096


@dataclass(frozen=True, slots=True)
class IdNumber:
    """A validated 18-character resident ID number and the facts it encodes."""

    value: str

    @property
    def region_code(self) -> str:
        return self.value[:6]

    @property
    def birth_date(self) -> dt.date:
        return dt.date(int(self.value[6:10]), int(self.value[10:12]), int(self.value[12:14]))

    @property
    def sex_code(self) -> str:
        """GB/T 2261.1 sex code implied by the sequence number: ``1`` male, ``2`` female."""
        return "1" if int(self.value[16]) % 2 else "2"

    @property
    def legacy_15(self) -> str | None:
        """The 15-digit form older systems store, or None for people born outside 1900–1999."""
        if self.value[6:8] != "19":
            return None
        return self.value[:6] + self.value[8:17]

    def masked(self) -> str:
        return mask_id_number(self.value)

    def __str__(self) -> str:
        return self.value


def check_character(first17: str) -> str:
    """Compute the ISO 7064 MOD 11-2 check character over the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARACTERS[total % 11]


def normalise(raw: str) -> str:
    """Fold full-width characters, drop spaces and dashes, and upper-case ``x``.

    Returns the folded string without validating it.
    """
    folded = unicodedata.normalize("NFKC", raw)
    kept = "".join(ch for ch in folded if not ch.isspace() and ch != "-")
    return kept.upper()


def upgrade_15(number15: str) -> str:
    """Turn a 15-digit legacy number into its 18-character form (born 19xx)."""
    first17 = number15[:6] + "19" + number15[6:15]
    return first17 + check_character(first17)


def parse_id_number(raw: str, *, today: dt.date | None = None) -> IdNumber:
    """Normalise and validate ``raw``; return the 18-character number.

    Raises ``InvalidIdNumber`` naming the failing part: format, region, birth date or
    check character, in that order.
    """
    if today is None and len(raw) <= QUOTED_MAX:
        return _parse_recent(raw)
    return _parse(raw, today)


# Every lookup parses its number, often one looked up moments before. Only valid numbers
# are kept, and a number valid today stays valid: a birth date in the past stays past.
# Text longer than QUOTED_MAX (a number padded with spaces) is parsed but not kept, so
# the cache contains at most PARSED_KEPT short strings.
@functools.lru_cache(maxsize=PARSED_KEPT)
def _parse_recent(raw: str) -> IdNumber:
    return _parse(raw, None)


def _parse(raw: str, today: dt.date | None) -> IdNumber:
    value = given = normalise(raw)
    if len(value) == 15 and value.isdigit():
        value = upgrade_15(value)
    elif not (len(value) == 18 and value[:17].isdigit() and (value[17].isdigit() or value[17] == "X")):
        raise InvalidIdNumber(part="format", value=_as_typed(raw))

    # A message quotes the number as the caller wrote it, not the 18-character form of a
    # legacy one: that form, with its computed check character, is one they never typed.
    region = value[:6]
    if not is_valid_region(region):
        raise InvalidIdNumber(part="region", value=given, region=region)

    birth_text = value[6:14]
    try:
        birth = dt.date(int(birth_text[:4]), int(birth_text[4:6]), int(birth_text[6:8]))
    except ValueError:
        birth = None
    if birth is None or birth > (today or dt.date.today()) or birth.year < 1880:
        raise InvalidIdNumber(part="birth_date", value=given, birth_date=birth_text)

    expected = check_character(value[:17])
    if value[17] != expected:
        raise InvalidIdNumber(part="check_character", value=value, expected=expected, actual=value[17])
    return IdNumber(value)


def _as_typed(raw: str) -> str:
    """Return ``raw`` trimmed and cut to ``QUOTED_MAX`` characters, for quoting in a message.

    Something that is no ID number at all is quoted as typed: upper-cased or folded, it
    would read as a value the caller never gave.
    """
    trimmed = raw.strip()
    return trimmed if len(trimmed) <= QUOTED_MAX else trimmed[:QUOTED_MAX] + "…"


def try_parse_id_number(raw: str | None) -> IdNumber | None:
    """Return the validated number, or None for a missing or invalid one (legacy data)."""
    if not raw:
        return None
    try:
        return parse_id_number(raw)
    except InvalidIdNumber:
        return None


def mask_id_number(value: str) -> str:
    """Mask all but the region code and the last four characters: ``513401********1234``."""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_name(name: str) -> str:
    """Keep the first character of a name and mask the rest with two stars: ``阿**``.

    Two stars whatever the length: one star per character gave the length away, and a long
    name often marks a Yi name among Han ones.
    """
    if not name:
        return name
    return name[0] + NAME_MASK
