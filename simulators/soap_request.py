"""The part of reading a SOAP 1.1 request that every stand-in shares.

Requests are parsed with entities, DTDs and network access off, as a careful legacy
server would; a malformed request becomes a Client fault with a Chinese fault string.
"""

from __future__ import annotations

from lxml import etree

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
_ENV = f"{{{SOAP_NS}}}"


class RequestError(ValueError):
    """The request is not a SOAP envelope the service understands (a Client fault)."""


def operation_element(body: bytes) -> etree._Element:
    """Parse ``body`` and return the operation element inside the SOAP Body."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise RequestError(f"请求不是有效的 XML：{exc.msg}") from exc
    if root.getroottree().docinfo.doctype:
        raise RequestError("请求不得包含 DTD")
    if root.tag != f"{_ENV}Envelope":
        raise RequestError("请求缺少 SOAP Envelope")

    body_node = root.find(f"{_ENV}Body")
    operation = None if body_node is None else next(iter(body_node), None)
    if operation is None or not isinstance(operation.tag, str):
        raise RequestError("SOAP Body 中缺少操作元素")
    return operation
