// 矫正通知书 / Correction notices: the filtered list with its deadlines, paged by the
// hub's cursor, and the two actions an officer takes on a notice.

import {
  PAGE_SIZE,
  buildNoticesVariables,
  chinaDate,
  chinaDateTime,
  deadlineMarks,
  keysWithPrefix,
  replaceNotice,
} from "./logic.mjs";
import { runOperation } from "./hub.mjs";
import {
  badge,
  byId,
  codeLabel,
  defaultTable,
  el,
  errorList,
  fieldList,
  fillSelect,
  label,
  setStatus,
  t,
  table,
} from "./ui.mjs";

// The notice filter offers neither the prefecture (513400) nor Huili's code before 2021
// (513425), which the hub reads as 513402.
const COUNTIES_NOT_FILTERED = ["513400", "513425"];

// Badge colour of each deadline state that deadlineMarks returns.
const DEADLINE_BADGES = { overdue: "bad", done: "ok", open: "open", untracked: "muted", none: "muted" };

const view = {
  items: [],
  nextCursor: null,
  errors: [],
  form: null,
  loaded: false,
  busy: false,
  // notice id -> { busy, done, warning, errors } of the last action on that notice
  messages: new Map(),
};

/** Fill the status, county and overdue selects in the current language. */
export function fillNoticeFilters() {
  const table = defaultTable();
  const statuses = keysWithPrefix(table, "enum.NoticeStatus.").map((status) => [
    status,
    t(`enum.NoticeStatus.${status}`),
  ]);
  fillSelect(byId("notices-status-filter"), statuses, "notices.any");

  const counties = keysWithPrefix(table, "county.")
    .filter((code) => !COUNTIES_NOT_FILTERED.includes(code))
    .map((code) => [code, `${t(`county.${code}`)} ${code}`]);
  fillSelect(byId("notices-county-filter"), counties, "notices.any");

  const overdue = [
    ["true", t("notices.overdueOnly")],
    ["false", t("notices.notOverdue")],
  ];
  fillSelect(byId("notices-overdue-filter"), overdue, "notices.any");
}

export function wireNotices() {
  byId("notices-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadNotices(false);
  });
  byId("notices-more").addEventListener("click", () => loadNotices(true));
}

/** Load the first page when the tab is first opened, so the list is there without a click. */
export function openNotices() {
  if (!view.loaded && !view.busy) {
    loadNotices(false);
  }
}

function filterForm() {
  return {
    status: byId("notices-status-filter").value,
    countyCode: byId("notices-county-filter").value,
    overdue: byId("notices-overdue-filter").value,
    effectiveFrom: byId("notices-effective-from").value,
    effectiveTo: byId("notices-effective-to").value,
  };
}

/** Load the first page for the filter form, or with `append` the next page of the same filter. */
async function loadNotices(append) {
  if (view.busy) {
    return;
  }
  if (!append) {
    view.form = filterForm();
  }
  const variables = buildNoticesVariables(view.form, append ? view.nextCursor : null, PAGE_SIZE);

  view.busy = true;
  setStatus("notices-status", t("common.loading"));
  let outcome;
  try {
    outcome = await runOperation("notices", variables);
  } finally {
    view.busy = false;
  }
  setStatus("notices-status", "");

  const page = outcome.data ? outcome.data.notices : null;
  view.errors = outcome.errors;
  view.loaded = true;
  if (page) {
    view.items = append ? [...view.items, ...page.items] : page.items;
    view.nextCursor = page.nextCursor;
  } else if (!append) {
    view.items = [];
    view.nextCursor = null;
  }
  if (!append) {
    view.messages.clear();
  }
  renderNotices();
}

/** Run acknowledgeReceipt or recordReporting on `notice` and show the changed notice or the errors. */
async function act(notice, operation, variables, doneKey) {
  view.messages.set(notice.id, { busy: true });
  renderNotices();
  const outcome = await runOperation(operation, variables);
  const changed = outcome.data ? outcome.data[operation] : null;
  if (changed) {
    view.items = replaceNotice(view.items, changed);
  }
  const done = changed && outcome.errors.length === 0 ? doneKey : null;
  view.messages.set(notice.id, { done, errors: outcome.errors });
  renderNotices();
}

function deadlinesTable(notice) {
  const today = chinaDate(Date.now());
  const rows = deadlineMarks(notice, today).map((mark) => {
    const passedUntracked = mark.state === "untracked" && mark.passed;
    const stateKey = passedUntracked ? "deadline.untrackedPassed" : `deadline.${mark.state}`;
    return [t(`notice.${mark.field}`), mark.date, badge(t(stateKey), DEADLINE_BADGES[mark.state])];
  });
  return table(["notice.deadline", "notice.date", "notice.deadlineState"], rows, "deadlines");
}

