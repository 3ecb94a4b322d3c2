"""The hub's exception tree, shared by every layer.

It lives under ``adapters/`` because imports point one way (``hub`` → ``schema`` →
``adapters``): the adapters raise these errors and every layer above catches them.

    HubError                       root: every error the hub raises on purpose
    ├── InvalidInput               a caller sent a value the hub cannot accept
    │   ├── InvalidIdNumber        resident ID number fails GB 11643-1999 (``part`` says where)
    │   └── InvalidCaseNumber      court case number matches no known format
    └── UpstreamError              an agency's legacy system failed (``agency``, ``operation``)
        ├── UpstreamTimeout        no answer within the agency's timeout
        ├── UpstreamUnavailable    connection refused, reset or unresolvable
        ├── UpstreamFault          the system answered with a SOAP fault or an SQL error
        └── UpstreamDataError      the answer arrived but cannot be parsed or mapped

Every class has a stable English ``code`` for GraphQL ``extensions.code``. Each instance
carries a message key from ``MESSAGES`` and its parameters, so ``render`` produces the
zh-CN text officers read or the English text for logs and English clients. Library
errors (zeep, httpx, SQLAlchemy, lxml) are translated into this tree at the adapter
boundary with ``raise ... from exc``.
"""

from __future__ import annotations

from typing import Any, ClassVar

# key -> (zh-CN template, English template). Templates use str.format fields.
MESSAGES: dict[str, tuple[str, str]] = {
    "hub_error": ("政法数据交换枢纽内部错误。", "The hub failed to process the request."),
    "id_number.format": (
        "公民身份号码“{value}”格式无效：应为 18 位（17 位数字加校验码）或 15 位数字。",
        "Resident ID number '{value}' is malformed: expected 18 characters (17 digits and a check character) or 15 digits.",
    ),
    "id_number.region": (
        "公民身份号码“{value}”的行政区划代码 {region} 无效。",
        "Resident ID number '{value}' has an invalid region code {region}.",
    ),
    "id_number.birth_date": (
        "公民身份号码“{value}”的出生日期 {birth_date} 不存在或晚于今天。",
        "Resident ID number '{value}' has an impossible birth date {birth_date}.",
    ),
    "id_number.check_character": (
        "公民身份号码“{value}”的校验码应为 {expected}，实际为 {actual}，请核对号码是否录入有误。",
        "Resident ID number '{value}' has check character {actual}, expected {expected}; check the number for a typing error.",
    ),
    "case_number.format": (
        "案号“{value}”格式无法识别，应类似“（2024）川3401刑初12号”。",
        "Case number '{value}' is not recognised; expected a form such as '(2024)川3401刑初12号'.",
    ),
    "upstream.timeout": (
        "{agency_zh}系统在 {timeout_s} 秒内未响应（{operation}）。",
        "The {agency} system did not answer within {timeout_s} s ({operation}).",
    ),
    "upstream.unavailable": (
        "无法连接{agency_zh}系统（{operation}）。",
        "The {agency} system is unreachable ({operation}).",
    ),
    "upstream.fault": (
        "{agency_zh}系统返回错误（{operation}）：{fault_string}",
        "The {agency} system returned a fault ({operation}): {fault_string}",
    ),
    "upstream.data": (
        "{agency_zh}系统返回的数据无法解析（{operation}）：{detail}",
        "The {agency} system returned data the hub cannot parse ({operation}): {detail}",
    ),
}

AGENCY_NAMES_ZH: dict[str, str] = {
    "police": "公安",
    "procuratorate": "检察院",
    "court": "法院",
    "prison": "监狱",
    "justice_bureau": "司法局社区矫正",
}


class HubError(Exception):
    """Root of every error the hub raises on purpose; its message is safe to show a client."""

    code: ClassVar[str] = "HUB_ERROR"
    default_key: ClassVar[str] = "hub_error"

    def __init__(self, key: str | None = None, /, **params: Any) -> None:
        self.key = key or self.default_key
        self.params = params
        super().__init__(self.render("en"))

    def render(self, language: str = "zh") -> str:
        """Format the message in ``zh`` (the default) or ``en``."""
        zh, en = MESSAGES.get(self.key, MESSAGES["hub_error"])
        template = en if language == "en" else zh
        try:
            return template.format(**self.params)
        except (KeyError, IndexError):
            return template


class InvalidInput(HubError):
    """Raised when a caller's value cannot be accepted."""

    code = "BAD_USER_INPUT"


class InvalidIdNumber(InvalidInput):
    """Raised when a resident ID number fails GB 11643-1999 validation.

    ``part`` names the failing part: ``format``, ``region``, ``birth_date`` or
    ``check_character``. ``value`` is the input after normalisation.
    """

    code = "INVALID_ID_NUMBER"

    def __init__(self, *, part: str, value: str, **params: Any) -> None:
        self.part = part
        self.value = value
        super().__init__(f"id_number.{part}", part=part, value=value, **params)


class InvalidCaseNumber(InvalidInput):
    """Raised when a court case number matches neither the 2016 nor the older format."""

    code = "INVALID_CASE_NUMBER"

    def __init__(self, *, value: str) -> None:
        self.value = value
        super().__init__("case_number.format", value=value)


class UpstreamError(HubError):
    """Raised when an agency's legacy system fails to answer usefully."""

    code: ClassVar[str] = "UPSTREAM_ERROR"
    default_key: ClassVar[str] = "upstream.unavailable"

    def __init__(self, *, agency: str, operation: str, **params: Any) -> None:
        self.agency = agency
        self.operation = operation
        agency_zh = AGENCY_NAMES_ZH.get(agency, agency)
        super().__init__(None, agency=agency, agency_zh=agency_zh, operation=operation, **params)


class UpstreamTimeout(UpstreamError):
    """Raised when an agency does not answer within its configured timeout (``timeout_s``)."""

    code = "UPSTREAM_TIMEOUT"
    default_key = "upstream.timeout"


class UpstreamUnavailable(UpstreamError):
    """Raised when an agency cannot be reached: connection refused, reset or unresolvable."""

    code = "UPSTREAM_UNAVAILABLE"
    default_key = "upstream.unavailable"


class UpstreamFault(UpstreamError):
    """Raised when an agency answers with an error of its own (SOAP fault, SQL error).

    ``fault_code`` and ``fault_string`` keep the upstream's own words, often Chinese;
    they are shown and logged, never parsed.
    """

    code = "UPSTREAM_FAULT"
    default_key = "upstream.fault"

    def __init__(self, *, agency: str, operation: str, fault_code: str = "", fault_string: str = "") -> None:
        self.fault_code = fault_code
        self.fault_string = fault_string
        super().__init__(agency=agency, operation=operation, fault_code=fault_code, fault_string=fault_string)


class UpstreamDataError(UpstreamError):
    """Raised when an agency's answer arrives but cannot be parsed or mapped (``detail``).

    XML that carries a DTD or entity declarations lands here: the hub never parses it.
    """

    code = "UPSTREAM_DATA_ERROR"
    default_key = "upstream.data"
