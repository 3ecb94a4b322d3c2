"""Index entries: one agency's person record reduced to normalised identity attributes.

Only identity attributes are kept (never what the record is about). The stored ID number
text is kept for comparing mistyped numbers and is never logged or shown unmasked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from adapters.records import PersonIdentity
from hub.identity import normalise
from hub.identity.normalise import SexScheme
from hub.identity.weights import Side


@dataclass(frozen=True, slots=True)
class IndexEntry:
    agency: str
    local_key: str
    name: str  # display form (simplified, U+00B7 separators)
    other_names: tuple[str, ...]
    id_number: str | None  # valid 18-character number
    id_number_recorded: str | None
    sex_code: str  # GB/T 2261.1
    sex_conflict: bool  # the stated sex contradicts the ID number's parity
    ethnicity_code: str | None  # GB 3304
    birth_date: dt.date | None
    county_code: str | None  # current county (513425 → 513402)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n in (self.name, *self.other_names) if n)

    def side(self) -> Side:
        keys = tuple(dict.fromkeys(normalise.name_key(n) for n in self.names if n))
        id_text = None if self.id_number else normalise.id_number_text(self.id_number_recorded)
        return Side(
            names=keys,
            birth_ordinal=self.birth_date.toordinal() if self.birth_date else 0,
            sex=self.sex_code,
            county=self.county_code,
            id_number=self.id_number,
            id_text=id_text,
        )


def entry_from_raw(
    agency: str,
    local_key: str,
    *,
    name: str,
    other_names: Iterable[str] = (),
    id_number: object = None,
    sex: object = None,
    sex_scheme: SexScheme = SexScheme.GB,
    ethnicity: object = None,
    birth_date: object = None,
    county: str | None = None,
) -> IndexEntry:
    """Normalise a record as a legacy system stored it."""
    parsed = normalise.id_number(id_number)
    stated = normalise.sex(sex, sex_scheme, parsed)
    return IndexEntry(
        agency=agency,
        local_key=local_key,
        name=normalise.name(name),
        other_names=tuple(n for n in (normalise.name(o) for o in other_names) if n),
        id_number=parsed.value if parsed else None,
        id_number_recorded=str(id_number) if id_number is not None else None,
        sex_code=stated.code,
        sex_conflict=stated.conflicts_with_id_number,
        ethnicity_code=normalise.ethnicity(ethnicity),
        birth_date=normalise.birth_date(birth_date),
        county_code=normalise.county(county),
    )


def entry_from_identity(
    identity: PersonIdentity, local_key: str | None = None, agency: str | None = None
) -> IndexEntry:
    """Normalise a canonical ``PersonIdentity`` (sex already GB/T 2261.1, dates parsed)."""
    return entry_from_raw(
        agency or identity.source.agency.value,
        local_key or identity.source.local_reference,
        name=identity.name,
        other_names=identity.other_names,
        id_number=identity.id_number or identity.id_number_as_recorded,
        sex=identity.sex_code,
        ethnicity=identity.ethnicity_code,
        birth_date=identity.birth_date,
        county=identity.county_code,
    )
