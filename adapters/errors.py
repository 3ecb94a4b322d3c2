"""The hub's exception tree, shared by every layer.

It lives under ``adapters/`` because imports point one way (``hub`` → ``schema`` →
``adapters``): the adapters raise these errors and every layer above catches them.

    HubError                       root: every error the hub raises on purpose
    ├── InvalidInput               a caller sent a value the hub cannot accept
    │   ├── InvalidIdNumber        resident ID number fails GB 11643-1999 (``part`` says where)
    │   ├── InvalidCaseNumber      court case number matches no known format
    │   ├── BatchTooLarge          a batch lookup names more people than it may
    │   ├── InvalidNoticeArgument  a notice filter, cursor, page size, period or date is unusable
    │   ├── InvalidIdentityArgument a person search or match decision has an unusable value
    │   └── IdentityConflict       a confirmation would join two different valid ID numbers
    ├── NoticeNotFound             no correction notice has the given id
    ├── IdentityNotFound           no index record or hub person has the given id
    ├── Unauthenticated            no bearer token, or one the hub cannot accept
    ├── Forbidden                  no role of the caller may run the operation here
    ├── RateLimited                the caller spent their quota of an operation
    └── UpstreamError              an agency's legacy system failed (``agency``, ``operation``)
        ├── UpstreamTimeout        no answer within the agency's timeout
        ├── UpstreamUnavailable    connection refused, reset or unresolvable
        │   ├── UpstreamCircuitOpen   the hub stopped calling an agency that kept failing
        │   └── UpstreamSaturated     too many calls to the agency already in progress
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
        "Resident ID number '{value}' is malformed:"
        " expected 18 characters (17 digits and a check character) or 15 digits.",
    ),
    "id_number.region": (
        "公民身份号码“{value}”的行政区划代码 {region} 无效。",
        "Resident ID number '{value}' has an invalid region code {region}.",
    ),
    "id_number.birth_date": (
        "公民身份号码“{value}”的出生日期 {birth_date} 不存在或晚于今天。",
        "Resident ID number '{value}' has a birth date {birth_date} that does not exist or is in the future.",
    ),
    "id_number.check_character": (
        "公民身份号码“{value}”的校验码应为 {expected}，实际为 {actual}，请核对号码是否录入有误。",
        "Resident ID number '{value}' has check character {actual}, expected {expected};"
        " check the number for a typing error.",
    ),
    "batch.size": (
        "一次批量查询最多 {limit} 人，本次为 {size} 人，请分批查询。",
        "A batch lookup takes at most {limit} people, got {size}; split it up.",
    ),
    "batch.quota": (
        "一次批量查询不能超过每分钟的查询配额 {limit} 人，本次为 {size} 人，请分批查询。",
        "A batch lookup cannot exceed the quota of {limit} lookups per minute, got {size} people;"
        " split it up.",
    ),
    "case_number.format": (
        "案号“{value}”格式无法识别，应类似“（2024）川3401刑初12号”。",
        "Case number '{value}' is not recognised; expected a form such as '(2024)川3401刑初12号'.",
    ),
    "notices.cursor": (
        "分页游标“{value}”无效：请使用上一页返回的 nextCursor，或不传以从第一页开始。",
        "Cursor '{value}' is invalid: pass the previous page's nextCursor, or none for the first page.",
    ),
    "notices.first": (
        "每页条数 {value} 无效：应在 1 到 {maximum} 之间。",
        "Page size {value} is invalid: expected 1 to {maximum}.",
    ),
    "notices.county_format": (
        "县级代码“{value}”格式无效：应为 6 位数字的凉山州县（市）代码，例如西昌市为 513401。",
        "County code '{value}' is malformed: expected the six digits of a Liangshan county,"
        " such as 513401 for Xichang.",
    ),
    "notices.county": (
        "县级代码“{value}”不是凉山州的县（市），例如西昌市为 513401。",
        "County code '{value}' is not a county of Liangshan; for example Xichang is 513401.",
    ),
    "notices.date_range": (
        "日期范围无效：起始日期 {start} 晚于结束日期 {end}。",
        "Date range is invalid: start {start} is after end {end}.",
    ),
    "notices.received_on": (
        "签收日期 {value} 晚于今天（{today}），请核对日期。",
        "Receipt date {value} is after today ({today}); check the date.",
    ),
    "notices.reported_on": (
        "报到日期 {value} 晚于今天（{today}），请核对日期。",
        "Reporting-in date {value} is after today ({today}); check the date.",
    ),
    "notices.reported_before_effective": (
        "报到日期 {value} 早于判决生效日 {effective}，请核对日期。",
        "Reporting-in date {value} is before the judgment took effect ({effective}); check the date.",
    ),
    "notices.reporting_not_for_bureau": (
        "通知书 {notice_id} 已移送公安机关执行，不在司法局报到。",
        "Notice {notice_id} was routed to the police, so the person does not report in to a justice bureau.",
    ),
    "notices.not_for_bureau": (
        "通知书 {notice_id} 已移送公安机关执行，不由司法局签收。",
        "Notice {notice_id} was routed to the police, so no justice bureau signs for it.",
    ),
    "notices.not_found": (
        "通知书“{notice_id}”不存在，请核对编号。",
        "Notice '{notice_id}' does not exist; check the id.",
    ),
    "notices.not_redeliverable": (
        "通知书 {notice_id} 的状态为“{status_zh}”（{status}），不能重新发送："
        "只有“发送失败，重试中”（FAILING）或“待发送”（PENDING）的通知书可以重新发送。",
        "Notice {notice_id} is {status}, so it cannot be redelivered:"
        " only a FAILING or PENDING notice can be.",
    ),
    "notices.redeliver_in_progress": (
        "通知书 {notice_id} 正在发送（发送程序的租约到 {lease_until} 为止），"
        "请在此之后查看结果；若这次仍然失败，再重新发送。",
        "Notice {notice_id} is being sent now (the deliverer's lease runs until {lease_until});"
        " check it after that, and redeliver it if this attempt fails.",
    ),
    "notices.redeliver_no_outbox": (
        "通知书 {notice_id} 没有待发送的发件箱记录，无法重新发送，请把通知书编号告知枢纽的开发人员。",
        "Notice {notice_id} has no unsent outbox entry, so there is nothing to redeliver;"
        " report the notice id to the hub's developers.",
    ),
    "auth.invalid": (
        "身份凭证缺失或无效，请重新登录。",
        "The credentials are missing or invalid; sign in again.",
    ),
    "auth.expired": (
        "身份凭证已过期，请重新登录。",
        "The credentials have expired; sign in again.",
    ),
    "auth.forbidden": (
        "当前账号（{roles_zh}，{agency_zh} {county}）无权执行“{operation_zh}”（{operation}）。",
        "The account ({roles}, {agency} {county}) may not run '{operation}'.",
    ),
    "auth.forbidden_county": (
        "当前账号（{roles_zh}，{agency_zh} {county}）"
        "无权查看 {target} 的“{operation_zh}”（{operation}）数据，仅限本辖区。",
        "The account ({roles}, {agency} {county}) may not run '{operation}' for {target}: "
        "own jurisdiction only.",
    ),
    "request.not_json": (
        '请求体不是有效的 JSON。请以 JSON 对象发送请求，例如 {{"query": "{{ __typename }}"}}。',
        'The request body is not valid JSON; send a JSON object such as {{"query": "{{ __typename }}"}}.',
    ),
    "request.not_utf8": (
        "请求体不是 UTF-8 编码的 JSON，请改用 UTF-8 编码发送。",
        "The request body is not UTF-8 JSON; encode it as UTF-8.",
    ),
    "request.not_object": (
        '请求体必须是一个 JSON 对象，例如 {{"query": "{{ __typename }}"}}。',
        'The request body must be a JSON object such as {{"query": "{{ __typename }}"}}.',
    ),
    "request.batch": (
        "枢纽不支持批量请求：请求体必须是单个 JSON 对象，不能是数组。请把数组中的操作逐个发送。",
        "Batched requests are not supported: the request body must be one JSON object, not an array."
        " Send the operations one per request.",
    ),
    "request.content_type": (
        "不支持该请求内容类型，请设置 Content-Type: application/json，并以 JSON 发送请求体。",
        "Unsupported content type; send the body as JSON with Content-Type: application/json.",
    ),
    "request.no_query": (
        "请求中没有 GraphQL 查询语句，请把它放在请求体的 query 字段中。",
        "No GraphQL query found in the request; put it in the body's query field.",
    ),
    "request.query_type": (
        "请求体的 query 字段必须是字符串。",
        "The body's query field must be a string.",
    ),
    "request.variables_type": (
        "请求体的 variables 字段必须是 JSON 对象（以变量名为键）或 null。",
        "The body's variables field must be a JSON object keyed by variable name, or null.",
    ),
    "request.extensions_type": (
        "请求体的 extensions 字段必须是 JSON 对象或 null。",
        "The body's extensions field must be a JSON object or null.",
    ),
    "request.no_operation": (
        "查询语句中没有可执行的操作（query、mutation 或 subscription），请检查查询语句。",
        "The document contains no operation (query, mutation or subscription) to run.",
    ),
    "request.unknown_operation": (
        "查询语句中没有名为“{name}”的操作，请核对 operationName 与操作名是否一致。",
        "The document has no operation named '{name}'; check operationName.",
    ),
    "request.operation_not_allowed": (
        "{method} 请求不能执行{operation_zh}操作，请改用 POST 发送。",
        "{operations} are not allowed when using {method}; send them with POST.",
    ),
    "request.get_operation": (
        "GET 请求不能执行 GraphQL 操作：查询和变更请用 POST 发送，订阅请用 WebSocket。",
        "GraphQL operations are not accepted over GET: send queries and mutations with POST,"
        " and subscriptions over WebSocket.",
    ),
    "request.invalid": (
        "请求格式不正确，枢纽无法处理。请用 POST 发送 JSON 对象，其中 query 字段为查询语句，"
        "可选 variables 和 operationName 字段。",
        "The request is malformed; POST a JSON object with the query in its query field,"
        " and optionally variables and operationName.",
    ),
    "request.too_large": (
        "请求体超过 {limit} 字节上限，请减小请求体，例如把批量查询分成几次发送。",
        "The request body exceeds the limit of {limit} bytes; send a smaller body,"
        " for example by splitting a batch lookup.",
    ),
    "ready.not_configured": (
        "{agency_zh}系统未配置连接地址。",
        "No address is configured for the {agency} system.",
    ),
    "ready.start_failed": (
        "{agency_zh}适配器启动失败（{code}），正在重试。",
        "The {agency} adapter failed to start ({code}); retrying.",
    ),
    "ready.starting": ("{agency_zh}适配器正在启动。", "The {agency} adapter is starting."),
    "ready.wsdl_not_loaded": (
        "{agency_zh}系统的 WSDL 尚未加载。",
        "The {agency} system's WSDL is not loaded yet.",
    ),
    "purpose.missing": (
        "“{operation}”须说明查询目的（如 CASE_HANDLING 办案、TRIAL 审判）。",
        "'{operation}' needs a stated purpose of use (such as CASE_HANDLING or TRIAL).",
    ),
    "purpose.case_number": (
        "查询目的“{purpose_zh}”须填写案号或案件编号（caseNumber）。",
        "Purpose {purpose_api} needs a case number (caseNumber).",
    ),
    "purpose.case_court": (
        "案号 {case_number} 不是本院（{court_zh}）的案件，不能以“审判（TRIAL）”为目的查询。"
        "请填写本院案件的案号。",
        "Case number {case_number} belongs to a court other than yours ({court_en}); a trial lookup"
        " must name a case of your own court.",
    ),
    "purpose.case_prefecture": (
        "案号 {case_number} 不是本州法院的案件；"
        "{court_zh}只能以“审判（TRIAL）”为目的查询凉山州各级法院的案件。",
        "Case number {case_number} is not a case of a court in Liangshan Prefecture; the {court_en}"
        " may make trial lookups only for cases of the prefecture's courts.",
    ),
    "purpose.role": (
        "角色 {roles_zh} 不能以“{purpose_zh}”为目的查询。",
        "Role(s) {roles} may not query for purpose {purpose_api}.",
    ),
    "rate.limited": (
        "“{operation}”查询过于频繁：每{window_zh}最多 {limit} 次，请约 {retry_after_s} 秒后再试。",
        "Too many '{operation}' requests: at most {limit} per {window}; "
        "try again in about {retry_after_s} s.",
    ),
    "identity.record_not_found": (
        "人员索引中没有编号为 {value} 的记录，请刷新可能匹配列表后重试。",
        "The person index has no record {value}; reload the possible matches and try again.",
    ),
    "identity.person_not_found": (
        "枢纽人员编号 {value} 不存在。",
        "Hub person {value} does not exist.",
    ),
    "identity.distinct_id_numbers": (
        "两条记录属于身份证号不同的两个人，不能确认为同一人（{first} / {second}）。",
        "The two records belong to people with different ID numbers ({first} / {second}); "
        "they cannot be confirmed as one.",
    ),
    "identity.search_name": (
        "请输入姓名（彝族名、汉名均可），至少一个汉字。",
        "Give a name (Yi or Han) of at least one Chinese character.",
    ),
    "audit.kind": (
        "审计记录类型“{value}”无效：应为 {kinds} 之一。",
        "Audit entry kind '{value}' is invalid: expected one of {kinds}.",
    ),
    # The text lists hub.audit.REFUSAL_REASONS itself, because render cuts a parameter at MAX_QUOTED_CHARS.
    "audit.refusal": (
        "拒绝原因“{value}”无效：应为 OPERATION、COUNTY、PURPOSE_ROLE、CASE_COURT、PURPOSE_MISSING、"
        "CASE_NUMBER_MISSING、CASE_NUMBER_INVALID、QUOTA、OTHER 之一（区分大小写）。",
        "Refusal reason '{value}' is invalid: expected one of OPERATION, COUNTY, PURPOSE_ROLE, CASE_COURT,"
        " PURPOSE_MISSING, CASE_NUMBER_MISSING, CASE_NUMBER_INVALID, QUOTA or OTHER (case-sensitive).",
    ),
    "identity.limit": (
        "返回条数 {value} 无效：应在 1 到 {maximum} 之间。",
        "Limit {value} is invalid: expected 1 to {maximum}.",
    ),
    "upstream.timeout": (
        "{agency_zh}系统在 {timeout_s} 秒内未响应。",
        "The {agency} system did not answer within {timeout_s} s.",
    ),
    "upstream.unavailable": (
        "无法连接{agency_zh}系统。",
        "The {agency} system is unreachable.",
    ),
    "upstream.circuit_open": (
        "{agency_zh}系统近期多次出错，枢纽已暂停调用，约 {retry_after_s} 秒后再试。",
        "The {agency} system failed repeatedly, so the hub stopped calling it; "
        "it tries again in about {retry_after_s} s.",
    ),
    "upstream.saturated": (
        "{agency_zh}系统已有 {limit} 个请求在处理，请稍后重试。",
        "The {agency} system already has {limit} calls in progress; try again shortly.",
    ),
    "upstream.fault": (
        "{agency_zh}系统返回错误：{fault_string}",
        "The {agency} system returned a fault: {fault_string}",
    ),
    "upstream.not_ready": (
        "{agency_zh}系统适配器尚未就绪（启动时无法连接，正在重试），本次未查询该系统。",
        "The {agency} adapter is not ready (it could not reach the system at start-up and is retrying),"
        " so the system was not queried.",
    ),
    "upstream.no_operation": (
        "{agency_zh}系统地址上的服务没有操作 {operation}，该地址可能指向了别的服务：请检查该系统的地址配置。",
        "The service at the {agency} system's URL has no operation {operation}; the URL may name another"
        " service: check the URL configured for it.",
    ),
    "upstream.adapter_failed": (
        "{agency_zh}系统适配器内部出错，已记录日志，本次未取得该系统数据。",
        "The {agency} adapter failed internally; the error was logged and no data came from it.",
    ),
    "upstream.data": (
        "{agency_zh}系统返回的数据无法解析：{detail}",
        "The {agency} system returned data the hub cannot parse: {detail}",
    ),
}

AGENCY_NAMES_ZH: dict[str, str] = {
    "police": "公安",
    "procuratorate": "检察院",
    "court": "法院",
    "prison": "监狱",
    "justice_bureau": "司法局社区矫正",
    "hub": "政法数据交换枢纽",
}


# Roles (hub.auth.Role) and operations (hub.policy.Operation) as a refusal names them in zh-CN.
ROLE_NAMES_ZH: dict[str, str] = {
    "police_officer": "民警",
    "prosecutor": "检察官",
    "judge": "法官",
    "court_clerk": "书记员",
    "prison_officer": "监狱民警",
    "correction_officer": "社区矫正工作人员",
    "auditor": "审计员",
    "operator": "运维人员",
}
OPERATION_NAMES_ZH: dict[str, str] = {
    "priorRecords": "前科查询",
    "priorRecordsBatch": "批量前科查询",
    "people": "人员检索",
    "notices": "通知书列表",
    "notice": "查看通知书",
    "acknowledgeReceipt": "签收通知书",
    "noticeChanged": "订阅通知书变更",
    "indicators": "衔接指标",
    "auditEntries": "审计日志",
    "sourceHealth": "机关系统状态",
    "redeliverNotice": "重新发送通知书",
    "hubPerson": "人员索引详情",
    "possibleMatches": "待确认关联",
    "decideMatch": "确认或否定关联",
    "recordReporting": "登记报到",
}


def role_names_zh(roles: str) -> str:
    """Name a comma-separated role list in zh-CN (``法官、书记员``); an unknown role stays as written."""
    return "、".join(ROLE_NAMES_ZH.get(role, role) for role in roles.split(",") if role) or roles


PURPOSE_NAMES_ZH: dict[str, str] = {
    "case_handling": "办案",
    "prosecution_review": "审查起诉",
    "trial": "审判",
    "execution_of_sentence": "刑罚执行",
    "pre_sentence_investigation": "调查评估",
    "correction_supervision": "社区矫正监管",
    "audit": "审计",
    "operations": "运维",
}


def purpose_names(purpose: str) -> dict[str, str]:
    """Name a purpose for messages: ``purpose_zh`` (审判（TRIAL）) and ``purpose_api`` (TRIAL)."""
    api = purpose.upper()
    zh = PURPOSE_NAMES_ZH.get(purpose)
    return {"purpose_zh": f"{zh}（{api}）" if zh else api, "purpose_api": api}


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
        shown = {name: _shorten(value) for name, value in self.params.items()}
        try:
            return template.format(**shown)
        except (KeyError, IndexError):
            return template

    def bilingual(self) -> str:
        """Both languages on one line, as command-line tools show an error to operators."""
        return f"{self.render('zh')} / {self.render('en')}"


# A message quotes the caller's value; beyond this many characters it is cut, so a
# pasted document is not echoed back whole.
MAX_QUOTED_CHARS = 64


def _shorten(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_QUOTED_CHARS:
        return value[:MAX_QUOTED_CHARS] + "…"
    if isinstance(value, float):
        return f"{value:.6g}"  # seconds: 5, 0.2, 0.0001 or 0.18, never 0.18000000000000002
    return value


class InvalidInput(HubError):
    """Raised when a caller's value cannot be accepted."""

    code = "BAD_USER_INPUT"


