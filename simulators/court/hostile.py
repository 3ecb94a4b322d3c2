"""Hostile response bodies for security tests: what a compromised or spoofed upstream could send.

Every reference points at ``target``, which the app restricts to loopback URLs and local
files. The stand-in's own ``/canary`` route counts any fetch that gets through.
"""

from __future__ import annotations

from enum import StrEnum
from xml.sax.saxutils import escape, quoteattr

from simulators.court.envelope import COURT_NS, SOAP_NS


class Hostile(StrEnum):
    OFF = "off"
    DTD = "dtd"  # an internal DTD subset and nothing else
    EXTERNAL_DTD = "external_dtd"  # <!DOCTYPE ... SYSTEM target>
    EXTERNAL_ENTITY = "external_entity"  # <!ENTITY xxe SYSTEM target> used in the body
    BILLION_LAUGHS = "billion_laughs"  # nested internal entities
    EMBEDDED_ENTITY = "embedded_entity"  # clean envelope, XXE inside the XML-in-string
    EMBEDDED_BILLION_LAUGHS = "embedded_billion_laughs"  # clean envelope, laughs inside the string


EMBEDDED_MODES = frozenset({Hostile.EMBEDDED_ENTITY, Hostile.EMBEDDED_BILLION_LAUGHS})


def hostile_body(mode: Hostile, target: str) -> bytes:
    """Build a ``queryPjxxBySfzh`` response carrying the attack named by ``mode``."""
    if mode is Hostile.EMBEDDED_ENTITY:
        return _envelope("", escape(_inner(_external_entity_dtd("AJXX", target), "&xxe;")))
    if mode is Hostile.EMBEDDED_BILLION_LAUGHS:
        return _envelope("", escape(_inner(_laughs_dtd("AJXX"), "&lol9;")))
    if mode is Hostile.DTD:
        return _envelope("<!DOCTYPE soap:Envelope [<!ELEMENT soap:Envelope ANY>]>\n", "")
    if mode is Hostile.EXTERNAL_DTD:
        return _envelope(f"<!DOCTYPE soap:Envelope SYSTEM {quoteattr(target)}>\n", "")
    if mode is Hostile.EXTERNAL_ENTITY:
        return _envelope(_external_entity_dtd("soap:Envelope", target), "&xxe;")
    return _envelope(_laughs_dtd("soap:Envelope"), "&lol9;")


def _external_entity_dtd(root: str, target: str) -> str:
    return f"<!DOCTYPE {root} [<!ENTITY xxe SYSTEM {quoteattr(target)}>]>\n"


def _laughs_dtd(root: str) -> str:
    lines = ['<!ENTITY lol0 "lol">']
    for level in range(1, 10):
        previous = f"&lol{level - 1};" * 10
        lines.append(f'<!ENTITY lol{level} "{previous}">')
    return f"<!DOCTYPE {root} [{''.join(lines)}]>\n"


def _inner(doctype: str, payload: str) -> str:
    return f'<?xml version="1.0" encoding="GBK"?>{doctype}<AJXX><JLS>{payload}</JLS></AJXX>'


def _envelope(doctype: str, return_text: str) -> bytes:
    text = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}'
        f'<soap:Envelope xmlns:soap="{SOAP_NS}" xmlns:tns="{COURT_NS}"><soap:Body>'
        f"<tns:queryPjxxBySfzhResponse><tns:return>{return_text}</tns:return>"
        "</tns:queryPjxxBySfzhResponse></soap:Body></soap:Envelope>"
    )
    return text.encode("utf-8")
