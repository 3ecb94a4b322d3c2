// Requests to the hub that served the console, and the session storage the token lives in.
// Every request goes to this origin only, carries no cookie and sends no referrer.

import { QUERY_FILES, graphqlOutcome, missingFragments } from "./logic.mjs";
import { currentLanguage, t } from "./ui.mjs";

export const TOKEN_KEY = "hub.console.token";
export const LANGUAGE_KEY = "hub.console.language";

// Relative to /console/, so that a path prefix in front of the hub still works.
const GRAPHQL_URL = "../graphql";
const READYZ_URL = "../readyz";
const SAME_ORIGIN = { credentials: "omit", mode: "same-origin", referrerPolicy: "no-referrer" };

const queries = new Map();

/** Read a value from session storage (never local storage or cookies); "" when absent. */
export function readStored(key) {
  try {
    return sessionStorage.getItem(key) ?? "";
  } catch {
    return "";
  }
}

/** Store a value in session storage, or remove it when `value` is empty. */
export function writeStored(key, value) {
  try {
    if (value) {
      sessionStorage.setItem(key, value);
    } else {
      sessionStorage.removeItem(key);
    }
  } catch {
    // A browser that refuses session storage leaves the console usable for this page view.
  }
}

function languageHeader() {
  return currentLanguage() === "en" ? "en" : "zh-CN";
}

/** Fetch a same-origin file of the console (strings.json, a query) as text or JSON. */
export async function fetchConsoleFile(path, asJson = false) {
  const response = await fetch(path, { ...SAME_ORIGIN, cache: "no-cache" });
  if (!response.ok) {
    throw new Error(`${path}: HTTP ${response.status}`);
  }
  return asJson ? response.json() : response.text();
}

async function loadQuery(name) {
  if (!queries.has(name)) {
    const operation = await fetchConsoleFile(QUERY_FILES[name]);
    // A fragment the operation spreads but does not define lives in queries/fragments/.
    const shared = await Promise.all(
      missingFragments(operation).map((fragment) => fetchConsoleFile(`queries/fragments/${fragment}.graphql`)),
    );
    queries.set(name, [operation, ...shared].join("\n"));
  }
  return queries.get(name);
}

function consoleError(key, code, params) {
  return { data: null, errors: [{ message: t(key, params), extensions: { code } }] };
}

/**
 * POST the operation in QUERY_FILES[name] to /graphql with the stored token, in the
 * console's language; resolves to `{ data, errors }` and never rejects.
 */
export async function runOperation(name, variables) {
  const token = readStored(TOKEN_KEY);
  if (!token) {
    return consoleError("token.missing", "CONSOLE_NO_TOKEN");
  }
  let query;
  try {
    query = await loadQuery(name);
  } catch {
    return consoleError("error.queryFile", "CONSOLE_QUERY_FILE", { file: QUERY_FILES[name] });
  }

  let response;
  try {
    response = await fetch(GRAPHQL_URL, {
      ...SAME_ORIGIN,
      method: "POST",
      cache: "no-store",
      redirect: "error",
      headers: {
        Accept: "application/json",
        "Accept-Language": languageHeader(),
        "Content-Type": "application/json",
        Authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    return consoleError("error.network", "CONSOLE_NETWORK");
  }

  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  return graphqlOutcome(response.status, body, t);
}

/**
 * GET /readyz, which needs no token; resolves to `{ httpStatus, body, checkedAt }`, with
 * httpStatus null when the hub could not be reached.
 */
export async function fetchReadiness() {
  const checkedAt = new Date().toISOString();
  let response;
  try {
    response = await fetch(READYZ_URL, {
      ...SAME_ORIGIN,
      cache: "no-store",
      headers: { Accept: "application/json", "Accept-Language": languageHeader() },
    });
  } catch {
    return { httpStatus: null, body: null, checkedAt };
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  return { httpStatus: response.status, body, checkedAt };
}
