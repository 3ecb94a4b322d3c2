"""The court case system (法院审判信息系统), reached over SOAP, mapped to canonical records.

Operations of its WSDL (pinyin abbreviations of the legacy system):
``queryPjxxBySfzh`` returns an ID number's judgments as an XML document escaped in a
string (``<AJXX>`` with ``RYXX`` party and ``PJ`` judgments, GBK), ``getAjxxByAh`` one
judgment by case number as typed elements, ``listPjbgAfterXh`` judgments changed after a
change sequence number, ``getFwzt`` the service status. Both shapes use the same field
names (XM name, SFZH ID number, AH case number, PJJG verdict, ZXLX penalty, XQ term in
months, HXKYQ probation in months, FJ fine, PJRQ/SXRQ/FZRQ judgment, effective and offence
dates, GSJG prosecuting organ, SQJZLX correction type, GAAJBH the police case number the
case came from, JZDXZQH residence county).

A judgment with a malformed case number, no effective date or an unknown county still
maps (unparsed ``CaseNumber``, ``None`` dates, the county as recorded) so that a poller
can flag it; a verdict or penalty the hub cannot name is an ``UpstreamDataError``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from lxml import etree
from zeep.helpers import serialize_object

from adapters.casenumber import try_parse_case_number
from adapters.errors import UpstreamDataError, UpstreamFault
from adapters.idnumber import IdNumber, try_parse_id_number
from adapters.records import (
    Agency,
    AgencyRecords,
    Charge,
    CorrectionType,
    Judgment,
    JudgmentChange,
    PenaltyType,
    PersonIdentity,
    Sentence,
    SourceRef,
    Verdict,
)
from adapters.soap import SoapClient, parse_embedded_xml

Fields = Mapping[str, Any]
T = TypeVar("T")

BATCH_OPERATION = "queryPjxxBySfzhPl"
# ID number forms one queryPjxxBySfzhPl call may carry (maxOccurs of its WSDL).
BATCH_LIMIT = 200

VERDICTS = {
    "有罪": Verdict.GUILTY,
    "有罪免予刑事处罚": Verdict.GUILTY_EXEMPT,
    "定罪免刑": Verdict.GUILTY_EXEMPT,
    "无罪": Verdict.NOT_GUILTY,
}
PENALTIES = {
    "死刑": PenaltyType.DEATH,
    "无期徒刑": PenaltyType.LIFE_IMPRISONMENT,
    "有期徒刑": PenaltyType.FIXED_TERM_IMPRISONMENT,
    "拘役": PenaltyType.CRIMINAL_DETENTION,
    "管制": PenaltyType.PUBLIC_SURVEILLANCE,
    "单处罚金": PenaltyType.FINE_ONLY,
    "单处剥夺政治权利": PenaltyType.DEPRIVATION_OF_POLITICAL_RIGHTS_ONLY,
    "免予刑事处罚": PenaltyType.EXEMPT,
    "无": PenaltyType.NONE,
}
CORRECTION_TYPES = {
    "管制": CorrectionType.PUBLIC_SURVEILLANCE,
    "缓刑": CorrectionType.SUSPENDED_SENTENCE,
    "假释": CorrectionType.PAROLE,
    "暂予监外执行": CorrectionType.TEMPORARY_SERVICE_OUTSIDE_PRISON,
}
SEX_CODES = {"男": "1", "女": "2", "未知": "0"}  # GB/T 2261.1
ETHNICITY_CODES = {  # GB 3304
    "汉族": "01",
    "回族": "03",
    "藏族": "04",
    "苗族": "06",
    "彝族": "07",
    "傈僳族": "20",
    "纳西族": "27",
}
_NOT_FOUND = "未找到"


class CourtAdapter:
    """The court's SOAP service as a ``RecordAdapter`` (agency ``court``)."""

    agency = Agency.COURT

    def __init__(self, service_url: str, *, wsdl_url: str | None = None, timeout_s: float = 5.0) -> None:
        self._soap = SoapClient(
            agency=Agency.COURT.value,
            service_url=service_url,
            wsdl_url=wsdl_url or service_url + "?wsdl",
            timeout_s=timeout_s,
            read_only=True,  # the hub only queries the court's service
        )

    @property
    def wsdl_loaded(self) -> bool:
        return self._soap.wsdl_loaded

    async def start(self) -> None:
        await self._soap.start()

    async def ping(self) -> None:
        await self._soap.call("getFwzt")

    async def aclose(self) -> None:
        await self._soap.aclose()

    async def fetch_records(self, id_number: IdNumber) -> AgencyRecords:
        """Judgments recorded under the 18-character number or its 15-digit form."""
        forms = [id_number.value] + ([id_number.legacy_15] if id_number.legacy_15 else [])
        results = await asyncio.gather(*(self._query(form) for form in forms))

        records = AgencyRecords(agency=Agency.COURT)
        for person, judgments in results:
            _add(records, person, judgments)
        return records

    async def fetch_records_many(self, id_numbers: Sequence[IdNumber]) -> dict[str, AgencyRecords]:
        """Return each person's records by 18-character ID number, from ``queryPjxxBySfzhPl`` calls.

        A call carries up to ``BATCH_LIMIT`` forms (18-character and 15-digit) and the service
        returns one embedded document per form, in the order sent. A hub batch of 100 people
        has at most 200 forms, so it takes one call.
        """
        forms = [(n, form) for n in id_numbers for form in (n.value, n.legacy_15) if form]
        chunks = [forms[start : start + BATCH_LIMIT] for start in range(0, len(forms), BATCH_LIMIT)]
        documents = await asyncio.gather(*(self._query_many([form for _, form in chunk]) for chunk in chunks))

        found = {n.value: AgencyRecords(agency=Agency.COURT) for n in id_numbers}
        for chunk, roots in zip(chunks, documents, strict=True):
            for (id_number, _), root in zip(chunk, roots, strict=True):
                _add(
                    found[id_number.value], *self._mapped(BATCH_OPERATION, functools.partial(_embedded, root))
                )
        return found

    async def judgment_by_case_number(self, raw: str) -> Judgment | None:
        """The judgment with case number ``raw``, or None when the court has no such case."""
        operation = "getAjxxByAh"
        try:
            result = await self._soap.call(operation, ah=raw)
        except UpstreamFault as exc:
            if exc.fault_string.startswith(_NOT_FOUND):
                return None
            raise
        return self._mapped(operation, lambda: _typed_judgment(result["ajxx"], result["dsr"]))

    async def fetch_records_by_local_keys(self, keys: Sequence[str]) -> AgencyRecords:
        """The judgments with these case numbers: the court's local key for a party is the case."""
        found = await asyncio.gather(*(self.judgment_by_case_number(key) for key in keys))
        return AgencyRecords(agency=Agency.COURT, judgments=[judgment for judgment in found if judgment])

    async def judgment_changes(self, after_sequence: int, limit: int = 100) -> list[JudgmentChange]:
        """Judgments changed after ``after_sequence``, in sequence order, at most ``limit``."""
        operation = "listPjbgAfterXh"
        result = await self._soap.call(operation, xh=after_sequence, ts=limit)
        return self._mapped(operation, lambda: [_change(record) for record in _as_list(result)])

    async def _query(self, id_number: str) -> tuple[PersonIdentity | None, list[Judgment]]:
        operation = "queryPjxxBySfzh"
        text = await self._soap.call(operation, sfzh=id_number)
        root = parse_embedded_xml(text or "", agency=Agency.COURT.value, operation=operation)
        return self._mapped(operation, lambda: _embedded(root))

    async def _query_many(self, forms: list[str]) -> list[etree._Element]:
        result = await self._soap.call(BATCH_OPERATION, sfzh=forms)
        texts = _as_list(result)
        if len(texts) != len(forms):
            detail = f"{len(texts)} documents returned for {len(forms)} ID numbers"
            raise UpstreamDataError(agency=Agency.COURT.value, operation=BATCH_OPERATION, detail=detail)
        return [
            parse_embedded_xml(text or "", agency=Agency.COURT.value, operation=BATCH_OPERATION)
            for text in texts
        ]

    def _mapped(self, operation: str, build: Callable[[], T]) -> T:
        try:
            return build()
        except (KeyError, TypeError, ValueError) as exc:
            raise UpstreamDataError(agency=Agency.COURT.value, operation=operation, detail=str(exc)) from exc


