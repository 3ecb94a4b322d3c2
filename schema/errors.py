"""Error handling of the GraphQL layer: each error is logged once, localised, and masked when unexpected.

``HubSchema.process_errors`` is the one place that logs GraphQL errors; strawberry calls
it with the original exceptions before extensions rewrite them. ``HubErrors`` then turns
each error into what a client may see:

- a ``HubError`` keeps its message, rendered in the request's language (zh-CN unless
  the client asked for English), with ``extensions.code`` and the error's attributes
  (``part`` of an invalid ID number, ``agency`` of an upstream failure);
- any other exception becomes ``INTERNAL_SERVER_ERROR`` with no detail;
- parse and validation errors from graphql-core get ``GRAPHQL_PARSE_FAILED`` or
  ``GRAPHQL_VALIDATION_FAILED``. An English client reads graphql-core's own text. The
  zh-CN text comes from ``VALIDATION_MESSAGES_ZH`` and the helpers below it, which
  recognise graphql-core's messages by pattern and keep the names they quote. A message
  no pattern matches gets a generic zh-CN text.

Resolvers that still return data report failures through ``info.context.partial_errors``;
``HubErrors`` adds one error per entry, so data and errors arrive together.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import strawberry
from graphql import (
    ArgumentNode,
    GraphQLError,
    GraphQLSyntaxError,
    ListValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    ValueNode,
    VariableDefinitionNode,
    Visitor,
    parse,
    visit,
)
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from adapters.errors import (
    MAX_QUOTED_CHARS,
    Forbidden,
    HubError,
    InvalidIdNumber,
    PurposeRequired,
    RateLimited,
    UpstreamError,
)
from schema.context import PartialError

if TYPE_CHECKING:
    from schema.direct import DirectExecution

logger = logging.getLogger(__name__)

INTERNAL_CODE = "INTERNAL_SERVER_ERROR"
PARSE_CODE = "GRAPHQL_PARSE_FAILED"
VALIDATION_CODE = "GRAPHQL_VALIDATION_FAILED"


class HubSchema(strawberry.Schema):
    # Set by ``schema.build.build_schema`` when the usual request may skip strawberry's hooks.
    direct: DirectExecution | None = None

    async def execute(  # noqa: PLR0917 - strawberry's signature
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        if allowed_operation_types is not None:
            allowed_operation_types = tuple(
                allowed_operation_types
            )  # read here, then perhaps again by strawberry
        if self.direct is not None and root_value is None and not operation_extensions:
            result = await self.direct.execute(
                query, variable_values, context_value, operation_name, allowed_operation_types
            )
            if result is not None:
                return result
        result = await super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed_operation_types,
            operation_extensions,
        )
        if result.errors and any(not (error.extensions or {}).get("code") for error in result.errors):
            # An exception raised by graphql-core's execute itself skips HubErrors' hook, which
            # gives every error a code: localise and mask such errors here.
            language = _language(context_value)
            hide = self.config.disable_field_suggestions  # set in production, as ProductionHubErrors is
            result.errors = [
                error if (error.extensions or {}).get("code") else client_error(error, language, hide)
                for error in result.errors
            ]
        return result

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            log_error(error)


def log_error(error: GraphQLError) -> None:
    """Log one GraphQL error: a HubError by code without traceback, anything else in full.

    Messages are not logged for HubErrors because they quote the input (an ID number).
    """
    original = error.original_error
    path = ".".join(str(key) for key in error.path or ())
    if original is None or isinstance(original, GraphQLError):
        logger.info("graphql request error at %s: %s", path or "-", without_values(error.message))
    elif isinstance(original, HubError):
        level = logging.WARNING if isinstance(original, UpstreamError) else logging.INFO
        details = " ".join(f"{key}={value}" for key, value in _attributes(original).items())
        logger.log(level, "graphql error at %s: code=%s %s", path, original.code, details)
    else:
        logger.error("unexpected error at %s", path, exc_info=original)


class HubErrors(SchemaExtension):
    """Add partial errors, localise hub errors and mask everything unexpected."""

    hide_suggestions = False

    def on_execute(self) -> Iterator[None]:
        yield

        context = self.execution_context
        errors = partial_graphql_errors(context.context)
        if not errors:
            return
        context.schema.process_errors(errors, context)
        result = context.result
        if result is not None:
            result.errors = [*(result.errors or []), *errors]

    def on_operation(self) -> Iterator[None]:
        yield

        result = self.execution_context.result
        if result is None or not result.errors:
            return
        result.errors = client_errors(result.errors, self.execution_context.context, self.hide_suggestions)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        # Subscription events skip on_operation: each one is localised and masked here.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = client_errors(errors, self.execution_context.context, self.hide_suggestions)
        yield


class ProductionHubErrors(HubErrors):
    """``HubErrors`` that also drops graphql-core's "Did you mean" hints, which reveal the schema."""

    hide_suggestions = True


