"""The SOAP base: error translation, GBK re-decoding, XML carried in strings, redaction."""

from __future__ import annotations

import inspect

import httpx
import pytest
import zeep.exceptions
from lxml import etree

from adapters.errors import (
    AdapterNotReady,
    UpstreamDataError,
    UpstreamError,
    UpstreamFault,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from adapters.soap import SoapClient, parse_embedded_xml, redact, to_utf8, translate

# Library classes that are programming errors, not upstream failures: left to propagate.
NOT_UPSTREAM = {httpx.CookieConflict}


def bare(cls: type[BaseException]) -> BaseException:
    """An instance of ``cls``, whatever its constructor wants."""
    for args in [("x",), ("x", 1, 1, 1), ()]:
        try:
            return cls(*args)
        except TypeError:
            continue
    return cls.__new__(cls)


def library_error_classes() -> list[type[BaseException]]:
    modules = [
        (zeep.exceptions, zeep.exceptions.Error),
        (httpx, Exception),
        (etree, etree.LxmlError),
    ]
    found = []
    for module, root in modules:
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, root) and value.__module__.split(".")[0] == module.__name__.split(".")[0]:
                found.append(value)
    return [cls for cls in found if cls not in NOT_UPSTREAM]


EXPECTED: list[tuple[BaseException, type[UpstreamError]]] = [
    (zeep.exceptions.Fault("未找到案号为（2024）川3401刑初1号的案件", code="soap:Server"), UpstreamFault),
    (zeep.exceptions.TransportError("bad"), UpstreamDataError),
    (zeep.exceptions.ValidationError("bad"), UpstreamDataError),
    (zeep.exceptions.XMLSyntaxError("bad"), UpstreamDataError),
    (zeep.exceptions.DTDForbidden("x", None, None), UpstreamDataError),
    (zeep.exceptions.EntitiesForbidden("x", "y"), UpstreamDataError),
    (zeep.exceptions.ExternalReferenceForbidden("file:///etc/hosts"), UpstreamDataError),
    (httpx.ConnectError("refused"), UpstreamUnavailable),
    (httpx.ReadError("reset"), UpstreamUnavailable),
    (httpx.RemoteProtocolError("closed"), UpstreamUnavailable),
    (bare(httpx.HTTPStatusError), UpstreamUnavailable),
    (httpx.ConnectTimeout("slow"), UpstreamTimeout),
    (httpx.ReadTimeout("slow"), UpstreamTimeout),
    (httpx.PoolTimeout("slow"), UpstreamTimeout),
    (TimeoutError(), UpstreamTimeout),
    (httpx.DecodingError("gzip"), UpstreamDataError),
    (bare(etree.XMLSyntaxError), UpstreamDataError),
    (UnicodeDecodeError("gb18030", b"\xff", 0, 1, "bad"), UpstreamDataError),
]


def translated(exc: BaseException) -> UpstreamError | None:
    return translate(exc, agency="court", operation="queryPjxxBySfzh", timeout_s=5.0)


@pytest.mark.parametrize(("exc", "expected"), EXPECTED, ids=lambda value: type(value).__name__)
def test_library_error_maps_to_hub_error(exc: BaseException, expected: type[UpstreamError]) -> None:
    assert type(translated(exc)) is expected