class InvalidIdNumber(InvalidInput):
    """Raised when a resident ID number fails GB 11643-1999 validation.

    ``part`` names the failing part: ``format``, ``region``, ``birth_date`` or
    ``check_character``. ``value`` is the input after normalisation, except for
    ``format``: there it is the input as typed, trimmed and cut to 40 characters.
    """

    code = "INVALID_ID_NUMBER"

    def __init__(self, *, part: str, value: str, **params: Any) -> None:
        self.part = part
        self.value = value
        # The number's position in a batch's list, set by the batch resolver.
        self.index: int | None = None
        super().__init__(f"id_number.{part}", part=part, value=value, **params)


class InvalidCaseNumber(InvalidInput):
    """Raised when a court case number matches neither the 2016 nor the older format."""

    code = "INVALID_CASE_NUMBER"

    def __init__(self, *, value: str) -> None:
        self.value = value
        super().__init__("case_number.format", value=value)


class InvalidArgument(InvalidInput):
    """Raised when an argument of a query or mutation cannot be used.

    ``argument`` names it as the schema does; the message key names the problem.
    """

    def __init__(self, key: str, /, *, argument: str, **params: Any) -> None:
        self.argument = argument
        super().__init__(key, argument=argument, **params)


class InvalidNoticeArgument(InvalidArgument):
    """Raised when an argument of a notice query or mutation cannot be used.

    ``argument`` is ``after``, ``first``, ``countyCode``, ``effectiveFrom``, ``receivedOn``,
    ``reportedOn`` or ``noticeId``.
    """