def error_code(error: GraphQLError) -> str:
    """Return the ``extensions.code`` that ``client_error`` gives ``error``."""
    original = error.original_error
    if isinstance(original, HubError):
        return original.code
    if original is not None and not isinstance(original, GraphQLError):
        return INTERNAL_CODE
    if error.extensions and isinstance(error.extensions.get("code"), str):
        return str(error.extensions["code"])
    return PARSE_CODE if isinstance(error, GraphQLSyntaxError) else VALIDATION_CODE


def partial_graphql_errors(context: object) -> list[GraphQLError]:
    """Return one GraphQL error for each entry a resolver added to the context's ``partial_errors``."""
    return [
        GraphQLError(
            item.error.render("en"),
            nodes=list(item.nodes) or None,
            path=list(item.path),
            original_error=item.error,
        )
        for item in _partial_errors(context)
    ]


def client_errors(errors: list[GraphQLError], context: object, hide_suggestions: bool) -> list[GraphQLError]:
    """Return ``errors`` as the client of ``context`` may see them (``client_error``)."""
    language = _language(context)
    return [client_error(error, language, hide_suggestions) for error in errors]


def client_error(error: GraphQLError, language: str, hide_suggestions: bool = False) -> GraphQLError:
    """Return the error as a client may see it, in ``language`` (``zh`` or ``en``)."""
    original = error.original_error
    if isinstance(original, HubError):
        extensions = {"code": original.code, **_attributes(original)}
        return _rebuilt(error, original.render(language), extensions)
    if original is not None and not isinstance(original, GraphQLError):
        return _rebuilt(error, HubError().render(language), {"code": INTERNAL_CODE})
    if error.extensions and "code" in error.extensions:
        return error
    if language == "en":
        message = without_suggestions(error.message) if hide_suggestions else error.message
    else:
        message = graphql_message_zh(error, hide_suggestions)
    return _rebuilt(error, message, {**(error.extensions or {}), "code": error_code(error)})


# The input values graphql-core quotes in a message: a string literal, the rest of the
# message after "value: " or "found ", or an enum value in "Value '...'".
_QUOTED_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_VALUE_TAIL = re.compile(r"(value: |found ).*$", re.DOTALL)
_ENUM_VALUE = re.compile(r"^Value '[^']*'")


def without_values(message: str) -> str:
    """Replace the input values a graphql-core message quotes with '…', for the log.

    A value may be a person's name, which the log formatter cannot recognise and mask.
    Type, field, argument and variable names stay: they are the API's own.
    """
    redacted = _QUOTED_STRING.sub('"…"', message)
    redacted = _ENUM_VALUE.sub("Value '…'", redacted)
    return _VALUE_TAIL.sub(r"\1…", redacted)


def without_suggestions(message: str) -> str:
    """Cut graphql-core's hint ("Did you mean 'x'?") that follows the diagnosis in a message."""
    cut = message.find(" Did you mean")
    return message if cut < 0 else message[:cut]


# zh-CN texts of graphql-core's parse and validation errors.
#
# The English messages are those of graphql-core 3.3 and strawberry 0.341. Each pattern
# matches a message after its "Did you mean" hint is cut, and names the parts the zh-CN
# template quotes. Field, argument, type and variable names stay as written, because they
# are API names. A template may use these fields derived from the named groups:
# ``owner_zh`` (from ``owner``), ``operation_zh`` (from ``operation``), ``at_zh`` (from
# ``path``) and ``problem_zh`` (from ``inner``). ``_zh_params`` derives them.


@dataclass(frozen=True)
class Translation:
    """A graphql-core message pattern and its zh-CN template.

    ``suggests`` marks messages whose "Did you mean" hint development mode repeats in zh-CN.
    """

    pattern: re.Pattern[str]
    zh: str
    suggests: bool = False


