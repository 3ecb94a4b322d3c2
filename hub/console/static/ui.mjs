// Rendering helpers shared by the console's views: the chosen language's strings, and
// DOM nodes built with createElement and textContent only, never from HTML text.

import { DEFAULT_LANGUAGE, LANGUAGES, freshnessText, makeTranslator } from "./logic.mjs";

const i18n = { language: DEFAULT_LANGUAGE, strings: null, translate: (key) => key };

/** Keep the string tables read from strings.json: `{ "zh-CN": {...}, "en": {...} }`. */
export function setStrings(strings) {
  i18n.strings = strings;
}

/** Switch to `language` (zh-CN when it is not one of LANGUAGES); returns the language chosen. */
export function useLanguage(language) {
  i18n.language = LANGUAGES.includes(language) ? language : DEFAULT_LANGUAGE;
  i18n.translate = makeTranslator(i18n.strings[i18n.language], i18n.strings[DEFAULT_LANGUAGE]);
  return i18n.language;
}

export function currentLanguage() {
  return i18n.language;
}

/** Return the zh-CN table, whose key order sets the order of every option list. */
export function defaultTable() {
  return i18n.strings[DEFAULT_LANGUAGE];
}

export function t(key, params) {
  return i18n.translate(key, params);
}

/** Return the label of a code (prefix `enum.Agency.`, value `COURT`), or the code when it has none. */
export function label(prefix, value) {
  if (value === null || value === undefined || value === "") {
    return t("common.none");
  }
  const table = i18n.strings[i18n.language];
  return Object.prototype.hasOwnProperty.call(table, prefix + value) ? t(prefix + value) : String(value);
}

/** Return "label (code)", or the code alone when it has no label. */
export function codeLabel(prefix, value) {
  if (value === null || value === undefined || value === "") {
    return t("common.none");
  }
  const name = label(prefix, value);
  return name === String(value) ? name : `${name} (${value})`;
}

/** Return `value` as text, or the "none" mark for null and empty values. */
export function text(value) {
  return value === null || value === undefined || value === "" ? t("common.none") : String(value);
}

export function joinList(values) {
  return values.join(t("common.listSeparator"));
}

export function byId(id) {
  return document.getElementById(id);
}

/** Create an element; `text` becomes its textContent, `attrs` its attributes. */
export function el(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  if (options.className) {
    node.className = options.className;
  }
  if (options.text !== undefined && options.text !== null) {
    node.textContent = String(options.text);
  }
  for (const [name, value] of Object.entries(options.attrs ?? {})) {
    node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) {
      node.append(child);
    }
  }
  return node;
}

function cellContent(value) {
  return value instanceof Node ? value : text(value);
}

/** Build a definition list from `[labelKey, value]` pairs; a value may be a node. */
export function fieldList(pairs) {
  const list = el("dl", { className: "fields" });
  for (const [key, value] of pairs) {
    list.append(el("dt", { text: t(key) }), el("dd", {}, [cellContent(value)]));
  }
  return list;
}

/** Build a scrollable table with one header per string key; a cell may be a node. */
export function table(headKeys, rows, className = "") {
  const headers = headKeys.map((key) => el("th", { text: t(key), attrs: { scope: "col" } }));
  const body = el("tbody");
  for (const cells of rows) {
    body.append(el("tr", {}, cells.map((cell) => el("td", { className: cellClass(cell) }, [cellContent(cell)]))));
  }
  const head = el("thead", {}, [el("tr", {}, headers)]);
  return el("div", { className: "table-wrap" }, [el("table", { className }, [head, body])]);
}

// A date or a China-time stamp, which a narrow column would otherwise break at a hyphen.
const DATE_TEXT = /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$/;

function cellClass(cell) {
  return typeof cell === "string" && DATE_TEXT.test(cell) ? "date" : "";
}

/** List GraphQL errors: the hub's message as sent, with extensions.code (and agency) in small text. */
export function errorList(errors) {
  const list = el("ul", { className: "errors", attrs: { role: "alert" } });
  for (const error of errors) {
    const extensions = error.extensions ?? {};
    const codes = [extensions.code, extensions.agency].filter((part) => typeof part === "string");
    list.append(
      el("li", {}, [
        el("span", { className: "error-message", text: error.message ?? "" }),
        codes.length > 0 ? el("small", { className: "code", text: codes.join(" · ") }) : null,
      ]),
    );
  }
  return list;
}

/** Create a short coloured label; `kind` is ok, bad, open, muted or sealed (see console.css). */
export function badge(textValue, kind) {
  return el("span", { className: `badge badge-${kind}`, text: textValue });
}

/** Create a "N 秒前" span, which the console's timer keeps current. */
export function freshSpan(fetchedAt) {
  const span = el("span", { className: "fresh", text: freshnessText(fetchedAt, Date.now(), t) });
  span.dataset.fetchedAt = fetchedAt ?? "";
  return span;
}

/** Recompute every "N 秒前" span on the page. */
export function refreshFreshness() {
  const now = Date.now();
  for (const node of document.querySelectorAll(".fresh")) {
    node.textContent = freshnessText(node.dataset.fetchedAt, now, t);
  }
}

/** Show one status line in the box `id`, or clear it when `message` is empty. */
export function setStatus(id, message, kind = "info") {
  const box = byId(id);
  box.replaceChildren();
  if (message) {
    box.append(el("p", { className: `status-line status-${kind}`, text: message }));
  }
}

/** Replace a select's options with `[value, text]` entries, keeping the chosen value if offered. */
export function fillSelect(select, entries, emptyKey) {
  const chosen = select.value;
  const options = [];
  if (emptyKey) {
    options.push(el("option", { text: t(emptyKey), attrs: { value: "" } }));
  }
  for (const [value, name] of entries) {
    options.push(el("option", { text: name, attrs: { value } }));
  }
  select.replaceChildren(...options);
  select.value = entries.some(([value]) => value === chosen) ? chosen : "";
}
