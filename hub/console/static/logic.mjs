// Pure functions of the web console: no DOM, no network, no storage.
// console.js imports them in the browser; tests/console/*.test.mjs runs them under Node.

export const LANGUAGES = ["zh-CN", "en"];
export const DEFAULT_LANGUAGE = "zh-CN";
export const PAGE_SIZE = 20;

// Every GraphQL operation the console sends, fetched from the same origin.
export const QUERY_FILES = {
  priorRecords: "queries/prior_records.graphql",
  notices: "queries/notices.graphql",
  acknowledgeReceipt: "queries/acknowledge_receipt.graphql",
  recordReporting: "queries/record_reporting.graphql",
};

/** Name the fragments `text` spreads (`...Name`) but does not define, in order of first use. */
export function missingFragments(text) {
  const defined = new Set([...text.matchAll(/\bfragment\s+([A-Za-z_]\w*)\s+on\b/g)].map((m) => m[1]));
  const spread = [...text.matchAll(/\.\.\.\s*([A-Za-z_]\w*)/g)].map((m) => m[1]).filter((name) => name !== "on");
  return [...new Set(spread)].filter((name) => !defined.has(name));
}

// The agencies in the order the hub lists them in /readyz and in the Agency enum.
export const AGENCIES = ["POLICE", "COURT", "PRISON", "JUSTICE_BUREAU"];

const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000; // China Standard Time is UTC+8, without DST.