def _rule(pattern: str, zh: str, *, suggests: bool = False) -> Translation:
    return Translation(re.compile(pattern, re.DOTALL), zh, suggests)


def _quoted(group: str) -> str:
    """Match a name graphql-core quotes as 'name' and capture it as ``group``."""
    return f"'(?P<{group}>[^']*)'"


# The problem with one input value. These messages stand alone for a literal in the query
# (ValuesOfCorrectTypeRule) and follow "Variable '$x' has invalid value: " for a variable.
VALUE_PROBLEMS_ZH: tuple[Translation, ...] = (
    _rule(
        r"^(?P<type>String|ID) cannot represent a non[- ]string(?: and non-integer)? value: (?P<value>.*)$",
        "{value} 不是字符串，{type} 类型的值要用英文双引号括起来。",
    ),
    _rule(
        r"^Int cannot represent non-integer value: (?P<value>.*)$",
        "{value} 不是整数，Int 类型的值应写成不带引号的整数。",
    ),
    _rule(
        r"^Int cannot represent non 32-bit signed integer value: (?P<value>.*)$",
        "{value} 超出了 Int 类型的范围（-2147483648 到 2147483647）。",
    ),
    _rule(
        r"^Float cannot represent non numeric value: (?P<value>.*)$",
        "{value} 不是数字，Float 类型的值应写成不带引号的数字。",
    ),
    _rule(
        r"^Boolean cannot represent a non boolean value: (?P<value>.*)$",
        "{value} 不是布尔值，Boolean 类型的值只能是不带引号的 true 或 false。",
    ),
    _rule(
        r"^Enum '(?P<type>[^']+)' cannot represent non-enum value: (?P<value>.*?)\.?$",
        "{value} 不是 {type} 的枚举值。枚举值直接书写，不加引号。",
        suggests=True,
    ),
    _rule(
        r"^Value '(?P<value>[^']*)' does not exist in '(?P<type>[^']+)' enum\.$",
        "枚举 {type} 中没有 {value} 这个值，请查阅接口文档中 {type} 的可选值。",
        suggests=True,
    ),
    _rule(
        r"^Value cannot represent an? (?P<type>\w+): (?P<value>\"[^\"]*\"|[^\s.]+).*$",
        "{value} 不是有效的 {type} 值{format_zh}。",
    ),
    _rule(
        r"^Expected a value of non-null type '(?P<type>[^']+)' to be provided\.$",
        "没有提供值，这里必须提供 {type} 类型的值。",
    ),
    _rule(
        r"^Expected value of non-null type '(?P<type>[^']+)' not to be None\.$",
        "值不能为 null，这里必须提供 {type} 类型的值。",
    ),
    _rule(
        r"^Expected value of type '(?P<type>[^']+)' to be an object, found: (?P<value>.*)\.$",
        "{value} 不是对象，{type} 类型的值要写成用花括号括起来的对象。",
    ),
    _rule(
        r"^Expected value of type '(?P<type>[^']+)' to include required field '(?P<field>[^']+)'.*$",
        "{type} 类型的对象缺少必填字段 {field}，请补上该字段。",
    ),
    _rule(
        r"^Expected value of type '(?P<type>[^']+)' not to include unknown field '(?P<field>[^']+)'.*$",
        "{type} 类型中没有字段 {field}，请核对字段名的拼写和大小写，或删除该字段。",
        suggests=True,
    ),
    _rule(
        r"^Expected value of type '(?P<type>[^']+)', but encountered error .*; found: (?P<value>.*)\.$",
        "{value} 不是有效的 {type} 值{format_zh}。",
    ),
    _rule(
        r"^Expected value of type '(?P<type>[^']+)', found: (?P<value>.*)\.$",
        "{value} 不是有效的 {type} 值{format_zh}。",
    ),
)