@pytest.mark.parametrize("cls", library_error_classes(), ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_no_library_error_left_unmapped(cls: type[BaseException]) -> None:
    exc = zeep.exceptions.Fault("x") if cls is zeep.exceptions.Fault else bare(cls)

    assert isinstance(translated(exc), UpstreamError)


def test_unrelated_error_not_translated() -> None:
    assert translated(ValueError("a bug")) is None


def test_fault_keeps_code_and_faultstring() -> None:
    error = translated(zeep.exceptions.Fault("未找到案号为X的案件", code="soap:Server"))

    assert isinstance(error, UpstreamFault)
    assert error.fault_code == "soap:Server"
    assert error.fault_string == "未找到案号为X的案件"


def test_timeout_carries_configured_seconds() -> None:
    error = translate(httpx.ReadTimeout("slow"), agency="court", operation="getFwzt", timeout_s=1.5)

    assert error is not None
    assert error.params["timeout_s"] == 1.5


def test_data_error_omits_upstream_body() -> None:
    error = translated(zeep.exceptions.TransportError("body with 513401198503121019", content=b"secret"))

    assert error is not None
    assert "513401" not in error.render("zh")


BODY = "<a><XM>吉克堃</XM></a>"


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b'<?xml version="1.0" encoding="GBK"?>' + BODY.encode("gbk"), "text/xml"),
        (BODY.encode("gbk"), "text/xml; charset=GBK"),
        (b'<?xml version="1.0" encoding="UTF-8"?>' + BODY.encode("gbk"), "text/xml"),
        (b'<?xml version="1.0" encoding="GB2312"?>' + BODY.encode("gbk"), "text/xml"),
        (b"<?xml version='1.0' encoding='gb2312'?>" + BODY.encode("gbk"), None),
        (BODY.encode("gbk"), None),
        (BODY.encode("utf-8"), "text/xml; charset=utf-8"),
    ],
    ids=[
        "declared-gbk",
        "header-only",
        "utf8-lie",
        "gb2312-lie",
        "gb2312-single-quotes",
        "undeclared",
        "utf8",
    ],
)
def test_to_utf8_fixes_legacy_declarations(raw: bytes, content_type: str | None) -> None:
    root = etree.fromstring(to_utf8(raw, content_type))

    assert root.findtext("XM") == "吉克堃"


def test_to_utf8_keeps_utf8_bodies() -> None:
    raw = b'<?xml version="1.0" encoding="UTF-8"?>' + BODY.encode("utf-8")

    assert to_utf8(raw, "text/xml") is raw


def test_embedded_xml_stale_declaration_parses() -> None:
    root = parse_embedded_xml(
        '<?xml version="1.0" encoding="GBK"?><AJXX><XM>吉克堃</XM></AJXX>', agency="court", operation="q"
    )

    assert root.findtext("XM") == "吉克堃"


@pytest.mark.parametrize(
    "text",
    [
        '<?xml version="1.0"?><!DOCTYPE AJXX [<!ENTITY xxe SYSTEM "file:///etc/hostname">]><AJXX>&xxe;</AJXX>',
        '<!DOCTYPE AJXX SYSTEM "http://127.0.0.1:9/x.dtd"><AJXX/>',
        '<!DOCTYPE AJXX [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><AJXX>&b;</AJXX>',
    ],
    ids=["external-entity", "external-dtd", "nested-entities"],
)
def test_embedded_xml_dtd_rejected(text: str) -> None:
    with pytest.raises(UpstreamDataError):
        parse_embedded_xml(text, agency="court", operation="queryPjxxBySfzh")


def test_embedded_broken_xml_is_data_error() -> None:
    with pytest.raises(UpstreamDataError):
        parse_embedded_xml("<AJXX><PJ></AJXX>", agency="court", operation="queryPjxxBySfzh")


def test_redact_masks_id_numbers() -> None:
    text = redact("<sfzh>513401198503121019</sfzh> &lt;SFZH&gt;513425720205203&lt;/SFZH&gt;")

    assert text == "<sfzh>513401********1019</sfzh> &lt;SFZH&gt;513425*****5203&lt;/SFZH&gt;"


def test_redact_masks_names() -> None:
    text = redact("<tns:xm>吉克堃</tns:xm> &lt;XM&gt;沙马拉且&lt;/XM&gt;")

    assert text == "<tns:xm>吉**</tns:xm> &lt;XM&gt;沙**&lt;/XM&gt;"


def test_gateway_status_maps_to_unavailable() -> None:
    for status in (502, 503, 504):
        error = translated(zeep.exceptions.TransportError("bad gateway", status_code=status))
        assert isinstance(error, UpstreamUnavailable), status


async def test_call_before_start_raises_not_ready() -> None:
    client = SoapClient(
        agency="court",
        service_url="http://127.0.0.1:9/ws",
        wsdl_url="http://127.0.0.1:9/ws?wsdl",
        timeout_s=1.0,
    )
    try:
        with pytest.raises(AdapterNotReady) as caught:
            await client.call("getFwzt")
    finally:
        await client.aclose()

    assert caught.value.code == "UPSTREAM_UNAVAILABLE"