class BatchTooLarge(InvalidInput):
    """Raised when ``priorRecordsBatch`` is given more people than its ``limit``.

    ``by_quota`` is True when the limit is the caller's lookups per minute, which is
    smaller than the batch limit: such a batch could never be served.
    """

    code = "BATCH_TOO_LARGE"

    def __init__(self, *, size: int, limit: int, by_quota: bool = False) -> None:
        self.size = size
        self.limit = limit
        super().__init__("batch.quota" if by_quota else "batch.size", size=size, limit=limit)


class NoticeNotFound(HubError):
    """Raised when no correction notice has the id a caller asked for (``notice_id``)."""

    code = "NOT_FOUND"
    default_key = "notices.not_found"

    def __init__(self, *, notice_id: str) -> None:
        self.notice_id = notice_id
        super().__init__(None, notice_id=notice_id)


class PurposeRequired(InvalidInput):
    """Raised when a lookup states no purpose, or a purpose without the case number it needs.

    ``part`` is ``missing`` or ``case_number``; ``purpose`` names the stated purpose, if any.
    """

    code = "PURPOSE_REQUIRED"

    def __init__(self, *, part: str, operation: str = "", purpose: str = "") -> None:
        self.part = part
        self.purpose = purpose
        super().__init__(f"purpose.{part}", operation=operation, purpose=purpose, **purpose_names(purpose))