VALIDATION_MESSAGES_ZH: tuple[Translation, ...] = (
    _rule(
        rf"^Cannot query field {_quoted('field')} on type {_quoted('type')}\.$",
        "类型 {type} 上没有字段 {field}。请核对字段名的拼写和大小写，或查阅接口文档中 {type} 的字段。",
        suggests=True,
    ),
    _rule(
        rf"^Unknown argument {_quoted('argument')} on field {_quoted('field')}\.$",
        "字段 {field} 没有参数 {argument}。请核对参数名的拼写和大小写，或删除该参数。",
        suggests=True,
    ),
    _rule(
        rf"^Unknown argument {_quoted('argument')} on directive '@(?P<directive>[^']+)'\.$",
        "指令 @{directive} 没有参数 {argument}，请核对参数名或删除该参数。",
        suggests=True,
    ),
    _rule(
        r"^Argument '(?P<owner>[^'(]+)\((?P<argument>[^':]+):\)' of type '(?P<type>[^']+)' is required,"
        r" but it was not provided\.$",
        "{owner_zh} 缺少必填参数 {argument}（类型 {type}），请补上该参数。",
    ),
    _rule(
        r"^Variable '\$(?P<variable>[^']+)' of type '(?P<variable_type>[^']+)' used in position"
        r" expecting type '(?P<type>[^']+)'\.$",
        "变量 ${variable} 声明为 {variable_type} 类型，但用在了需要 {type} 类型的位置。"
        "请把变量声明改为 {type}。",
    ),
    _rule(
        r"^Variable '\$(?P<variable>[^']+)' has invalid (?P<default>default )?value"
        r"(?: at (?P<path>[^:]+))?: (?P<inner>.*)$",
        "变量 ${variable}{at_zh} 的值无效：{problem_zh}请检查请求中 variables 里 {variable} 的值。",
    ),
    _rule(
        r"^Variable '\$(?P<variable>[^']+)' is not defined(?: by operation '[^']*')?\.$",
        "变量 ${variable} 没有声明。请在操作的变量列表中声明它，例如 query(${variable}: String)。",
    ),
    _rule(
        r"^Variable '\$(?P<variable>[^']+)' is never used(?: in (?:operation|fragment) '[^']*')?\.$",
        "变量 ${variable} 已声明但没有使用，请删除该声明，或在查询中使用它。",
    ),
    _rule(
        r"^Variable '\$(?P<variable>[^']+)' cannot be non-input type '(?P<type>[^']+)'\.$",
        "变量 ${variable} 不能声明为 {type} 类型，变量只能是标量、枚举或输入对象类型。",
    ),
    _rule(
        r"^There can be only one variable named '\$(?P<variable>[^']+)'\.$",
        "变量 ${variable} 重复声明，请只保留一个。",
    ),
    _rule(
        rf"^Unknown type {_quoted('type')}\.$",
        "类型 {type} 不存在，请核对类型名的拼写和大小写。",
        suggests=True,
    ),
    _rule(
        rf"^Field {_quoted('field')} of type {_quoted('type')}"
        r" must have a selection of subfields\.$",
        "字段 {field} 的类型是 {type}，须在花括号中选择至少一个子字段，例如 {field} {{ ... }}。",
    ),
    _rule(
        rf"^Field {_quoted('field')} must not have a selection since type {_quoted('type')}"
        r" has no subfields\.$",
        "字段 {field} 的类型 {type} 没有子字段，请删除它后面的花括号及其中内容。",
    ),
    _rule(
        rf"^There can be only one argument named {_quoted('argument')}\.$",
        "参数 {argument} 重复出现，请只保留一个。",
    ),
    _rule(
        rf"^There can be only one input field named {_quoted('field')}\.$",
        "输入字段 {field} 重复出现，请只保留一个。",
    ),
    _rule(
        rf"^Fields {_quoted('field')} conflict because .*$",
        "响应中的 {field} 同时对应了不同的字段或参数，无法合并。请给它们使用不同的别名。",
    ),
    _rule(
        rf"^Unknown fragment {_quoted('fragment')}\.$",
        "片段 {fragment} 没有定义，请定义它或删除对它的引用。",
    ),
    _rule(
        rf"^Fragment {_quoted('fragment')} is never used\.$",
        "片段 {fragment} 已定义但没有使用，请删除它，或用 ...{fragment} 引用它。",
    ),
    _rule(
        rf"^There can be only one fragment named {_quoted('fragment')}\.$",
        "片段名 {fragment} 重复，请为每个片段使用不同的名字。",
    ),
    _rule(
        rf"^Cannot spread fragment {_quoted('fragment')} within itself.*$",
        "片段 {fragment} 直接或间接引用了自身，请去掉循环引用。",
    ),
    _rule(
        r"^Unknown directive '@(?P<directive>[^']+)'\.$",
        "指令 @{directive} 不存在，请核对指令名或删除它。",
    ),
    _rule(
        r"^Directive '@(?P<directive>[^']+)' may not be used on (?P<location>\w+)\.$",
        "指令 @{directive} 不能用在 {location} 位置，请删除它。",
    ),
    _rule(
        r"^The directive '@(?P<directive>[^']+)' can only be used once at this location\.$",
        "指令 @{directive} 在同一位置只能使用一次，请删除重复的指令。",
    ),
    _rule(
        rf"^There can be only one operation named {_quoted('name')}\.$",
        "操作名 {name} 重复，请为每个操作使用不同的名字。",
    ),
    _rule(
        r"^This anonymous operation must be the only defined operation\.$",
        "请求中有多个操作时，每个操作都必须命名。匿名操作只能单独发送。",
    ),
    _rule(
        r"^(?:Anonymous Subscription|Subscription '[^']*') must select only one top level field\.$",
        "订阅只能选择一个顶层字段，请把多个订阅分开发送。",
    ),
    _rule(
        r"^(?:Anonymous Subscription|Subscription '[^']*')"
        r" must not select an introspection top level field\.$",
        "订阅的顶层字段不能是内省字段（以 __ 开头），请改为订阅接口文档中的字段。",
    ),
    # The depth, alias and introspection rules of DocumentLimits (schema/build.py).
    _rule(
        r"^'(?P<operation>[^']*)' exceeds maximum operation depth of (?P<limit>\d+)$",
        "{operation_zh}的嵌套层级超过了上限 {limit} 层。请减少嵌套，或拆成几次较浅的查询。",
    ),
    _rule(
        r"^(?P<count>\d+) aliases found\. Allowed: (?P<limit>\d+)$",
        "查询中使用了 {count} 个别名，超过了上限 {limit} 个。请减少别名，或拆成几次查询。",
    ),
    _rule(
        r"^Fragment spreads are nested (?P<count>\d+) deep, more than (?P<limit>\d+)\.$",
        "片段嵌套引用了 {count} 层，超过了上限 {limit} 层。请把片段展开，或减少片段之间的嵌套。",
    ),
    _rule(
        r"^GraphQL introspection has been disabled, but the requested query contained the field"
        rf" {_quoted('field')}\.$",
        "本服务已关闭 GraphQL 内省（introspection），查询中不能使用字段 {field}。"
        "可用的类型和字段请查阅接口文档。",
    ),
)