def _add(records: AgencyRecords, person: PersonIdentity | None, judgments: list[Judgment]) -> None:
    """Add one form's party and judgments, skipping judgments another form already gave."""
    if person is not None:
        records.persons.append(person)
    seen = {judgment.case_number.canonical for judgment in records.judgments}
    for judgment in judgments:
        if judgment.case_number.canonical not in seen:
            seen.add(judgment.case_number.canonical)
            records.judgments.append(judgment)


def _embedded(root: etree._Element) -> tuple[PersonIdentity | None, list[Judgment]]:
    if root.tag != "AJXX":
        raise ValueError(f"unexpected root element {root.tag}")
    party_node = root.find("RYXX")
    party = None if party_node is None else _child_texts(party_node)
    person = None if party is None else _person(party)
    county = None if party is None else _text(party.get("JZDXZQH"))

    judgments = []
    for node in root.iterfind("PJLB/PJ"):
        charges = [_child_texts(charge) for charge in node.iterfind("ZM")]
        judgments.append(_judgment(_child_texts(node), charges, county))
    return person, judgments


def _typed_judgment(ajxx: Any, dsr: Any) -> Judgment:
    judgment, party = _upper(_as_dict(ajxx)), _upper(_as_dict(dsr))
    return _judgment(
        judgment, [_upper(charge) for charge in judgment.get("ZM") or []], _text(party.get("JZDXZQH"))
    )