class Unauthenticated(HubError):
    """Raised when a request carries no bearer token or one the hub cannot accept.

    The message states only ``expired`` or ``invalid``. The failing check (signature,
    audience, issuer, claim shape) goes to the log line, never to the client.
    """

    code = "UNAUTHENTICATED"
    default_key = "auth.invalid"

    def __init__(self, *, expired: bool = False) -> None:
        self.expired = expired
        super().__init__("auth.expired" if expired else "auth.invalid")


class Forbidden(HubError):
    """Raised when no role of the caller may run ``operation`` (for ``target`` county, if given).

    ``key`` is ``auth.forbidden`` (operation denied) or ``auth.forbidden_county`` (outside the
    caller's jurisdiction); a stated purpose the caller's roles may not use is ``purpose.role``.
    """

    code = "FORBIDDEN"
    default_key = "auth.forbidden"

    def __init__(self, key: str | None = None, /, *, operation: str = "", **params: Any) -> None:
        self.operation = operation
        agency = str(params.get("agency", ""))
        params.setdefault("agency_zh", AGENCY_NAMES_ZH.get(agency, agency))
        params.setdefault("roles_zh", role_names_zh(str(params.get("roles", ""))))
        params.setdefault("operation_zh", OPERATION_NAMES_ZH.get(operation, operation))
        if "purpose" in params:
            params = {**purpose_names(str(params["purpose"])), **params}
        super().__init__(key, operation=operation, **params)

    @property
    def reason(self) -> str:
        """The stable name of the rule that refused: ``extensions.reason`` and the audit log's refusal."""
        return FORBIDDEN_REASONS.get(self.key, "OTHER")