/** Replace each `{name}` in `template` with `params[name]`; unknown names stay as written. */
export function format(template, params = {}) {
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

/**
 * Build `t(key, params)` over one language's table, falling back to `fallback`, then to
 * the key itself, so a missing string shows up as its key rather than as nothing.
 */
export function makeTranslator(table, fallback = {}) {
  return (key, params) => {
    const template = table[key] ?? fallback[key] ?? key;
    return format(template, params);
  };
}

/** Return the keys of `table` that start with `prefix`, without it, in table order. */
export function keysWithPrefix(table, prefix) {
  return Object.keys(table)
    .filter((key) => key.startsWith(prefix))
    .map((key) => key.slice(prefix.length));
}

/** Strip a pasted `Bearer ` prefix and all white space (a token copied across lines). */
export function normaliseToken(text) {
  return String(text ?? "")
    .trim()
    .replace(/^bearer\s+/i, "")
    .replace(/\s+/g, "");
}

/**
 * Decode a JWT's payload for display only; returns null for anything that is not a
 * three-part token with a JSON object in the middle. The signature is not checked here:
 * the hub verifies every token it receives.
 */
export function decodeJwtPayload(token) {
  const parts = String(token ?? "").split(".");
  if (parts.length !== 3 || !parts[1]) {
    return null;
  }
  try {
    const base64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
    const payload = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    return payload !== null && typeof payload === "object" && !Array.isArray(payload) ? payload : null;
  } catch {
    return null;
  }
}

/**
 * Describe a token for the token panel: roles, unit, expiry (ms since the epoch) and
 * whether it has expired at `nowMs`. Returns null when the payload cannot be read.
 */
export function describeToken(token, nowMs) {
  const payload = decodeJwtPayload(token);
  if (payload === null) {
    return null;
  }
  const roles = Array.isArray(payload.roles) ? payload.roles.filter((role) => typeof role === "string") : [];
  const unit = payload.unit !== null && typeof payload.unit === "object" ? payload.unit : {};
  const expiresAt = Number.isFinite(payload.exp) ? payload.exp * 1000 : null;
  return {
    roles,
    agency: typeof unit.agency === "string" ? unit.agency : null,
    county: typeof unit.county === "string" ? unit.county : null,
    expiresAt,
    expired: expiresAt !== null && expiresAt <= nowMs,
    secondsLeft: expiresAt === null ? null : Math.floor((expiresAt - nowMs) / 1000),
  };
}

/**
 * Say how long ago `fetchedAt` (an ISO 8601 time) was, as "N 秒前" or "N s ago".
 * A time slightly ahead of this browser's clock counts as 0 seconds.
 */
export function freshnessText(fetchedAt, nowMs, t) {
  const fetchedMs = Date.parse(fetchedAt ?? "");
  if (Number.isNaN(fetchedMs)) {
    return t("common.unknown");
  }
  const seconds = Math.max(0, Math.floor((nowMs - fetchedMs) / 1000));
  if (seconds < 60) {
    return t("fresh.seconds", { n: seconds });
  }
  if (seconds < 3600) {
    return t("fresh.minutes", { n: Math.floor(seconds / 60) });
  }
  if (seconds < 86400) {
    return t("fresh.hours", { n: Math.floor(seconds / 3600) });
  }
  return t("fresh.days", { n: Math.floor(seconds / 86400) });
}

/** Return the calendar date in China (YYYY-MM-DD) at `nowMs`, the day the hub's deadlines use. */
export function chinaDate(nowMs) {
  return new Date(nowMs + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

/** Format an ISO 8601 time as `YYYY-MM-DD HH:MM:SS` in China Standard Time. */
export function chinaDateTime(value) {
  const ms = Date.parse(value ?? "");
  if (Number.isNaN(ms)) {
    return "";
  }
  return new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 19).replace("T", " ");
}

// Each deadline a notice shows, with the hub's overdue item that judges it. The hub does
// not judge documentsDue: the documents travel on paper, outside the hub.
const DEADLINES = [
  { field: "noticeDue", item: "NOTICE" },
  { field: "documentsDue", item: null },
  { field: "reportingDue", item: "REPORTING" },
  { field: "receiptDue", item: "RECEIPT" },
];

function deadlineDone(notice, field) {
  if (field === "noticeDue") {
    return Boolean(notice.deliveredAt || notice.receiptAt);
  }
  if (field === "receiptDue") {
    return Boolean(notice.receiptAt);
  }
  if (field === "reportingDue") {
    return Boolean(notice.reportedOn);
  }
  return false;
}

/**
 * Mark each deadline of `notice` on `today` (China date, YYYY-MM-DD) with a state:
 * - `overdue`: the hub lists the deadline in overdueItems;
 * - `done`: the act the deadline waits for is recorded;
 * - `untracked`: documentsDue, which the hub does not judge;
 * - `none`: the notice has no such date;
 * - `open`: any other deadline.
 * `passed` is true when the date lies before `today`.
 */
export function deadlineMarks(notice, today) {
  const items = new Set(notice.overdueItems ?? []);
  return DEADLINES.map(({ field, item }) => {
    const date = notice[field] ?? null;
    let state = "open";
    if (date === null) {
      state = "none";
    } else if (item === null) {
      state = "untracked";
    } else if (items.has(item)) {
      state = "overdue";
    } else if (deadlineDone(notice, field)) {
      state = "done";
    }
    return { field, date, state, passed: date !== null && date < today };
  });
}

function optionalText(value) {
  const text = String(value ?? "").trim();
  return text === "" ? null : text;
}

/**
 * Build the variables of prior_records.graphql from the form's values.
 * Returns `{ variables }`, or `{ error }` with a string key when a required value is
 * missing. The hub itself checks the ID number and reports which part is wrong.
 */
export function buildPriorRecordsVariables(form, purposes) {
  const idNumber = optionalText(form.idNumber);
  if (idNumber === null) {
    return { error: "prior.error.idNumber" };
  }
  const purpose = optionalText(form.purpose);
  if (purpose === null || !purposes.includes(purpose)) {
    return { error: "prior.error.purpose" };
  }
  return {
    variables: {
      idNumber,
      purpose,
      caseNumber: optionalText(form.caseNumber),
      legalBasis: optionalText(form.legalBasis),
    },
  };
}

/**
 * Build the variables of notices.graphql from the filter form; `after` is the
 * nextCursor of the page before, or null for the first page. Empty fields do not narrow.
 */
export function buildNoticesVariables(form, after = null, first = PAGE_SIZE) {
  const filter = {};
  const status = optionalText(form.status);
  if (status !== null) {
    filter.status = status;
  }
  const countyCode = optionalText(form.countyCode);
  if (countyCode !== null) {
    filter.countyCode = countyCode;
  }
  const overdue = optionalText(form.overdue);
  if (overdue === "true" || overdue === "false") {
    filter.overdue = overdue === "true";
  }
  const effectiveFrom = optionalText(form.effectiveFrom);
  if (effectiveFrom !== null) {
    filter.effectiveFrom = effectiveFrom;
  }
  const effectiveTo = optionalText(form.effectiveTo);
  if (effectiveTo !== null) {
    filter.effectiveTo = effectiveTo;
  }
  return {
    filter: Object.keys(filter).length === 0 ? null : filter,
    first,
    after: optionalText(after),
  };
}

/** Tell whether a prior-records result contains no person, record or case information at all. */
export function isEmptyResult(records) {
  if (!records) {
    return true;
  }
  const info = records.caseInformation ?? {};
  const caseParts = Object.values(info).filter(Array.isArray);
  return (
    !records.person &&
    (records.criminalRecords ?? []).length === 0 &&
    caseParts.every((part) => part.length === 0)
  );
}

/** Return the agencies whose call succeeded, in the order the hub listed them. */
export function answeredAgencies(sources) {
  return (sources ?? []).filter((source) => source.status === "OK").map((source) => source.agency);
}

/**
 * Return the GraphQL errors the sources table does not already show: an error naming an
 * agency (extensions.agency, lower case) is left out when that agency's source row carries
 * an error of the same code.
 */
export function generalErrors(errors, sources) {
  const agencyErrors = new Set(
    (sources ?? [])
      .filter((source) => source.error)
      .map((source) => `${source.agency}:${source.error.code}`),
  );
  return (errors ?? []).filter((error) => {
    const extensions = error.extensions ?? {};
    if (typeof extensions.agency !== "string") {
      return true;
    }
    return !agencyErrors.has(`${extensions.agency.toUpperCase()}:${extensions.code}`);
  });
}

/**
 * Turn a fetch outcome into `{ data, errors }`. `body` is the parsed JSON or null, and a
 * body that is not a GraphQL response becomes one error with code HTTP_<status>.
 * The hub's UNAUTHENTICATED message tells the user to sign in again. This console has no
 * sign-in, so it shows its own message, naming the panel where a new token goes.
 */
export function graphqlOutcome(status, body, t) {
  if (body !== null && typeof body === "object" && ("data" in body || "errors" in body)) {
    const errors = (Array.isArray(body.errors) ? body.errors : []).map((error) =>
      error?.extensions?.code === "UNAUTHENTICATED" ? { ...error, message: t("token.rejected") } : error,
    );
    return { data: body.data ?? null, errors };
  }
  return {
    data: null,
    errors: [{ message: t("error.http", { status }), extensions: { code: `HTTP_${status}` } }],
  };
}

/**
 * Return one row per agency from a /readyz body, in the Agency enum's order; an agency
 * the body leaves out is reported as unknown.
 */
export function readinessRows(body) {
  const agencies = body !== null && typeof body === "object" && body.agencies ? body.agencies : {};
  return AGENCIES.map((agency) => {
    const entry = agencies[agency.toLowerCase()];
    if (!entry || typeof entry !== "object") {
      return { agency, ready: null, reason: null, message: null };
    }
    return {
      agency,
      ready: entry.ready === true,
      reason: typeof entry.reason === "string" ? entry.reason : null,
      message: typeof entry.message === "string" ? entry.message : null,
    };
  });
}

/** Replace the notice with the same id in `items`, keeping the order; returns a new array. */
export function replaceNotice(items, notice) {
  return items.map((item) => (item.id === notice.id ? notice : item));
}
