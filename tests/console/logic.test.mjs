// Unit tests of the console's pure functions, run with Node's own runner (node --test).
// tests/test_console.py runs this file; it needs no npm package.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  answeredAgencies,
  buildNoticesVariables,
  buildPriorRecordsVariables,
  chinaDate,
  chinaDateTime,
  deadlineMarks,
  decodeJwtPayload,
  describeToken,
  format,
  freshnessText,
  generalErrors,
  graphqlOutcome,
  isEmptyResult,
  keysWithPrefix,
  makeTranslator,
  missingFragments,
  normaliseToken,
  readinessRows,
  replaceNotice,
} from "../../hub/console/static/logic.mjs";

const strings = JSON.parse(readFileSync(new URL("../../hub/console/static/strings.json", import.meta.url), "utf8"));
const zh = makeTranslator(strings["zh-CN"]);
const en = makeTranslator(strings.en, strings["zh-CN"]);
const PURPOSES = keysWithPrefix(strings["zh-CN"], "enum.Purpose.");
const NOW = Date.parse("2026-12-05T04:00:00Z"); // 12:00 in China

function base64url(text) {
  return Buffer.from(text, "utf8").toString("base64").replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function jwt(payload) {
  return `${base64url('{"alg":"EdDSA","typ":"JWT"}')}.${base64url(JSON.stringify(payload))}.c2lnbmF0dXJl`;
}

// ---------------------------------------------------------------- strings

test("format fills named parameters and keeps unknown ones", () => {
  assert.equal(format("{n} 秒前", { n: 3 }), "3 秒前");
  assert.equal(format("{a} and {b}", { a: "x" }), "x and {b}");
});

test("translator falls back to the default table, then to the key", () => {
  const t = makeTranslator({ only: "en" }, { only: "zh", shared: "共" });
  assert.equal(t("only"), "en");
  assert.equal(t("shared"), "共");
  assert.equal(t("missing.key"), "missing.key");
});

test("purposes follow the string table's order", () => {
  assert.deepEqual(PURPOSES.slice(0, 3), ["CASE_HANDLING", "PROSECUTION_REVIEW", "TRIAL"]);
});

// ---------------------------------------------------------------- freshness

test("freshness says seconds ago in Chinese and English", () => {
  const fetched = new Date(NOW - 12_400).toISOString();
  assert.equal(freshnessText(fetched, NOW, zh), "12 秒前");
  assert.equal(freshnessText(fetched, NOW, en), "12 s ago");
});

test("freshness moves to minutes, hours and days", () => {
  assert.equal(freshnessText(new Date(NOW - 59_999).toISOString(), NOW, en), "59 s ago");
  assert.equal(freshnessText(new Date(NOW - 60_000).toISOString(), NOW, en), "1 min ago");
  assert.equal(freshnessText(new Date(NOW - 3 * 3600_000).toISOString(), NOW, zh), "3 小时前");
  assert.equal(freshnessText(new Date(NOW - 2 * 86400_000).toISOString(), NOW, zh), "2 天前");
});

test("freshness counts a time ahead of the browser clock as zero", () => {
  assert.equal(freshnessText(new Date(NOW + 1500).toISOString(), NOW, zh), "0 秒前");
});

test("freshness of an unreadable time is unknown", () => {
  assert.equal(freshnessText("not a time", NOW, zh), "未知");
  assert.equal(freshnessText(null, NOW, en), "Unknown");
});

test("hub times with microseconds and an offset parse", () => {
  assert.equal(freshnessText("2026-12-05T03:59:30.894396+00:00", NOW, en), "29 s ago");
  assert.equal(chinaDateTime("2026-12-04T20:56:22.894396+00:00"), "2026-12-05 04:56:22");
});

test("China date turns over at 16:00 UTC", () => {
  assert.equal(chinaDate(Date.parse("2026-12-04T15:59:59Z")), "2026-12-04");
  assert.equal(chinaDate(Date.parse("2026-12-04T16:00:00Z")), "2026-12-05");
});

// ---------------------------------------------------------------- token

test("JWT payload decodes, Chinese name included", () => {
  const token = jwt({ sub: "u1", name: "吉克阿呷", roles: ["judge"], unit: { agency: "court", county: "513400" } });
  const payload = decodeJwtPayload(token);
  assert.equal(payload.name, "吉克阿呷");
  assert.deepEqual(payload.roles, ["judge"]);
});

test("JWT payload of a malformed token is null", () => {
  assert.equal(decodeJwtPayload(""), null);
  assert.equal(decodeJwtPayload("abc"), null);
  assert.equal(decodeJwtPayload("a.b"), null);
  assert.equal(decodeJwtPayload("a.!!!.c"), null);
  assert.equal(decodeJwtPayload(`x.${base64url("[1,2]")}.y`), null);
  assert.equal(decodeJwtPayload(`x.${base64url("not json")}.y`), null);
});

test("token description gives roles, unit and time left", () => {
  const exp = Math.floor(NOW / 1000) + 1800;
  const info = describeToken(jwt({ roles: ["correction_officer"], unit: { agency: "justice_bureau", county: "513431" }, exp }), NOW);
  assert.deepEqual(info.roles, ["correction_officer"]);
  assert.equal(info.agency, "justice_bureau");
  assert.equal(info.county, "513431");
  assert.equal(info.expiresAt, exp * 1000);
  assert.equal(info.expired, false);
  assert.equal(info.secondsLeft, 1800);
});

test("token past its exp is marked expired", () => {
  const info = describeToken(jwt({ roles: ["judge"], exp: Math.floor(NOW / 1000) - 1 }), NOW);
  assert.equal(info.expired, true);
});

test("token without exp or unit is described without them", () => {
  const info = describeToken(jwt({ roles: ["judge", 7] }), NOW);
  assert.deepEqual(info.roles, ["judge"]);
  assert.equal(info.agency, null);
  assert.equal(info.expiresAt, null);
  assert.equal(info.expired, false);
});

test("pasted token loses its Bearer prefix and line breaks", () => {
  assert.equal(normaliseToken("  Bearer abc.def\n.ghi \n"), "abc.def.ghi");
  assert.equal(normaliseToken("bearer   x.y.z"), "x.y.z");
  assert.equal(normaliseToken(undefined), "");
});

// ---------------------------------------------------------------- deadlines

const NOTICE = {
  id: "7",
  status: "DELIVERED",
  noticeDue: "2026-11-07",
  documentsDue: "2026-11-12",
  reportingDue: "2026-11-12",
  receiptDue: "2026-11-10",
  overdueItems: ["REPORTING"],
  deliveredAt: "2026-11-05T02:00:00+00:00",
  receiptAt: null,
  reportedOn: null,
};

function marks(notice, today) {
  return Object.fromEntries(deadlineMarks(notice, today).map((mark) => [mark.field, mark]));
}

test("deadlines the hub lists as overdue are marked overdue", () => {
  const result = marks(NOTICE, "2026-12-05");
  assert.equal(result.reportingDue.state, "overdue");
  assert.equal(result.reportingDue.passed, true);
});

test("deadline met is done, and one not yet judged is open", () => {
  const result = marks(NOTICE, "2026-12-05");
  assert.equal(result.noticeDue.state, "done");
  assert.equal(result.receiptDue.state, "open");
});

test("documents deadline is shown as not tracked", () => {
  const before = marks(NOTICE, "2026-11-10");
  const after = marks(NOTICE, "2026-11-13");
  assert.equal(before.documentsDue.state, "untracked");
  assert.equal(before.documentsDue.passed, false);
  assert.equal(after.documentsDue.passed, true);
});

test("deadline on today has not passed", () => {
  assert.equal(marks(NOTICE, "2026-11-12").reportingDue.passed, false);
});

test("missing deadline is none, and a receipt signed is done", () => {
  const notice = { ...NOTICE, receiptDue: null, overdueItems: [], receiptAt: "2026-11-06T01:00:00+00:00", deliveredAt: null };
  const result = marks(notice, "2026-12-05");
  assert.equal(result.receiptDue.state, "none");
  assert.equal(result.noticeDue.state, "done");
  assert.equal(result.reportingDue.state, "open");
});

test("hub's overdue mark wins over a recorded act", () => {
  const late = { ...NOTICE, reportedOn: "2026-11-20" };
  assert.equal(marks(late, "2026-12-05").reportingDue.state, "overdue");
});

// ---------------------------------------------------------------- variables

test("prior-records variables trim values and send empty ones as null", () => {
  const built = buildPriorRecordsVariables(
    { idNumber: " 513431199009157451 ", purpose: "TRIAL", caseNumber: " （2026）川3431刑初88号 ", legalBasis: "  " },
    PURPOSES,
  );
  assert.deepEqual(built, {
    variables: {
      idNumber: "513431199009157451",
      purpose: "TRIAL",
      caseNumber: "（2026）川3431刑初88号",
      legalBasis: null,
    },
  });
});

test("prior-records variables keep the ID number as typed for the hub to check", () => {
  const built = buildPriorRecordsVariables({ idNumber: "51343119900915745x", purpose: "CASE_HANDLING" }, PURPOSES);
  assert.equal(built.variables.idNumber, "51343119900915745x");
});

test("prior-records form without ID number or purpose is refused", () => {
  assert.deepEqual(buildPriorRecordsVariables({ idNumber: "", purpose: "TRIAL" }, PURPOSES), {
    error: "prior.error.idNumber",
  });
  assert.deepEqual(buildPriorRecordsVariables({ idNumber: "513431199009157451", purpose: "" }, PURPOSES), {
    error: "prior.error.purpose",
  });
  assert.deepEqual(buildPriorRecordsVariables({ idNumber: "513431199009157451", purpose: "GOSSIP" }, PURPOSES), {
    error: "prior.error.purpose",
  });
});

test("notice variables without filters send a null filter", () => {
  assert.deepEqual(buildNoticesVariables({ status: "", countyCode: "", overdue: "" }), {
    filter: null,
    first: 20,
    after: null,
  });
});

test("notice variables carry every filter and the cursor", () => {
  const form = {
    status: "DELIVERED",
    countyCode: "513431",
    overdue: "false",
    effectiveFrom: "2026-11-01",
    effectiveTo: "2026-11-30",
  };
  assert.deepEqual(buildNoticesVariables(form, "Y3Vyc29y", 10), {
    filter: {
      status: "DELIVERED",
      countyCode: "513431",
      overdue: false,
      effectiveFrom: "2026-11-01",
      effectiveTo: "2026-11-30",
    },
    first: 10,
    after: "Y3Vyc29y",
  });
  assert.equal(buildNoticesVariables({ overdue: "true" }).filter.overdue, true);
});

// ---------------------------------------------------------------- answers

const SOURCES = [
  { agency: "POLICE", status: "OK", error: null },
  { agency: "COURT", status: "UNAVAILABLE", error: { code: "UPSTREAM_UNAVAILABLE", message: "法院系统无法连接" } },
  { agency: "PRISON", status: "OK", error: null },
];

test("empty answer has no person, records or case information", () => {
  const empty = { person: null, criminalRecords: [], caseInformation: { policeCases: [], custody: [] } };
  assert.equal(isEmptyResult(empty), true);
  assert.equal(isEmptyResult({ ...empty, caseInformation: { policeCases: [{}], custody: [] } }), false);
  assert.equal(isEmptyResult({ ...empty, person: { name: "阿苏拉哈" } }), false);
  assert.equal(isEmptyResult(null), true);
});

test("answered agencies are the ones whose call succeeded", () => {
  assert.deepEqual(answeredAgencies(SOURCES), ["POLICE", "PRISON"]);
  assert.deepEqual(answeredAgencies(undefined), []);
});

test("agency errors already in the sources table are not repeated", () => {
  const errors = [
    { message: "法院系统无法连接", extensions: { code: "UPSTREAM_UNAVAILABLE", agency: "court" } },
    { message: "权限不足", extensions: { code: "FORBIDDEN" } },
    { message: "监狱超时", extensions: { code: "UPSTREAM_TIMEOUT", agency: "prison" } },
  ];
  assert.deepEqual(
    generalErrors(errors, SOURCES).map((error) => error.extensions.code),
    ["FORBIDDEN", "UPSTREAM_TIMEOUT"],
  );
});

test("a GraphQL body passes through, anything else becomes an HTTP error", () => {
  const body = { data: { notices: null }, errors: [{ message: "x", extensions: { code: "FORBIDDEN" } }] };
  assert.deepEqual(graphqlOutcome(200, body, zh), { data: { notices: null }, errors: body.errors });
  const broken = graphqlOutcome(502, null, en);
  assert.equal(broken.data, null);
  assert.equal(broken.errors[0].extensions.code, "HTTP_502");
  assert.match(broken.errors[0].message, /HTTP 502/);
});

test("rejected token message names token panel", () => {
  const body = { data: null, errors: [{ message: "身份凭证已过期，请重新登录。", extensions: { code: "UNAUTHENTICATED" } }] };
  const [error] = graphqlOutcome(401, body, zh).errors;
  assert.equal(error.extensions.code, "UNAUTHENTICATED");
  assert.match(error.message, /访问令牌/);
  assert.doesNotMatch(error.message, /登录/);
  assert.match(graphqlOutcome(401, body, en).errors[0].message, /Access token/);
});

test("readiness rows follow the agency order and mark missing agencies", () => {
  const body = {
    status: "not_ready",
    agencies: {
      court: { ready: false, reason: "WSDL_NOT_LOADED", message: "法院 WSDL 未加载" },
      police: { ready: true, reason: null, message: null },
    },
  };
  assert.deepEqual(readinessRows(body), [
    { agency: "POLICE", ready: true, reason: null, message: null },
    { agency: "COURT", ready: false, reason: "WSDL_NOT_LOADED", message: "法院 WSDL 未加载" },
    { agency: "PRISON", ready: null, reason: null, message: null },
    { agency: "JUSTICE_BUREAU", ready: null, reason: null, message: null },
  ]);
  assert.equal(readinessRows(null).length, 4);
});

test("a changed notice replaces the listed one in place", () => {
  const items = [{ id: "1", status: "DELIVERED" }, { id: "2", status: "DELIVERED" }];
  const replaced = replaceNotice(items, { id: "2", status: "RECEIVED" });
  assert.deepEqual(replaced.map((item) => item.status), ["DELIVERED", "RECEIVED"]);
  assert.equal(items[1].status, "DELIVERED");
});

test("missingFragments names spread fragments the text does not define, once each", () => {
  const text = `query Q { a { ...Shared ...Local ... on A { b } } c { ...Shared } }
fragment Local on A { id }`;

  assert.deepEqual(missingFragments(text), ["Shared"]);
  assert.deepEqual(missingFragments("query { a { ... on A { id } } }"), []);
});
