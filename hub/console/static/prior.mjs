// 前科查询 / Prior records: the lookup form and its result. Criminal records and case
// information are rendered in separate sections, never in one list.

import {
  answeredAgencies,
  buildPriorRecordsVariables,
  chinaDateTime,
  generalErrors,
  isEmptyResult,
  keysWithPrefix,
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
  freshSpan,
  joinList,
  label,
  setStatus,
  t,
  table,
  text,
} from "./ui.mjs";

const view = { answer: null, busy: false };

function purposes() {
  return keysWithPrefix(defaultTable(), "enum.Purpose.");
}

/** Fill the purpose select: each Purpose value's name in the current language, and the value. */
export function fillPurposes() {
  const entries = purposes().map((purpose) => [purpose, `${t(`enum.Purpose.${purpose}`)} (${purpose})`]);
  fillSelect(byId("prior-purpose"), entries, "prior.purposeChoose");
}

export function wirePrior() {
  byId("prior-form").addEventListener("submit", submit);
}

async function submit(event) {
  event.preventDefault();
  if (view.busy) {
    return;
  }
  const form = {
    idNumber: byId("prior-id-number").value,
    purpose: byId("prior-purpose").value,
    caseNumber: byId("prior-case-number").value,
    legalBasis: byId("prior-legal-basis").value,
  };
  const built = buildPriorRecordsVariables(form, purposes());
  if (built.error) {
    setStatus("prior-status", t(built.error), "warning");
    return;
  }

  view.busy = true;
  byId("prior-submit").disabled = true;
  setStatus("prior-status", t("common.loading"));
  try {
    view.answer = await runOperation("priorRecords", built.variables);
  } finally {
    view.busy = false;
    byId("prior-submit").disabled = false;
  }
  setStatus("prior-status", "");
  renderPrior();
}

// ---------------------------------------------------------------- values as text

function caseNumberText(caseNumber) {
  if (!caseNumber) {
    return t("common.none");
  }
  if (caseNumber.raw && caseNumber.raw !== caseNumber.canonical) {
    return t("record.caseNumberAsWritten", { canonical: caseNumber.canonical, raw: caseNumber.raw });
  }
  return caseNumber.canonical;
}

function present(value) {
  return value !== null && value !== undefined;
}

function sentenceText(sentence) {
  if (!sentence) {
    return t("common.none");
  }
  const parts = [label("enum.PenaltyType.", sentence.penalty)];
  if (present(sentence.termMonths)) {
    parts.push(t("sentence.term", { n: sentence.termMonths }));
  }
  if (present(sentence.probationMonths)) {
    parts.push(t("sentence.probation", { n: sentence.probationMonths }));
  }
  if (present(sentence.fineYuan)) {
    parts.push(t("sentence.fine", { n: sentence.fineYuan }));
  }
  if (present(sentence.politicalRightsMonths)) {
    parts.push(t("sentence.politicalRights", { n: sentence.politicalRightsMonths }));
  }
  return joinList(parts);
}

function chargeText(charge) {
  if (charge.act) {
    return t("charge.withAct", { name: charge.name, article: charge.article, act: charge.act });
  }
  return t("charge.plain", { name: charge.name, article: charge.article });
}

function chargesText(charges) {
  return charges && charges.length > 0 ? joinList(charges.map(chargeText)) : t("common.none");
}

function sealText(sealed, basis) {
  if (!sealed) {
    return t("record.notSealed");
  }
  return basis ? t("record.sealedWithBasis", { basis }) : t("record.sealed");
}

/** Show the agency and its own reference for a record, with how long ago the hub fetched it. */
function sourceCell(source, fetchedAtByAgency) {
  if (!source) {
    return t("common.none");
  }
  const cell = el("span", { className: "source" }, [
    el("span", { text: label("enum.Agency.", source.agency) }),
    source.localReference ? el("small", { className: "code", text: source.localReference }) : null,
  ]);
  const fetchedAt = fetchedAtByAgency.get(source.agency);
  if (fetchedAt) {
    cell.append(freshSpan(fetchedAt));
  }
  return cell;
}

// ---------------------------------------------------------------- sections

function personBlock(person, fetched) {
  const otherNames = person.otherNames && person.otherNames.length > 0 ? joinList(person.otherNames) : null;
  const pairs = [
    ["person.name", person.name],
    ["person.otherNames", otherNames],
    ["person.idNumber", person.idNumber],
  ];
  if (person.idNumberAsRecorded && person.idNumberAsRecorded !== person.idNumber) {
    pairs.push(["person.idNumberAsRecorded", person.idNumberAsRecorded]);
  }
  pairs.push(
    ["person.sex", codeLabel("sex.", person.sexCode)],
    ["person.ethnicity", codeLabel("ethnicity.", person.ethnicityCode)],
    ["person.birthDate", person.birthDate],
    ["person.county", codeLabel("county.", person.countyCode)],
    ["common.source", sourceCell(person.source, fetched)],
  );
  const heading = el("h3", { text: t("person.title") });
  return el("section", { className: "block person" }, [heading, fieldList(pairs)]);
}

