"""decode + parse + validate of each well-formed vendor example, against parsing the same bytes bare.

Ours: `decoding.payload` (sniffing the wrapping) then `parsing.parse` (XML or JSON, field mapping,
pydantic validation into the canonical model). Baseline: `defusedxml.ElementTree.fromstring` of the
same bytes for XML, `json.loads` for JSON. Timed in alternation on one pinned core.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from defusedxml import ElementTree

from postbacks.domain import decoding, parsing
from postbacks.domain.models import Postback
from tests.benchmarks.measure import Figure, Section, Seed, interleaved, median, one_core, progress, well_formed_seeds

BUDGET = 2.0


def _ours(seed: Seed) -> Callable[[], object]:
    return lambda: parsing.parse(decoding.payload(seed.raw, seed.content_type))


def _bare(seed: Seed) -> Callable[[], object]:
    if seed.syntax == "json":
        return lambda: json.loads(seed.raw)
    return lambda: ElementTree.fromstring(seed.raw)


def _validation_only(seed: Seed) -> Callable[[], object]:
    """The pydantic share: validating the canonical fields of the already-parsed postback again."""
    (fields,) = [postback.canonical() for postback in parsing.parse(decoding.payload(seed.raw, None)).postbacks]
    return lambda: Postback.model_validate(fields)


def run(rounds: int) -> Section:
    seeds = well_formed_seeds()
    rows: list[tuple[Seed, float, float, float, float]] = []  # seed, ours, bare, validation, ratio (per call, s)
    with one_core() as core:
        for number, seed in enumerate(seeds, 1):
            progress(f"decode+parse {number}/{len(seeds)} {seed.name}")
            samples = interleaved(
                {"ours": _ours(seed), "bare": _bare(seed), "validation": _validation_only(seed)}, rounds
            )
            ratios = [ours / bare for ours, bare in zip(samples["ours"], samples["bare"], strict=True)]
            rows.append(
                (seed, median(samples["ours"]), median(samples["bare"]), median(samples["validation"]), median(ratios))
            )

    figures = []
    for syntax, bare_name in (("xml", "defusedxml fromstring"), ("json", "json.loads")):
        chosen = [row for row in rows if row[0].syntax == syntax]
        if not chosen:
            continue
        ratios = [row[4] for row in chosen]
        within = sum(ratio <= BUDGET for ratio in ratios)
        figures.append(
            Figure(
                f"decode+parse+validate / {bare_name}, {len(chosen)} {syntax.upper()} examples",
                f"median {median(ratios):.2f}x, worst {max(ratios):.2f}x ({within}/{len(chosen)} within)",
                f"<= {BUDGET:.0f}x",
                max(ratios) <= BUDGET,
            )
        )
    mix = sum(row[1] for row in rows) / len(rows)
    figures.append(Figure("decode+parse+validate throughput, one core", f"{1 / mix:,.0f} postbacks/s"))

    lines = [
        f"Pinned to CPU {core}; {rounds} interleaved batches of >= 20 ms each; median microseconds per call.",
        "`validation` is `Postback.model_validate` of the example's canonical fields alone (part of `ours`).",
        "",
        "| example | ours | bare parse | of which validation | ratio | budget |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for seed, ours, bare, validation, ratio in rows:
        verdict = "met" if ratio <= BUDGET else "NOT MET"
        micros = " | ".join(f"{value * 1e6:.1f}" for value in (ours, bare, validation))
        lines.append(f"| `{seed.name}` | {micros} | {ratio:.2f}x | {verdict} |")
    lines.append(f"\nMean over the {len(rows)} examples: {mix * 1e6:.1f} us per postback, {1 / mix:,.0f} postbacks/s.")
    return Section("Decode, parse and validate", figures, "\n".join(lines))