# Stable values naming the rule that rejected a FORBIDDEN request, for front ends to branch on.
FORBIDDEN_REASONS = {
    "auth.forbidden": "OPERATION",
    "auth.forbidden_county": "COUNTY",
    "purpose.role": "PURPOSE_ROLE",
    "purpose.case_court": "CASE_COURT",
    "purpose.case_prefecture": "CASE_COURT",
}


class RateLimited(HubError):
    """Raised when a caller passed their quota of ``operation`` in the current ``window``.

    ``window`` is ``minute`` or ``day``; ``retry_after_s`` is whole seconds until it resets.
    """

    code = "RATE_LIMITED"
    default_key = "rate.limited"

    def __init__(self, *, operation: str, window: str, limit: int, retry_after_s: int) -> None:
        self.operation = operation
        self.window = window
        self.retry_after_s = retry_after_s
        window_zh = {"minute": "分钟", "day": "天"}.get(window, window)
        super().__init__(
            None,
            operation=operation,
            window=window,
            window_zh=window_zh,
            limit=limit,
            retry_after_s=retry_after_s,
        )


class InvalidIdentityArgument(InvalidArgument):
    """Raised when a person search or a match decision names an unusable value.

    ``argument`` is ``name``, ``limit`` or ``recordA``.
    """


