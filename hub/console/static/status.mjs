// 运行状态 / Status: each agency adapter's readiness from GET /readyz, which needs no token.

import { chinaDateTime, readinessRows } from "./logic.mjs";
import { fetchReadiness } from "./hub.mjs";
import { badge, byId, el, errorList, label, setStatus, t, table } from "./ui.mjs";

const view = { outcome: null, loading: false };

export function wireStatus() {
  byId("status-refresh").addEventListener("click", () => refreshReadiness());
}

/** Load readiness the first time the tab is shown. */
export function showStatus() {
  if (view.outcome === null && !view.loading) {
    refreshReadiness();
  }
}

/** Ask again after a language change, because /readyz words its messages in the language asked for. */
export function statusLanguageChanged() {
  if (view.outcome !== null) {
    refreshReadiness();
  }
}

async function refreshReadiness() {
  view.loading = true;
  byId("status-refresh").disabled = true;
  setStatus("status-status", t("common.loading"));
  try {
    view.outcome = await fetchReadiness();
  } finally {
    view.loading = false;
    byId("status-refresh").disabled = false;
  }
  setStatus("status-status", "");
  renderReadiness();
}

function readinessCell(ready) {
  if (ready === null) {
    return t("common.unknown");
  }
  return badge(ready ? t("common.yes") : t("common.no"), ready ? "ok" : "bad");
}

function renderReadiness() {
  const box = byId("status-result");
  box.replaceChildren();
  const outcome = view.outcome;
  if (outcome === null) {
    return;
  }
  if (outcome.httpStatus === null) {
    box.append(errorList([{ message: t("error.network"), extensions: { code: "CONSOLE_NETWORK" } }]));
    return;
  }

  const ready = outcome.body !== null && outcome.body.status === "ready";
  const checkedAt = t("status.checkedAt", { time: chinaDateTime(outcome.checkedAt) });
  box.append(
    el("p", { className: "overall" }, [
      badge(ready ? t("status.ready") : t("status.notReady"), ready ? "ok" : "bad"),
      el("small", { className: "code", text: `HTTP ${outcome.httpStatus}` }),
      el("span", { className: "muted", text: checkedAt }),
    ]),
  );
  const rows = readinessRows(outcome.body).map((row) => [
    label("enum.Agency.", row.agency),
    readinessCell(row.ready),
    row.reason ? el("small", { className: "code", text: row.reason }) : null,
    row.message,
  ]);
  box.append(table(["common.agency", "status.readyColumn", "status.reason", "status.message"], rows));
}
