"""SOAP 1.1 envelopes the court stand-in reads and writes, including its legacy quirks.

Requests are parsed with entities, DTDs and network access off. Responses are built
with lxml. The ID-number query returns an XML document escaped inside ``<return>``
and encoded in GBK, declared in one of the ways legacy servers do (see ``Declaration``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from lxml import etree

from simulators.soap_request import SOAP_NS, operation_element

COURT_NS = "http://court.lsz.example/ws"
_ENV = f"{{{SOAP_NS}}}"
_TNS = f"{{{COURT_NS}}}"
_NSMAP = {"soap": SOAP_NS, "tns": COURT_NS}


class Declaration(StrEnum):
    """The way a GBK body declares (or fails to declare) its encoding."""

    HONEST = "honest"  # <?xml encoding="GBK"?> and charset=GBK
    HEADER_ONLY = "header_only"  # no XML declaration; charset=GBK in Content-Type only
    UTF8_LIE = "utf8_lie"  # declared UTF-8, bytes are GBK
    GB2312 = "gb2312"  # declared GB2312 while holding GBK-only characters such as 堃


def parse_request(body: bytes) -> tuple[str, dict[str, str]]:
    """Return the operation name and its parameters (local names → text).

    A repeated parameter (``sfzh`` of the batch query) maps to its texts joined by commas.
    """
    operation = operation_element(body)
    params: dict[str, str] = {}
    for child in operation:
        name, text = etree.QName(child).localname, (child.text or "").strip()
        params[name] = f"{params[name]},{text}" if name in params else text
    return etree.QName(operation).localname, params


def fault(code: str, message: str) -> bytes:
    envelope, body = _envelope()
    node = etree.SubElement(body, f"{_ENV}Fault")
    etree.SubElement(node, "faultcode").text = f"soap:{code}"
    etree.SubElement(node, "faultstring").text = message
    return _utf8(envelope)


def status_response(text: str) -> bytes:
    envelope, body = _envelope()
    response = etree.SubElement(body, f"{_TNS}getFwztResponse")
    etree.SubElement(response, f"{_TNS}zt").text = text
    return _utf8(envelope)


def judgment_response(party: dict[str, Any], judgment: dict[str, Any]) -> bytes:
    envelope, body = _envelope()
    response = etree.SubElement(body, f"{_TNS}getAjxxByAhResponse")
    _typed_party(etree.SubElement(response, f"{_TNS}dsr"), party)
    _typed_judgment(etree.SubElement(response, f"{_TNS}ajxx"), judgment)
    return _utf8(envelope)


def changes_response(rows: list[tuple[dict[str, Any], dict[str, Any]]]) -> bytes:
    envelope, body = _envelope()
    response = etree.SubElement(body, f"{_TNS}listPjbgAfterXhResponse")
    for party, judgment in rows:
        record = etree.SubElement(response, f"{_TNS}bgjl")
        etree.SubElement(record, f"{_TNS}xh").text = str(judgment["BGXH"])
        _typed_party(etree.SubElement(record, f"{_TNS}dsr"), party)
        _typed_judgment(etree.SubElement(record, f"{_TNS}ajxx"), judgment)
    return _utf8(envelope)


def embedded_document(rows: list[tuple[dict[str, Any], dict[str, Any]]]) -> str:
    """Build the inner ``<AJXX>`` document, with the GBK declaration the legacy system writes."""
    root = etree.Element("AJXX")
    etree.SubElement(root, "JLS").text = str(len(rows))  # 记录数: record count
    if rows:
        person = etree.SubElement(root, "RYXX")
        for key, value in rows[0][0].items():
            etree.SubElement(person, key).text = "" if value is None else str(value)
    judgments = etree.SubElement(root, "PJLB")
    for _, judgment in rows:
        node = etree.SubElement(judgments, "PJ")
        for key, value in judgment.items():
            if key == "charges":
                _embedded_charges(node, value)
            elif key != "AH_GF" and key != "DSRBH":
                etree.SubElement(node, key).text = "" if value is None else str(value)
    text = str(etree.tostring(root, encoding="unicode"))
    return '<?xml version="1.0" encoding="GBK"?>' + text


def string_response(
    document: str | list[str], declaration: Declaration, operation: str = "queryPjxxBySfzh"
) -> tuple[bytes, str]:
    """Build the ``<operation>Response`` envelope in GBK and return it with its Content-Type.

    A list of documents gives one ``return`` element each, in order (the batch query).
    """
    envelope, body = _envelope()
    response = etree.SubElement(body, f"{_TNS}{operation}Response")
    for text in [document] if isinstance(document, str) else document:
        etree.SubElement(response, f"{_TNS}return").text = text
    payload = etree.tostring(envelope, encoding="GBK", xml_declaration=False)
    prolog = {
        Declaration.HONEST: b'<?xml version="1.0" encoding="GBK"?>\n',
        Declaration.HEADER_ONLY: b"",
        Declaration.UTF8_LIE: b'<?xml version="1.0" encoding="UTF-8"?>\n',
        Declaration.GB2312: b'<?xml version="1.0" encoding="GB2312"?>\n',
    }[declaration]
    content_type = "text/xml" if declaration is Declaration.UTF8_LIE else "text/xml; charset=GBK"
    return prolog + payload, content_type


def _envelope() -> tuple[etree._Element, etree._Element]:
    envelope = etree.Element(f"{_ENV}Envelope", nsmap=_NSMAP)
    return envelope, etree.SubElement(envelope, f"{_ENV}Body")


def _utf8(envelope: etree._Element) -> bytes:
    return bytes(etree.tostring(envelope, encoding="UTF-8", xml_declaration=True))


def _typed_party(node: etree._Element, party: dict[str, Any]) -> None:
    for key in ("XM", "SFZH", "XB", "MZ", "CSRQ", "JZDXZQH"):
        _optional(node, key.lower(), party.get(key))


_JUDGMENT_KEYS = "AH FYMC FYDM PJJG ZXLX XQ HXKYQ FJ PJRQ SXRQ FZRQ GSJG SQJZLX GAAJBH".split()


def _typed_judgment(node: etree._Element, judgment: dict[str, Any]) -> None:
    for key in _JUDGMENT_KEYS:
        _optional(node, key.lower(), judgment.get(key))
    for name, article, act in judgment.get("charges", []):
        charge = etree.SubElement(node, f"{_TNS}zm")
        _optional(charge, "zmmc", name)
        _optional(charge, "ft", article)
        _optional(charge, "xw", act)


def _embedded_charges(node: etree._Element, charges: list[tuple[str, str, str | None]]) -> None:
    for name, article, act in charges:
        charge = etree.SubElement(node, "ZM")
        etree.SubElement(charge, "ZMMC").text = name
        etree.SubElement(charge, "FT").text = article or ""
        etree.SubElement(charge, "XW").text = act or ""


def _optional(node: etree._Element, name: str, value: object) -> None:
    if value is None or value == "":
        return
    etree.SubElement(node, f"{_TNS}{name}").text = str(value)