# graphql-core's syntax error descriptions ("Syntax Error: <description>").
SYNTAX_LIMIT_ZH = _rule(
    r"^(?:Document|Source) contains more than (?P<limit>\d+) (?P<unit>tokens|comments|code points)\.",
    "查询语句过长：超过了 {limit} 个{unit_zh}的上限，枢纽已停止解析。"
    "请删去不需要的字段和别名，或拆成几次查询。",
)
SYNTAX_DETAILS_ZH: tuple[Translation, ...] = (
    _rule(r"^Expected (?P<expected>.+), found (?P<found>.+)\.$", "此处应为{expected}，实际是{found}。"),
    _rule(r"^Unexpected (?P<found><EOF>)\.$", "查询语句不完整，在{found}处提前结束。"),
    _rule(r"^Unexpected character: (?P<found>.+)\.$", "无法识别字符{found}。"),
    _rule(
        r"^Unexpected variable '(?P<variable>\$[^']+)' in constant value\.$",
        "此处只能写常量，不能用变量{variable}。",
    ),
    _rule(
        r"^Unexpected (?P<found>'[^']*'|(?:Name|Int|Float|String|BlockString) '.*')\.$",
        "此处不应出现{found}。",
    ),
    _rule(r"^Unterminated string\.$", "字符串缺少结尾的双引号。"),
    _rule(r"^Invalid character within String: (?P<found>.+)\.$", "字符串中有不允许的字符{found}。"),
    _rule(
        r"^Invalid (?:Unicode|character) escape sequence: (?P<found>.+)\.$",
        "字符串中的转义序列无效：{found}。",
    ),
    _rule(r"^Invalid number.*$", "数字的写法无效。"),
)
SYNTAX_ZH = (
    "查询语句第 {line} 行第 {column} 列有语法错误（Syntax Error）：{detail}"
    "请检查括号和引号是否成对、参数是否写成“名称: 值”的形式。"
)
TOKEN_KINDS_ZH = {
    "<EOF>": "查询结尾",
    "Name": "名称",
    "Int": "整数",
    "Float": "浮点数",
    "String": "字符串",
    "BlockString": "块字符串",
}
SYNTAX_UNITS_ZH = {"tokens": "词法单元（token）", "comments": "注释", "code points": "字符"}
VALUE_OWNERS_ZH = {"argument": "参数", "field": "输入字段", "variable": "变量"}
# How to write a value of a scalar whose parser rejected it; other types get a generic hint.
SCALAR_FORMATS_ZH = {
    "Date": "，日期请写成 ISO 8601 格式，例如 2026-01-31",
    "DateTime": "，时间请写成 ISO 8601 格式，例如 2026-01-31T08:00:00+08:00",
    "Time": "，时刻请写成 ISO 8601 格式，例如 08:00:00",
}
GENERIC_ZH = (
    "GraphQL 请求没有通过校验{names_zh}。请对照接口文档检查字段、参数和变量。"
    "在请求头中加上 Accept-Language: en 可以看到 GraphQL 引擎的英文原文。"
)
GRAPHQL_NAME = re.compile(r"'(\$?@?[_A-Za-z][_0-9A-Za-z.]*(?:\([_A-Za-z][_0-9A-Za-z]*:\))?)'")