function criminalRecordCard(record, fetched) {
  const heading = el("h4", {}, [
    el("span", { text: caseNumberText(record.caseNumber) }),
    record.sealed ? badge(t("record.sealed"), "sealed") : null,
  ]);
  const reportedBy = (record.reportedBy ?? []).map((agency) => label("enum.Agency.", agency));
  const correctionType = record.correctionType ? label("enum.CorrectionType.", record.correctionType) : null;
  const county = record.residenceCountyCode ? codeLabel("county.", record.residenceCountyCode) : null;
  return el("article", { className: "card record" }, [
    heading,
    fieldList([
      ["record.court", record.courtName],
      ["record.verdict", label("enum.Verdict.", record.verdict)],
      ["record.charges", chargesText(record.charges)],
      ["record.sentence", sentenceText(record.sentence)],
      ["record.judgmentDate", record.judgmentDate],
      ["record.effectiveDate", record.effectiveDate],
      ["record.offenceDate", record.offenceDate],
      ["record.procuratorate", record.procuratorate],
      ["record.correctionType", correctionType],
      ["record.residenceCounty", county],
      ["record.policeCaseNumber", record.policeCaseNumber],
      ["record.seal", sealText(record.sealed, record.sealBasis)],
      ["record.reportedBy", reportedBy.length > 0 ? joinList(reportedBy) : null],
      ["common.source", sourceCell(record.source, fetched)],
    ]),
  ]);
}

function criminalRecordsBlock(records, fetched) {
  const block = el("section", { className: "block criminal-records" }, [
    el("h3", { text: t("prior.criminalRecords", { n: records.length }) }),
    el("p", { className: "note", text: t("prior.criminalRecordsNote") }),
  ]);
  if (records.length === 0) {
    block.append(el("p", { className: "muted", text: t("prior.noCriminalRecords") }));
  }
  for (const record of records) {
    block.append(criminalRecordCard(record, fetched));
  }
  return block;
}

function custodyEvents(events) {
  if (!events || events.length === 0) {
    return t("common.none");
  }
  const list = el("ul", { className: "events" });
  for (const event of events) {
    const kind = label("enum.CustodyEventType.", event.event);
    const parts = [text(event.date), kind];
    const months = present(event.months) ? t("custody.months", { n: event.months }) : null;
    if (months) {
      parts.push(months);
    }
    // The prison system's own wording, marked as such, unless it only repeats the above.
    if (event.detail && !repeats(event.detail, [kind, months, chineseMonths(event.months)])) {
      parts.push(t("custody.detail", { text: event.detail }));
    }
    list.append(el("li", { text: parts.join(" ") }));
  }
  return list;
}

function squeezed(value) {
  return String(value ?? "").replace(/\s+/g, "");
}

function repeats(detail, shown) {
  const wanted = squeezed(detail);
  return shown.some((value) => value && squeezed(value) === wanted);
}

function chineseMonths(months) {
  return present(months) ? `${months}个月` : null;
}

function casePart(titleKey, headKeys, rows) {
  const part = el("div", { className: "case-part" }, [el("h4", { text: t(titleKey, { n: rows.length }) })]);
  const none = el("p", { className: "muted", text: t("common.noEntries") });
  part.append(rows.length > 0 ? table(headKeys, rows) : none);
  return part;
}

// Each kind of case information: its heading, its columns, and one row per item.
const CASE_PARTS = [
  {
    field: "judgments",
    title: "case.judgments",
    head: [
      "record.caseNumber",
      "record.court",
      "record.verdict",
      "record.charges",
      "record.sentence",
      "record.effectiveDate",
      "common.source",
    ],
    row: (item) => [
      caseNumberText(item.caseNumber),
      item.courtName,
      label("enum.Verdict.", item.verdict),
      chargesText(item.charges),
      sentenceText(item.sentence),
      item.effectiveDate,
    ],
  },
  {
    field: "policeCases",
    title: "case.policeCases",
    head: [
      "record.policeCaseNumber",
      "case.caseType",
      "case.status",
      "case.filedOn",
      "case.unit",
      "case.role",
      "common.source",
    ],
    row: (item) => [
      item.policeCaseNumber,
      item.caseType,
      label("enum.PoliceCaseStatus.", item.status),
      item.filedOn,
      item.unit,
      label("policeRole.", item.role),
    ],
  },
  {
    field: "coerciveMeasures",
    title: "case.coerciveMeasures",
    head: [
      "case.measure",
      "case.startDate",
      "case.endDate",
      "record.policeCaseNumber",
      "case.unit",
      "common.source",
    ],
    row: (item) => [
      label("enum.CoerciveMeasureType.", item.measure),
      item.startDate,
      item.endDate,
      item.policeCaseNumber,
      item.unit,
    ],
  },
  {
    field: "administrativeDetentions",
    title: "case.administrativeDetentions",
    head: [
      "case.decisionNumber",
      "case.reason",
      "case.startDate",
      "case.duration",
      "case.unit",
      "record.seal",
      "common.source",
    ],
    row: (item) => [
      item.decisionNumber,
      item.reason,
      item.startDate,
      t("case.days", { n: item.days }),
      item.unit,
      sealText(item.sealed, item.sealBasis),
    ],
  },
  {
    field: "custody",
    title: "case.custody",
    head: [
      "case.prison",
      "record.caseNumber",
      "case.admittedOn",
      "case.sentenceEndDate",
      "case.releasedOn",
      "case.events",
      "common.source",
    ],
    row: (item) => [
      item.prisonName,
      caseNumberText(item.caseNumber),
      item.admittedOn,
      item.sentenceEndDate,
      item.releasedOn,
      custodyEvents(item.events),
    ],
  },
  {
    field: "corrections",
    title: "case.corrections",
    head: [
      "record.correctionType",
      "case.placeOfExecution",
      "case.startDate",
      "case.endDate",
      "case.reportingStatus",
      "case.reportedOn",
      "case.status",
      "record.caseNumber",
      "common.source",
    ],
    row: (item) => [
      label("enum.CorrectionType.", item.correctionType),
      codeLabel("county.", item.countyCode),
      item.startDate,
      item.endDate,
      label("enum.ReportingStatus.", item.reportingStatus),
      item.reportedOn,
      label("enum.CorrectionStatus.", item.status),
      caseNumberText(item.caseNumber),
    ],
  },
];

