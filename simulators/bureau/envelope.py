"""SOAP 1.1 envelopes of the bureau stand-in: requests parsed safely, responses built with lxml."""

from __future__ import annotations

from lxml import etree

from simulators.bureau.store import Acceptance, ReceiptRow
from simulators.soap_request import SOAP_NS, operation_element

BUREAU_NS = "http://sfj.lsz.example/correction/ws"
_ENV = f"{{{SOAP_NS}}}"
_TNS = f"{{{BUREAU_NS}}}"

# Elements that may repeat in a request; every other element is read once.
_REPEATED = frozenset({"charge"})


def parse_request(body: bytes) -> tuple[str, dict[str, str | list[str]]]:
    """Return the operation's local name and its parameters (local name → text, or list for repeats)."""
    operation = operation_element(body)

    params: dict[str, str | list[str]] = {name: [] for name in _REPEATED}
    for child in operation:
        if not isinstance(child.tag, str):
            continue
        name, text = etree.QName(child).localname, (child.text or "").strip()
        value = params.get(name)
        if isinstance(value, list):
            value.append(text)
        else:
            params[name] = text
    return etree.QName(operation).localname, params


def acceptance_response(acceptance: Acceptance) -> bytes:
    envelope, body = _envelope()
    node = etree.SubElement(body, f"{_TNS}DeliverNoticeResponse")
    etree.SubElement(node, f"{_TNS}acceptanceId").text = acceptance.acceptance_id
    etree.SubElement(node, f"{_TNS}acceptedAt").text = acceptance.accepted_at.isoformat()
    etree.SubElement(node, f"{_TNS}duplicate").text = "true" if acceptance.duplicate else "false"
    return _serialize(envelope)


def receipts_response(receipts: list[ReceiptRow]) -> bytes:
    envelope, body = _envelope()
    node = etree.SubElement(body, f"{_TNS}ListReceiptsResponse")
    for receipt in receipts:
        item = etree.SubElement(node, f"{_TNS}receipt")
        etree.SubElement(item, f"{_TNS}sequence").text = str(receipt.sequence)
        etree.SubElement(item, f"{_TNS}acceptanceId").text = receipt.acceptance_id
        etree.SubElement(item, f"{_TNS}idempotencyKey").text = receipt.idempotency_key
        etree.SubElement(item, f"{_TNS}countyCode").text = receipt.county_code
        etree.SubElement(item, f"{_TNS}receivedAt").text = receipt.received_at.isoformat()
        etree.SubElement(item, f"{_TNS}officer").text = receipt.officer
        if receipt.reported_on is not None:  # optional in the WSDL: older clients skip it
            etree.SubElement(item, f"{_TNS}reportedOn").text = receipt.reported_on.isoformat()
    return _serialize(envelope)


def fault(code: str, message: str) -> bytes:
    envelope, body = _envelope()
    node = etree.SubElement(body, f"{_ENV}Fault")
    etree.SubElement(node, "faultcode").text = f"soap:{code}"
    etree.SubElement(node, "faultstring").text = message
    return _serialize(envelope)


def _envelope() -> tuple[etree._Element, etree._Element]:
    envelope = etree.Element(f"{_ENV}Envelope", nsmap={"soap": SOAP_NS, "tns": BUREAU_NS})
    return envelope, etree.SubElement(envelope, f"{_ENV}Body")


def _serialize(envelope: etree._Element) -> bytes:
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")  # type: ignore[no-any-return]