def graphql_message_zh(error: GraphQLError, hide_suggestions: bool = False) -> str:
    """Return the zh-CN text of a graphql-core parse or validation error.

    Development mode adds graphql-core's suggested names. Production, with
    ``hide_suggestions``, never shows them.
    """
    if isinstance(error, GraphQLSyntaxError):
        return _syntax_message_zh(error)
    message = without_suggestions(error.message)
    suggestions = "" if hide_suggestions else _suggestions_zh(error.message)
    for table in (VALIDATION_MESSAGES_ZH, VALUE_PROBLEMS_ZH):
        for translation in table:
            match = translation.pattern.match(message)
            if match is None:
                continue
            text = translation.zh.format(**_zh_params(match.groupdict(), suggestions))
            if table is VALUE_PROBLEMS_ZH:
                text = _value_owner_zh(error) + text
            return text + (suggestions if translation.suggests else "")
    names = list(dict.fromkeys(GRAPHQL_NAME.findall(message)))[:3]
    return GENERIC_ZH.format(names_zh=f"（涉及 {'、'.join(names)}）" if names else "")


def _zh_params(params: dict[str, str | None], suggestions: str) -> dict[str, str]:
    """Shorten quoted values and add the derived fields the templates use."""
    fields = {name: _shortened(value or "") for name, value in params.items()}
    type_name = fields.get("type", "")
    fields["format_zh"] = SCALAR_FORMATS_ZH.get(type_name, f"，请按 {type_name} 类型的格式填写")
    owner = fields.get("owner", "")
    fields["owner_zh"] = f"指令 {owner}" if owner.startswith("@") else f"字段 {owner}"
    operation = fields.get("operation", "")
    fields["operation_zh"] = "查询" if operation in ("", "anonymous") else f"操作 {operation} "
    path = fields.get("path", "")
    fields["at_zh"] = f" 中 {path.lstrip('.')}" if path else ""
    inner = params.get("inner")
    if inner is not None:
        fields["problem_zh"] = _value_problem_zh(inner, suggestions)
    return fields


def _value_problem_zh(message: str, suggestions: str) -> str:
    """Return the zh-CN text of the problem a variable's value has, or a generic one."""
    text = without_suggestions(message)
    for translation in VALUE_PROBLEMS_ZH:
        match = translation.pattern.match(text)
        if match is not None:
            problem = translation.zh.format(**_zh_params(match.groupdict(), suggestions))
            return problem + (suggestions if translation.suggests else "")
    return "值与声明的类型不符。"


def _value_owner_zh(error: GraphQLError) -> str:
    """Name the argument or input field whose literal value the error reports, as a zh-CN prefix.

    graphql-core points such an error at the value alone, so the query is parsed again
    to find the argument or input field that contains the value.
    """
    node = error.nodes[0] if error.nodes else None
    if node is None or node.loc is None or error.source is None:
        return "输入值有误："
    try:
        document = parse(error.source)
    except GraphQLError:
        return "输入值有误："
    owners = _ValueOwners()
    visit(document, owners)
    owner = owners.found.get(node.loc.start)
    return f"{VALUE_OWNERS_ZH[owner[0]]} {owner[1]} 的值有误：" if owner else "输入值有误："


