"""Benchmark person linkage on the labelled synthetic set of ``bench.linkage_data``.

    python -m bench.linkage                     # 50,000 records
    python -m bench.linkage --records 1000000

Times normalisation and linkage (the ``hub relink`` engine, in memory), then scores the
clusters against the ground truth over record pairs: precision = true pairs among the
pairs put together, recall = true pairs found among all true pairs. ``false_merges_distinct_ids``
counts clusters holding two different valid ID numbers (must be 0). The last line is the
summary; peak RSS is the process's high-water mark (``getrusage``), in MiB.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence

from bench.linkage_data import SEX_SCHEME, RawRecord, generate
from hub.identity.entries import IndexEntry, entry_from_raw
from hub.identity.linkage import Linker, LinkRecord, LinkResult
from hub.identity.normalise import SexScheme


def normalise_all(raw: Sequence[RawRecord]) -> list[IndexEntry]:
    return [
        entry_from_raw(
            r.agency,
            r.local_key,
            name=r.name,
            other_names=r.other_names,
            id_number=r.id_number,
            sex=r.sex,
            sex_scheme=SexScheme(SEX_SCHEME[r.agency]),
            ethnicity=r.ethnicity,
            birth_date=r.birth,
            county=r.county,
        )
        for r in raw
    ]


def pairs(sizes: Counter[object]) -> int:
    return sum(n * (n - 1) // 2 for n in sizes.values())


def evaluate(raw: Sequence[RawRecord], entries: Sequence[IndexEntry], result: LinkResult) -> dict[str, float]:
    truth = Counter(r.person for r in raw)
    predicted = Counter(result.cluster[i] for i in range(len(raw)))
    both = Counter((result.cluster[i], r.person) for i, r in enumerate(raw))
    true_pairs, found_pairs, correct = pairs(truth), pairs(predicted), pairs(both)

    ids: dict[int, set[str]] = defaultdict(set)
    for i, entry in enumerate(entries):
        if entry.id_number:
            ids[result.cluster[i]].add(entry.id_number)
    return {
        "precision": correct / found_pairs if found_pairs else 1.0,
        "recall": correct / true_pairs if true_pairs else 1.0,
        "false_merges": sum(1 for numbers in ids.values() if len(numbers) > 1),
    }


def progress(phase: str, done: int, total: int) -> None:
    print(f"\r  {phase}: {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    raw = generate(args.records, seed=args.seed)
    print(f"generated {len(raw)} records of {len({r.person for r in raw})} people", file=sys.stderr)

    started = time.perf_counter()
    entries = normalise_all(raw)
    normalised = time.perf_counter()
    records = [LinkRecord(i, entry.side()) for i, entry in enumerate(entries)]
    result = Linker(progress=progress).link(records)
    finished = time.perf_counter()

    scores = evaluate(raw, entries, result)
    elapsed = finished - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"normalise {normalised - started:.1f} s, link {finished - normalised:.1f} s, "
        f"comparisons {result.comparisons}, possible matches {len(result.candidates)}, "
        f"peak RSS {peak_mib:.0f} MiB, total {elapsed:.1f} s"
    )
    print(
        f"linkage: records={len(raw)} precision={scores['precision']:.4f} recall={scores['recall']:.4f} "
        f"false_merges_distinct_ids={scores['false_merges']:.0f} records_per_s={len(raw) / elapsed:.0f}"
    )


if __name__ == "__main__":
    main()
