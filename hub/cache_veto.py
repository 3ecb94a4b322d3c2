"""The records cache's veto: agency records that might contain a sealed record are not stored.

The cache sits below sealing (``hub.agency_stack``), so it contains each agency's raw
records before ``hub.sealing.filter_lookup`` decides what a requester sees. The 2022
sealing measures forbid caching sealed data, so the veto rejects any agency's records
that could contain a record sealed for any later requester:

- court: any judgment that ``hub.sealing.could_be_sealed`` marks as sealed now or once in
  effect (an offence under 18 or of uncertain age, five years or less, seal not lifted),
  with the birth date taken from the ID number of the lookup;
- police: any administrative detention, since every public-order violation record is
  sealed (revised Public Security Administration Punishments Law art. 136);
- police, prison and justice bureau: police cases and coercive measures carry a police case
  number, custody and correction records a case number, but not the judgment, so whether
  that judgment is sealed (``hub.sealing.filter_lookup`` then hides them) is unknown here.
  Their records are rejected when any of them is undated or starts on or before the
  person's 18th birthday plus ``JUVENILE_TAIL_YEARS`` years.
"""

from __future__ import annotations

import datetime as dt

from adapters.idnumber import IdNumber
from adapters.records import AgencyRecords
from hub.sealing import could_be_sealed, eighteenth_birthday

# NOTE: approximate. A juvenile offence judged more than six years after the 18th birthday
# (prosecution limits run 5 to 20 years, Criminal Law art. 87) would put the police case,
# coercive measures, custody or correction of a sealed judgment in the cache. Six years
# covers the usual span from offence through trial, appeal and the start of the sentence.
JUVENILE_TAIL_YEARS = 6


def sealing_veto(id_number: IdNumber, records: AgencyRecords) -> bool:
    """Return True when ``records`` (one agency's records for ``id_number``) may be cached."""
    if records.administrative_detentions:
        return False
    birth_date = id_number.birth_date
    if any(could_be_sealed(judgment, birth_date, records.judgments) for judgment in records.judgments):
        return False

    starts = [case.filed_on for case in records.police_cases]
    starts += [measure.start_date for measure in records.coercive_measures]
    starts += [custody.admitted_on for custody in records.custody]
    starts += [correction.start_date for correction in records.corrections]
    if not starts:
        return True
    horizon = juvenile_horizon(birth_date)
    return all(start is not None and start > horizon for start in starts)


def juvenile_horizon(birth_date: dt.date) -> dt.date:
    """Return the last day on which case records might still follow a juvenile offence."""
    eighteenth = eighteenth_birthday(birth_date)
    try:
        return eighteenth.replace(year=eighteenth.year + JUVENILE_TAIL_YEARS)
    except ValueError:
        return dt.date(eighteenth.year + JUVENILE_TAIL_YEARS, 2, 28)