class IdentityConflict(InvalidInput):
    """Raised when an operator confirms two records whose people hold different valid ID numbers."""

    code = "IDENTITY_CONFLICT"
    default_key = "identity.distinct_id_numbers"

    def __init__(self, *, first: str, second: str) -> None:
        super().__init__(None, first=first, second=second)


class IdentityNotFound(HubError):
    """Raised when no index record or hub person has the id a caller gave (``value``)."""

    code = "NOT_FOUND"

    def __init__(self, key: str, /, *, value: str) -> None:
        self.value = value
        super().__init__(key, value=value)


class UpstreamError(HubError):
    """Raised when an agency's legacy system fails to answer usefully."""

    code: ClassVar[str] = "UPSTREAM_ERROR"
    default_key: ClassVar[str] = "upstream.unavailable"

    def __init__(self, *, agency: str, operation: str, **params: Any) -> None:
        self.agency = agency
        self.operation = operation
        agency_zh = AGENCY_NAMES_ZH.get(agency, agency)
        super().__init__(None, agency=agency, agency_zh=agency_zh, operation=operation, **params)

    def bilingual(self) -> str:
        """Name the failed operation too: officers never see it, operators need it."""
        return f"{super().bilingual()} [{self.operation}]"


class UpstreamTimeout(UpstreamError):
    """Raised when an agency does not answer within its configured timeout (``timeout_s``)."""

    code = "UPSTREAM_TIMEOUT"
    default_key = "upstream.timeout"


class UpstreamUnavailable(UpstreamError):
    """Raised when an agency cannot be reached: connection refused, reset or unresolvable."""

    code = "UPSTREAM_UNAVAILABLE"
    default_key = "upstream.unavailable"


class UpstreamCircuitOpen(UpstreamUnavailable):
    """Raised without calling an agency whose circuit breaker is open (``retry_after_s``).

    The code stays ``UPSTREAM_UNAVAILABLE``: to a client the agency is out of reach either way.
    """

    default_key = "upstream.circuit_open"


class UpstreamSaturated(UpstreamUnavailable):
    """Raised when ``limit`` calls to an agency are in progress and no slot frees up in time."""

    default_key = "upstream.saturated"


class AdapterNotReady(UpstreamUnavailable):
    """Raised when an adapter is called before its start-up (loading a WSDL) has succeeded."""

    default_key = "upstream.not_ready"


class UpstreamOperationMissing(UpstreamError):
    """Raised when the service at an agency's URL has no ``operation``: the URL names another service."""

    default_key = "upstream.no_operation"


class AdapterFailure(UpstreamError):
    """Raised in place of an unexpected exception from an adapter: a bug, logged with its traceback."""

    default_key = "upstream.adapter_failed"


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