function caseInformationBlock(info, fetched) {
  const block = el("section", { className: "block case-information" }, [
    el("h3", { text: t("prior.caseInformation") }),
    el("p", { className: "note", text: t("prior.caseInformationNote") }),
  ]);
  for (const part of CASE_PARTS) {
    const items = info[part.field] ?? [];
    const rows = items.map((item) => [...part.row(item), sourceCell(item.source, fetched)]);
    block.append(casePart(part.title, part.head, rows));
  }
  return block;
}

function linksBlock(links) {
  const rows = links.map((link) => [
    label("enum.Agency.", link.agency),
    link.localKey,
    label("linkMethod.", link.method),
    present(link.score) ? link.score.toFixed(2) : null,
    link.idNumberMasked,
    link.sameIdNumber ? t("common.yes") : t("common.no"),
  ]);
  const head = [
    "common.agency",
    "links.localKey",
    "links.method",
    "links.score",
    "links.idNumberMasked",
    "links.sameIdNumber",
  ];
  return el("section", { className: "block links" }, [
    el("h3", { text: t("links.title") }),
    rows.length > 0 ? table(head, rows) : el("p", { className: "muted", text: t("common.noEntries") }),
  ]);
}

// fetchedAt is when the agency returned the records, also for a part read from the hub's
// records cache (fromCache). The age shown is therefore the age of the data.
function sourcesBlock(sources) {
  const rows = sources.map((source) => {
    const error = source.error
      ? el("span", {}, [
          el("span", { className: "error-message", text: source.error.message }),
          el("small", { className: "code", text: source.error.code }),
        ])
      : null;
    return [
      label("enum.Agency.", source.agency),
      badge(label("enum.SourceStatus.", source.status), source.status === "OK" ? "ok" : "bad"),
      t("sources.ms", { n: Number(source.latencyMs).toFixed(1) }),
      chinaDateTime(source.fetchedAt),
      el("span", {}, [
        freshSpan(source.fetchedAt),
        source.fromCache ? badge(t("sources.fromCache"), "muted") : null,
      ]),
      error,
    ];
  });
  const head = [
    "common.agency",
    "sources.status",
    "sources.latency",
    "sources.fetchedAt",
    "sources.freshness",
    "sources.error",
  ];
  const heading = el("h3", { text: t("sources.title") });
  return el("section", { className: "block sources" }, [heading, table(head, rows)]);
}

/** Render the last result in the current language; the hub's own messages stay as it sent them. */
export function renderPrior() {
  const box = byId("prior-result");
  box.replaceChildren();
  if (view.answer === null) {
    return;
  }
  const { data, errors } = view.answer;
  const records = data ? data.priorRecords : null;
  const general = generalErrors(errors, records ? records.sources : []);
  if (general.length > 0) {
    box.append(errorList(general));
  }
  if (!records) {
    return;
  }

  const sources = records.sources ?? [];
  const fetched = new Map(sources.map((source) => [source.agency, source.fetchedAt]));
  if (isEmptyResult(records)) {
    const answered = answeredAgencies(sources).map((agency) => label("enum.Agency.", agency));
    const message =
      answered.length > 0 ? t("prior.empty", { agencies: joinList(answered) }) : t("prior.noneAnswered");
    box.append(el("p", { className: "empty", attrs: { role: "status" }, text: message }));
  } else {
    if (records.person) {
      box.append(personBlock(records.person, fetched));
    }
    box.append(
      criminalRecordsBlock(records.criminalRecords ?? [], fetched),
      caseInformationBlock(records.caseInformation ?? {}, fetched),
      linksBlock(records.links ?? []),
    );
  }
  box.append(sourcesBlock(sources));
}
