// The web console's entry module: the token panel, the language switch and the tabs.
// Each view lives in its own module (prior.mjs, notices.mjs, status.mjs). No module
// writes to the browser console, so no ID number, name or token reaches it.

import { DEFAULT_LANGUAGE, chinaDateTime, describeToken, normaliseToken } from "./logic.mjs";
import { LANGUAGE_KEY, TOKEN_KEY, fetchConsoleFile, readStored, writeStored } from "./hub.mjs";
import { fillNoticeFilters, openNotices, renderNotices, wireNotices } from "./notices.mjs";
import { fillPurposes, renderPrior, wirePrior } from "./prior.mjs";
import { showStatus, statusLanguageChanged, wireStatus } from "./status.mjs";
import {
  byId,
  codeLabel,
  currentLanguage,
  el,
  fieldList,
  joinList,
  label,
  refreshFreshness,
  setStrings,
  t,
  useLanguage,
} from "./ui.mjs";

const VIEWS = ["prior", "notices", "status"];
const TICK_MS = 5000;

// ---------------------------------------------------------------- token panel

function expiryText(info) {
  if (info.expiresAt === null) {
    return t("token.noExpiry");
  }
  const until = chinaDateTime(new Date(info.expiresAt).toISOString());
  const left = info.expired
    ? t("token.expiredShort")
    : t("token.minutesLeft", { n: Math.ceil(info.secondsLeft / 60) });
  return `${until} (${left})`;
}

/** Show the stored token's roles, unit and expiry, read from its payload for display only. */
function renderToken() {
  const box = byId("token-summary");
  box.replaceChildren();
  const token = readStored(TOKEN_KEY);
  byId("token-forget").disabled = !token;
  if (!token) {
    box.append(el("p", { className: "muted", text: t("token.none") }));
    return;
  }

  const info = describeToken(token, Date.now());
  if (info === null) {
    box.append(el("p", { className: "warning", attrs: { role: "alert" }, text: t("token.unreadable") }));
    return;
  }
  const roles = info.roles.length > 0 ? joinList(info.roles.map((role) => codeLabel("role.", role))) : null;
  let unit = null;
  if (info.agency !== null) {
    unit = `${label("unitAgency.", info.agency)} · ${codeLabel("county.", info.county)}`;
  }
  box.append(
    fieldList([
      ["token.roles", roles],
      ["token.unit", unit],
      ["token.expires", expiryText(info)],
    ]),
  );
  if (info.expired) {
    box.append(el("p", { className: "warning", attrs: { role: "alert" }, text: t("token.expired") }));
  }
}

function useToken(event) {
  event.preventDefault();
  const input = byId("token-input");
  const token = normaliseToken(input.value);
  input.value = "";
  writeStored(TOKEN_KEY, token);
  renderToken();
}

function forgetToken() {
  writeStored(TOKEN_KEY, "");
  byId("token-input").value = "";
  renderToken();
}

// ---------------------------------------------------------------- language

function applyStaticStrings() {
  document.documentElement.lang = currentLanguage();
  document.title = t("app.title");
  for (const node of document.querySelectorAll("[data-i18n]")) {
    node.textContent = t(node.dataset.i18n);
  }
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
    node.setAttribute("placeholder", t(node.dataset.i18nPlaceholder));
  }
  for (const node of document.querySelectorAll("[data-i18n-label]")) {
    node.setAttribute("aria-label", t(node.dataset.i18nLabel));
  }
  // The switch names the other language in that language.
  byId("language-toggle").lang = currentLanguage() === "en" ? DEFAULT_LANGUAGE : "en";
}

/** Switch every string on the page; results already shown keep the hub's messages as sent. */
function setLanguage(language) {
  const chosen = useLanguage(language);
  writeStored(LANGUAGE_KEY, chosen === DEFAULT_LANGUAGE ? "" : chosen);
  applyStaticStrings();
  fillPurposes();
  fillNoticeFilters();
  renderToken();
  renderPrior();
  renderNotices();
  statusLanguageChanged();
}

// ---------------------------------------------------------------- tabs

function showView(name) {
  const chosen = VIEWS.includes(name) ? name : VIEWS[0];
  for (const view of VIEWS) {
    const selected = view === chosen;
    const tab = byId(`tab-${view}`);
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    byId(`view-${view}`).hidden = !selected;
  }
  history.replaceState(null, "", `#${chosen}`);
  if (chosen === "status") {
    showStatus();
  } else if (chosen === "notices") {
    openNotices();
  }
  return chosen;
}

function onTabKey(event) {
  const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
  if (!step) {
    return;
  }
  const current = VIEWS.findIndex((view) => byId(`tab-${view}`).getAttribute("aria-selected") === "true");
  const next = VIEWS[(current + step + VIEWS.length) % VIEWS.length];
  showView(next);
  byId(`tab-${next}`).focus();
}

// ---------------------------------------------------------------- start

function wire() {
  byId("language-toggle").addEventListener("click", () =>
    setLanguage(currentLanguage() === "en" ? DEFAULT_LANGUAGE : "en"),
  );
  byId("token-form").addEventListener("submit", useToken);
  byId("token-forget").addEventListener("click", forgetToken);
  for (const view of VIEWS) {
    const tab = byId(`tab-${view}`);
    tab.addEventListener("click", () => showView(view));
    tab.addEventListener("keydown", onTabKey);
  }
  wirePrior();
  wireNotices();
  wireStatus();
}

function tick() {
  refreshFreshness();
  renderToken();
}

async function start() {
  try {
    setStrings(await fetchConsoleFile("strings.json", true));
  } catch {
    byId("start-error").hidden = false;
    return;
  }
  wire();
  setLanguage(readStored(LANGUAGE_KEY) || DEFAULT_LANGUAGE);
  showView(location.hash.slice(1));
  setInterval(tick, TICK_MS);
}

start();