function acknowledgeButton(notice, busy) {
  const button = el("button", { text: t("notice.acknowledge"), attrs: { type: "button" } });
  button.disabled = busy;
  button.addEventListener("click", () =>
    act(notice, "acknowledgeReceipt", { noticeId: notice.id }, "notice.acknowledged"),
  );
  return button;
}

function reportingControls(notice, busy) {
  const today = chinaDate(Date.now());
  const dateId = `reported-on-${notice.id}`;
  const date = el("input", { attrs: { type: "date", id: dateId, max: today } });
  date.value = notice.reportedOn ?? today;
  if (notice.effectiveDate) {
    date.min = notice.effectiveDate;
  }
  const button = el("button", { text: t("notice.recordReporting"), attrs: { type: "button" } });
  button.disabled = busy;
  button.addEventListener("click", () => {
    if (!date.value) {
      view.messages.set(notice.id, { warning: "notice.reportedOnRequired" });
      renderNotices();
      return;
    }
    const variables = { noticeId: notice.id, reportedOn: date.value };
    act(notice, "recordReporting", variables, "notice.reportingRecorded");
  });
  return el("span", { className: "reporting" }, [
    el("label", { text: t("notice.reportedOnLabel"), attrs: { for: dateId } }),
    date,
    button,
  ]);
}

function actionMessages(message) {
  const lines = [];
  if (message.busy) {
    lines.push(el("p", { className: "status-line", text: t("common.loading") }));
  }
  if (message.done) {
    const attrs = { role: "status" };
    lines.push(el("p", { className: "status-line status-ok", attrs, text: t(message.done) }));
  }
  if (message.warning) {
    lines.push(el("p", { className: "status-line status-warning", text: t(message.warning) }));
  }
  if (message.errors && message.errors.length > 0) {
    lines.push(errorList(message.errors));
  }
  return lines;
}

function noticeActions(notice) {
  const box = el("div", { className: "actions" });
  if (notice.status === "ROUTED_TO_POLICE") {
    box.append(el("p", { className: "muted", text: t("notice.routedToPolice") }));
    return box;
  }

  const message = view.messages.get(notice.id) ?? {};
  const busy = Boolean(message.busy);
  // Signing again changes nothing, so a received notice offers only the reporting-in date.
  if (notice.status !== "RECEIVED") {
    box.append(acknowledgeButton(notice, busy));
  }
  box.append(reportingControls(notice, busy), ...actionMessages(message));
  return box;
}

function noticeCard(notice) {
  const heading = el("h3", {}, [
    el("span", { text: notice.caseNumber }),
    badge(label("enum.NoticeStatus.", notice.status), notice.status === "RECEIVED" ? "ok" : "open"),
    notice.overdue ? badge(t("notice.overdue"), "bad") : null,
  ]);
  const countyCode = notice.bureauCountyCode ?? notice.countyCode;
  const county = notice.countyName
    ? `${notice.countyName} ${countyCode ?? ""}`.trim()
    : codeLabel("county.", countyCode);
  const correctionType = notice.correctionType ? label("enum.CorrectionType.", notice.correctionType) : null;
  const pairs = [["record.court", notice.courtName]];
  if (notice.caseNumberRaw && notice.caseNumberRaw !== notice.caseNumber) {
    pairs.push(["notice.caseNumberRaw", notice.caseNumberRaw]);
  }
  pairs.push(
    ["notice.county", county],
    ["notice.person", notice.personNameMasked],
    ["notice.idNumber", notice.idNumberMasked],
    ["record.correctionType", correctionType],
    ["record.effectiveDate", notice.effectiveDate],
    ["notice.deliveredAt", chinaDateTime(notice.deliveredAt) || null],
    ["notice.receiptAt", chinaDateTime(notice.receiptAt) || null],
    ["notice.reportedOn", notice.reportedOn],
  );
  if (notice.attentionReason) {
    pairs.push(["notice.attentionReason", notice.attentionReason]);
  }
  if (notice.status === "FAILING" || notice.status === "NEEDS_ATTENTION") {
    pairs.push(["notice.attempts", String(notice.attempts)], ["notice.lastError", notice.lastError]);
  }
  return el("article", { className: notice.overdue ? "card notice overdue" : "card notice" }, [
    heading,
    fieldList(pairs),
    deadlinesTable(notice),
    noticeActions(notice),
  ]);
}

/** Render the loaded notices in the current language. */
export function renderNotices() {
  const box = byId("notices-list");
  box.replaceChildren();
  if (view.errors.length > 0) {
    box.append(errorList(view.errors));
  }
  if (view.loaded && view.items.length === 0 && view.errors.length === 0) {
    box.append(el("p", { className: "empty", text: t("notices.empty") }));
  }
  if (view.items.length > 0) {
    box.append(el("p", { className: "muted", text: t("notices.count", { n: view.items.length }) }));
  }
  for (const notice of view.items) {
    box.append(noticeCard(notice));
  }
  byId("notices-more").hidden = !view.nextCursor;
}