def _change(record: Any) -> JudgmentChange:
    party = _upper(_as_dict(record["dsr"]))
    return JudgmentChange(
        sequence=int(record["xh"]),
        judgment=_typed_judgment(record["ajxx"], record["dsr"]),
        person=_person(party),
    )


def _judgment(fields: Fields, charges: Sequence[Fields], county: str | None) -> Judgment:
    raw = str(fields["AH"])
    return Judgment(
        source=SourceRef(Agency.COURT, raw),
        case_number=try_parse_case_number(raw),
        court_name=_text(fields.get("FYMC")) or "",
        verdict=_lookup(VERDICTS, fields.get("PJJG"), "verdict"),
        sentence=Sentence(
            penalty=_lookup(PENALTIES, fields.get("ZXLX"), "penalty"),
            term_months=_int(fields.get("XQ")),
            probation_months=_int(fields.get("HXKYQ")),
            fine_yuan=_int(fields.get("FJ")),
        ),
        charges=tuple(_charge(charge) for charge in charges),
        judgment_date=_date(fields.get("PJRQ")),
        effective_date=_date(fields.get("SXRQ")),
        offence_date=_date(fields.get("FZRQ")),
        procuratorate=_text(fields.get("GSJG")),
        correction_type=_optional_lookup(CORRECTION_TYPES, fields.get("SQJZLX"), "correction type"),
        residence_county_code=county,
        police_case_number=_text(fields.get("GAAJBH")),
    )


def _person(party: Fields) -> PersonIdentity:
    recorded = _text(party.get("SFZH"))
    parsed = try_parse_id_number(recorded)
    return PersonIdentity(
        source=SourceRef(Agency.COURT, recorded or ""),
        name=_text(party.get("XM")) or "",
        id_number=None if parsed is None else parsed.value,
        id_number_as_recorded=recorded,
        sex_code=SEX_CODES.get(_text(party.get("XB")) or "", "0"),
        ethnicity_code=ETHNICITY_CODES.get(_text(party.get("MZ")) or ""),
        birth_date=_date(party.get("CSRQ")),
        county_code=_text(party.get("JZDXZQH")),
    )


def _charge(fields: Fields) -> Charge:
    return Charge(
        name=str(fields["ZMMC"]), article=_text(fields.get("FT")) or "", act=_text(fields.get("XW"))
    )


def _child_texts(node: etree._Element) -> dict[str, Any]:
    return {str(child.tag): child.text for child in node if not len(child)}


def _as_dict(value: Any) -> dict[str, Any]:
    return serialize_object(value, dict) if value is not None else {}  # type: ignore[no-untyped-call]


def _upper(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {key.upper(): value for key, value in fields.items()}


def _as_list(result: Any) -> list[Any]:
    if result is None:
        return []
    if isinstance(result, list):
        return result
    return list(result["bgjl"] or [])


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _int(value: object) -> int | None:
    text = _text(value)
    return None if text is None else int(text)


def _date(value: object) -> dt.date | None:
    """Parse ``YYYYMMDD`` or ``YYYY-MM-DD``; a missing or impossible date is None."""
    text = (_text(value) or "").replace("-", "").replace("/", "")
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _lookup(table: Mapping[str, T], value: object, what: str) -> T:
    found = _optional_lookup(table, value, what)
    if found is None:
        raise ValueError(f"missing {what}")
    return found


def _optional_lookup(table: Mapping[str, T], value: object, what: str) -> T | None:
    text = _text(value)
    if text is None:
        return None
    if text not in table:
        raise ValueError(f"unknown {what} {text!r}")
    return table[text]
