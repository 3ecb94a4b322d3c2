"""Record linkage: which person records, across the four agencies, are one person.

Three passes over the normalised records:

1. deterministic: records with the same valid ID number are one person (the 15- and
   18-character forms are equal after normalisation);
2. operator decisions: a confirmed pair is joined, a rejected pair is kept apart, on every
   run, whatever the scores say;
3. probabilistic: each record without a valid ID number is compared, inside blocks, with
   the others; pairs are scored with Fellegi–Sunter weights (``hub.identity.weights``) and
   joined best first when the score reaches ``Thresholds.match``. A pair between
   ``possible`` and ``match`` is a possible match, never joined without an operator.

Two clusters that contain different valid ID numbers are never joined, not even by a
confirmation. Blocking keys (birth date with county, the transposed date with county,
pinyin of a name with birth year, parts of a stored ID number) keep the comparisons close
to linear in the number of records.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from hub.identity.weights import Comparison, NameComparer, Side, compare

Progress = Callable[[str, int, int], None]
MAX_BLOCK = 300  # blocks larger than this (a very common name in one year) are skipped


class LinkMethod(StrEnum):
    ID_NUMBER = "id_number"
    PROBABILISTIC = "probabilistic"
    CONFIRMED = "confirmed"
    SINGLE = "single"


class Outcome(StrEnum):
    MATCH = "match"
    POSSIBLE = "possible"
    NON_MATCH = "non_match"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Score bounds (sums of log2 weights): at or above ``match`` join, at or above ``possible`` show."""

    match: float = 18.5
    possible: float = 10.0

    def outcome(self, score: float) -> Outcome:
        if score >= self.match:
            return Outcome.MATCH
        return Outcome.POSSIBLE if score >= self.possible else Outcome.NON_MATCH


@dataclass(frozen=True, slots=True)
class LinkRecord:
    ref: int  # the caller's key for the record (the index row id)
    side: Side


@dataclass(frozen=True, slots=True)
class Decision:
    a: int
    b: int
    confirmed: bool


@dataclass(frozen=True, slots=True)
class Candidate:
    """A possible match for an operator: the pair, its score and the fields that agreed."""

    a: int
    b: int
    score: float
    agreed: tuple[str, ...]


@dataclass(slots=True)
class LinkResult:
    cluster: dict[int, int]  # ref → cluster number (the smallest ref in the cluster)
    method: dict[int, LinkMethod]
    score: dict[int, float]  # ref → score of the edge that attached it
    candidates: list[Candidate] = field(default_factory=list)
    conflicting: list[Decision] = field(default_factory=list)  # confirmations across ID numbers
    comparisons: int = 0


class _Clusters:
    """Union–find over record positions that rejects joins across ID numbers or rejected pairs."""

    def __init__(self, ids: Sequence[str | None]) -> None:
        self.parent = list(range(len(ids)))
        self.id_number: dict[int, str] = {i: v for i, v in enumerate(ids) if v}
        self.rejects: dict[int, list[tuple[int, int]]] = defaultdict(list)

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def reject(self, a: int, b: int) -> None:
        self.rejects[self.find(a)].append((a, b))
        self.rejects[self.find(b)].append((a, b))

    def allowed(self, ra: int, rb: int) -> bool:
        ida, idb = self.id_number.get(ra), self.id_number.get(rb)
        if ida and idb and ida != idb:
            return False
        for x, y in self.rejects.get(ra, ()):
            other = y if self.find(x) == ra else x
            if self.find(other) == rb:
                return False
        return True

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if not self.allowed(ra, rb):
            return False
        keep, joined = (ra, rb) if ra < rb else (rb, ra)
        self.parent[joined] = keep
        if joined in self.id_number:
            self.id_number[keep] = self.id_number.pop(joined)
        if joined in self.rejects:
            self.rejects[keep].extend(self.rejects.pop(joined))
        return True