class _ValueOwners(Visitor):
    """Map the start offset of each value node to the argument, input field or variable containing it.

    graphql-core reports a bad list item at the item, and an unknown or missing input field
    at the field or the object. Those map to the nearest named holder. Fields are visited
    after the argument that contains them, so an input field's own name wins for its value.
    """

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[int, tuple[str, str]] = {}

    def enter_argument(self, node: ArgumentNode, *_: object) -> None:
        self._claim(node.value, ("argument", node.name.value))

    def enter_object_field(self, node: ObjectFieldNode, *_: object) -> None:
        self._claim(node.value, ("field", node.name.value))

    def enter_variable_definition(self, node: VariableDefinitionNode, *_: object) -> None:
        if node.default_value is not None:
            self._claim(node.default_value, ("variable", f"${node.variable.name.value}"))

    def _claim(self, value: ValueNode, owner: tuple[str, str]) -> None:
        if value.loc is not None:
            self.found[value.loc.start] = owner
        if isinstance(value, ListValueNode):
            for item in value.values:
                self._claim(item, owner)
        elif isinstance(value, ObjectValueNode):
            for field in value.fields:
                if field.loc is not None:
                    self.found[field.loc.start] = owner


def _syntax_message_zh(error: GraphQLSyntaxError) -> str:
    limit = SYNTAX_LIMIT_ZH.pattern.match(error.description)
    if limit is not None:
        unit_zh = SYNTAX_UNITS_ZH[limit["unit"]]
        return SYNTAX_LIMIT_ZH.zh.format(limit=limit["limit"], unit_zh=unit_zh)
    detail = ""
    for translation in SYNTAX_DETAILS_ZH:
        match = translation.pattern.match(error.description)
        if match is not None:
            tokens = {name: _token_zh(value or "") for name, value in match.groupdict().items()}
            detail = translation.zh.format(**tokens)
            break
    location = error.locations[0] if error.locations else None
    line, column = (location.line, location.column) if location else ("?", "?")
    return SYNTAX_ZH.format(line=line, column=column, detail=detail)


def _token_zh(description: str) -> str:
    """Translate the kind in a token description such as ``Name 'foo'`` or ``<EOF>``.

    Text that starts with a Latin character gets a leading space to set it off from the
    Chinese text before it. The templates put no space there.
    """
    kind, _, value = description.partition(" ")
    if kind in TOKEN_KINDS_ZH:
        text = f"{TOKEN_KINDS_ZH[kind]} {_shortened(value)}" if value else TOKEN_KINDS_ZH[kind]
    else:
        text = _shortened(description)
    return f" {text}" if text[:1].isascii() else text


def _suggestions_zh(message: str) -> str:
    """Return graphql-core's suggested names ("Did you mean 'x' or 'y'?") as a zh-CN sentence."""
    cut = message.find(" Did you mean")
    if cut < 0:
        return ""
    hint = message[cut:]
    hint = hint[: hint.find("?") + 1] if "?" in hint else hint
    names = re.findall(r"'([^']*)'", hint)
    return f"可能是指：{'、'.join(names)}。" if names else ""


def _shortened(value: str) -> str:
    return value if len(value) <= MAX_QUOTED_CHARS else value[:MAX_QUOTED_CHARS] + "…"


def _rebuilt(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


def _attributes(error: HubError) -> dict[str, str | int]:
    """Public attributes of an error for ``extensions``; values are never ID numbers."""
    if isinstance(error, InvalidIdNumber):
        if error.index is None:
            return {"part": error.part}
        return {"part": error.part, "index": error.index}
    if isinstance(error, UpstreamError):
        # The operation is the adapter's or the legacy service's internal name, and which one
        # failed varies with the failure: it is in the logs and traces, not in the API.
        return {"agency": error.agency}
    if isinstance(error, RateLimited):
        return {"operation": error.operation, "window": error.window, "retryAfterS": str(error.retry_after_s)}
    if isinstance(error, PurposeRequired):
        return {"part": error.part}
    if isinstance(error, Forbidden):
        return {"reason": error.reason}
    return {}


def _partial_errors(context: object) -> list[PartialError]:
    errors = getattr(context, "partial_errors", None)
    return errors if isinstance(errors, list) else []


def _language(context: object) -> str:
    language = getattr(context, "language", "zh")
    return "en" if language == "en" else "zh"
