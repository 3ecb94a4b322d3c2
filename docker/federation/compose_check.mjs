// Compose Apollo Federation v2 subgraphs, as a router's composition step would.
//
// Reads a JSON list of subgraphs, [{"name": ..., "url": ..., "sdl": ...}], on stdin and
// writes {"ok": bool, "errors": [...], "hints": [...], "supergraphSdl": ...} on stdout.
// Exits 0 when the subgraphs compose, 1 when composition reports errors, 2 on bad input.
// tests/test_federation.py runs it after `npm ci --prefix docker/federation`.

import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function toServices(subgraphs) {
  if (!Array.isArray(subgraphs) || subgraphs.length === 0) {
    throw new Error("expected a non-empty JSON list of {name, url, sdl} objects");
  }
  return subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) }));
}

let services;
try {
  services = toServices(JSON.parse(await readStdin()));
} catch (error) {
  process.stdout.write(JSON.stringify({ ok: false, errors: [`invalid input: ${error.message}`], hints: [] }));
  process.exit(2);
}

const result = composeServices(services);
const errors = (result.errors ?? []).map((error) => error.message);
const hints = (result.hints ?? []).map((hint) => hint.toString());
process.stdout.write(
  JSON.stringify({ ok: errors.length === 0, errors, hints, supergraphSdl: result.supergraphSdl ?? null }),
);
process.exit(errors.length === 0 ? 0 : 1);