class Linker:
    """Link a batch of records; ``progress(phase, done, total)`` is called as work proceeds."""

    def __init__(self, thresholds: Thresholds | None = None, progress: Progress | None = None) -> None:
        self.thresholds = thresholds or Thresholds()
        self.progress = progress
        self.names = NameComparer()

    def link(self, records: Sequence[LinkRecord], decisions: Iterable[Decision] = ()) -> LinkResult:
        position = {record.ref: i for i, record in enumerate(records)}
        clusters = _Clusters([record.side.id_number for record in records])
        method = {record.ref: _initial_method(record) for record in records}
        score: dict[int, float] = {}

        self._deterministic(records, clusters)
        rejected, conflicting = self._decisions(records, decisions, position, clusters, method)
        edges, comparisons = self._score(records)

        result = LinkResult(
            cluster={}, method=method, score=score, conflicting=conflicting, comparisons=comparisons
        )
        self._join(records, edges, clusters, rejected, result)
        result.cluster = {record.ref: records[clusters.find(i)].ref for i, record in enumerate(records)}
        self._finish_methods(records, result)
        return result

    def _deterministic(self, records: Sequence[LinkRecord], clusters: _Clusters) -> None:
        first: dict[str, int] = {}
        for i, record in enumerate(records):
            number = record.side.id_number
            if number is None:
                continue
            if number in first:
                clusters.union(first[number], i)
            else:
                first[number] = i

    def _decisions(
        self,
        records: Sequence[LinkRecord],
        decisions: Iterable[Decision],
        position: dict[int, int],
        clusters: _Clusters,
        method: dict[int, LinkMethod],
    ) -> tuple[set[tuple[int, int]], list[Decision]]:
        rejected: set[tuple[int, int]] = set()
        conflicting: list[Decision] = []
        ordered = sorted(decisions, key=lambda d: d.confirmed)  # rejections first
        for decision in ordered:
            if decision.a not in position or decision.b not in position:
                continue
            a, b = position[decision.a], position[decision.b]
            if not decision.confirmed:
                clusters.reject(a, b)
                rejected.add((min(a, b), max(a, b)))
            elif clusters.union(a, b):
                for ref in (decision.a, decision.b):
                    if records[position[ref]].side.id_number is None:
                        method[ref] = LinkMethod.CONFIRMED
            else:
                conflicting.append(decision)
        return rejected, conflicting

    def _score(self, records: Sequence[LinkRecord]) -> tuple[list[tuple[float, int, int, Comparison]], int]:
        queries = [i for i, record in enumerate(records) if record.side.id_number is None]
        query_keys = {i: self._keys(records[i].side) for i in queries}
        needed = {key for keys in query_keys.values() for key in keys}
        blocks: dict[Hashable, list[int]] = defaultdict(list)
        for i, record in enumerate(records):
            for key in query_keys.get(i) or self._keys(record.side):
                if key in needed:
                    blocks[key].append(i)

        edges: list[tuple[float, int, int, Comparison]] = []
        comparisons = 0
        for done, i in enumerate(queries, start=1):
            others: set[int] = set()
            for key in query_keys[i]:
                block = blocks[key]
                if len(block) <= MAX_BLOCK:
                    others.update(block)
            for j in others:
                if j == i or (records[j].side.id_number is None and j < i):
                    continue
                comparisons += 1
                result = compare(records[i].side, records[j].side, self.names)
                if result.score >= self.thresholds.possible:
                    edges.append((result.score, min(i, j), max(i, j), result))
            if self.progress is not None and (done % 5000 == 0 or done == len(queries)):
                self.progress("compare", done, len(queries))
        edges.sort(key=lambda edge: (-edge[0], edge[1], edge[2]))
        return edges, comparisons

    def _keys(self, side: Side) -> list[Hashable]:
        keys: list[Hashable] = []
        birth = dt.date.fromordinal(side.birth_ordinal) if side.birth_ordinal else None
        if birth is not None and side.county:
            keys.append(("dc", side.birth_ordinal, side.county))
            if birth.day <= 12 and birth.day != birth.month:
                swapped = dt.date(birth.year, birth.day, birth.month).toordinal()
                keys.append(("dc", swapped, side.county))
        for name in side.names:
            sound = self.names.pinyin(name)
            if birth is not None:
                keys.append(("ny", sound, birth.year))
            if side.county:
                keys.append(("nc", sound, side.county))
        number = side.id_number or side.id_text
        if number:
            keys.append(("i14", number[:14]))
            keys.append(("i6", number[:6] + number[14:17]))
        return keys

    def _join(
        self,
        records: Sequence[LinkRecord],
        edges: Sequence[tuple[float, int, int, Comparison]],
        clusters: _Clusters,
        rejected: set[tuple[int, int]],
        result: LinkResult,
    ) -> None:
        pending: list[Candidate] = []
        for score, a, b, comparison in edges:
            if (a, b) in rejected or clusters.find(a) == clusters.find(b):
                continue
            ref_a, ref_b = records[a].ref, records[b].ref
            if score >= self.thresholds.match and clusters.union(a, b):
                for i, ref in ((a, ref_a), (b, ref_b)):
                    if records[i].side.id_number is None and ref not in result.score:
                        result.score[ref] = score
                continue
            pending.append(Candidate(ref_a, ref_b, score, comparison.agreed))
        position = {record.ref: i for i, record in enumerate(records)}
        result.candidates = [
            c for c in pending if clusters.find(position[c.a]) != clusters.find(position[c.b])
        ]

    def _finish_methods(self, records: Sequence[LinkRecord], result: LinkResult) -> None:
        sizes: dict[int, int] = defaultdict(int)
        for cluster in result.cluster.values():
            sizes[cluster] += 1
        for record in records:
            ref = record.ref
            if result.method[ref] is LinkMethod.CONFIRMED:
                continue
            if sizes[result.cluster[ref]] == 1:
                result.method[ref] = LinkMethod.SINGLE
            elif record.side.id_number is None:
                result.method[ref] = LinkMethod.PROBABILISTIC


def _initial_method(record: LinkRecord) -> LinkMethod:
    return LinkMethod.ID_NUMBER if record.side.id_number else LinkMethod.SINGLE
