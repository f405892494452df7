"""Benchmark of the matcher (knowledge/matcher.py) against a naive rapidfuzz baseline.

Run from the project root:

    .venv/bin/python bench/bench_matcher.py                 # sizes x1, x10, x100
    .venv/bin/python bench/bench_matcher.py --sizes 1,10 --queries 400 --json
    .venv/bin/python bench/bench_matcher.py --profile       # + cProfile of the largest build

Sizes are multiples of the default catalogue (knowledge/default). Bigger catalogues
are synthetic and deterministic (seeded): every product keeps its original and gets
N-1 clones (``storing.lift~17``) whose name, synonyms and FAQ questions carry a few
pseudo-words of their own plus synonyms borrowed from other products, so the index
really grows. Clones are built with ``model_copy`` (no re-validation); the schema
shape (5-10 FAQ, <= 3 questions per language) is kept. For each size it reports the
index build time (``Matcher(knowledge)``; best of 3, one run at x100) and per-query
p50/p99 latency over a fixed query set, next to the naive baseline
``process.extractOne(query, phrases, scorer=fuzz.WRatio)`` over every phrase.
The process is pinned to one CPU when the OS allows it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import pstats
import random
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process, utils  # noqa: E402

from knowledge.loader import Knowledge, load_knowledge  # noqa: E402
from knowledge.matcher import Matcher  # noqa: E402
from knowledge.model import FaqEntry, Phrases, Product, Text  # noqa: E402

SEED = 20240611
TARGETS = {"p99_x1_ms": 2.0, "p99_x100_ms": 20.0, "build_x100_s": 2.0}
# Employee messages written for this benchmark (not the evaluation set).
MESSAGES_TEXT = """
De lift op de derde verdieping is weer kapot | lift zit vast tussen 2 en 3, er zitten mensen in!
Het is veel te koud in kamer 4.12 | de verwarming doet het niet in de vergaderzaal
airco maakt een raar geluid en lekt water | Er lekt water uit het plafond bij de pantry
wc verstopt op de 1e verdieping heren | De koffieautomaat geeft alleen heet water
koffie machine kapot op 5 | Kan ik een lunch bestellen voor 12 personen morgen?
Ik wil een borrel organiseren voor mijn afdeling vrijdag
Ik krijg volgende week drie bezoekers, hoe meld ik die aan?
Hoe reserveer ik een parkeerplek voor een gast? | mijn toegangspas werkt niet meer
pasje kwijt, wat nu? | Er is een laptop gestolen uit kamer 2.08
Er loopt iemand zonder pas rond op de 6e | Het alarm gaat af in het trappenhuis
Ik wil een nieuw bureau en een ergonomische stoel
Mijn bureaustoel is stuk, kan die gemaakt worden?
Kunnen jullie de vuilnisbakken op de 4e legen? Ze puilen uit
Het toilet is smerig, kan de schoonmaak langskomen? | Lamp kapot boven mijn bureau
Het licht in de gang flikkert | De deur van de fietsenstalling gaat niet open
Ik heb een klacht over het eten in het restaurant | Waar kan ik mijn post ophalen?
Ik moet een pakket versturen naar een leverancier
Ik verhuis naar een andere afdeling, wie verhuist mijn spullen? | Mijn wachtwoord is verlopen
Outlook start niet op | Hoe vraag ik verlof aan? | Vertel eens een grap
Wat voor weer wordt het morgen? | Ik wil mijn paspoort verlengen
bij mij thuis is de verwarming kapot | hoi | dank je wel!
The elevator is stuck on the ground floor | It's way too hot in the meeting room
Can I book catering for a meeting on Thursday? | How do I register a visitor?
my badge doesnt work anymore | Someone stole my bike from the bike shed
The toilet on floor 3 is blocked | Where can I park my car? | Can you tell me a joke?
whats the weather like tomorrow | verwarmnig kapot op de tweede | de lif is stuk
koffieautomat doet raar | vergaderuimte reserveren voor dinsdag | schoonmaak vergeten mijn kamer
I want to complain about the cleaning | is er een BHV'er aanwezig op de 3e verdieping?
EHBO doos is leeg
"""
MESSAGES: tuple[str, ...] = tuple(
    m.strip() for line in MESSAGES_TEXT.strip().splitlines() for m in line.split("|")
)


def pin_cpu() -> str:
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity on this OS)"
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
    except OSError as exc:
        return f"not pinned ({exc})"
    return f"pinned to CPU {cpu}"


def make_queries(n: int) -> list[str]:
    """Cycle through MESSAGES; after the first pass, some get a seeded typo (letter swap)."""
    rng = random.Random(SEED)
    out: list[str] = []
    for i in range(n):
        text = MESSAGES[i % len(MESSAGES)]
        words = text.split()
        if i >= len(MESSAGES) and rng.random() < 0.5:
            j = rng.randrange(len(words))
            w = words[j]
            if len(w) >= 4:
                k = rng.randrange(len(w) - 1)
                words[j] = w[:k] + w[k + 1] + w[k] + w[k + 2 :]
        out.append(" ".join(words))
    return out


def pseudo_word(rng: random.Random) -> str:
    onsets = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "st", "kr"]
    vowels = ["a", "e", "i", "o", "u", "aa", "ee", "oo", "ui", "ij"]
    syllables = [rng.choice(onsets) + rng.choice(vowels) for _ in range(rng.randint(2, 4))]
    return "".join(syllables) + rng.choice(("", "n", "r", "s", "t", "k"))


def clone_product(p: Product, k: int, rng: random.Random, pool: list[str]) -> Product:
    """A clone of ``p`` with id ``p.id~k`` and its own pseudo-words (no re-validation)."""
    w = [pseudo_word(rng) for _ in range(4)]
    syn = p.synonyms or Phrases(nl=[], en=[])
    borrowed = rng.sample(pool, 2)
    synonyms = Phrases.model_construct(
        nl=[*syn.nl, w[1], f"{w[2]} {rng.choice(syn.nl or [w[0]])}", borrowed[0]],
        en=[*syn.en, w[1], borrowed[1]],
    )
    faq: list[FaqEntry] = []
    for entry in p.faq:
        extra = pseudo_word(rng)
        questions = entry.questions.model_copy(
            update={
                "nl": [f"{entry.questions.nl[0]} {extra}", *entry.questions.nl[1:]],
                "en": [f"{entry.questions.en[0]} {extra}", *entry.questions.en[1:]],
            }
        )
        faq.append(entry.model_copy(update={"questions": questions}))
    return p.model_copy(
        update={
            "id": f"{p.id}~{k}",
            "name": Text.model_construct(nl=f"{p.name.nl} {w[0]}", en=f"{p.name.en} {w[0]}"),
            "description": Text.model_construct(
                nl=f"{p.description.nl} {w[3]}", en=f"{p.description.en} {w[3]}"
            ),
            "synonyms": synonyms,
            "faq": faq,
        }
    )


def scaled(base: Knowledge, factor: int) -> Knowledge:
    if factor == 1:
        return base
    rng = random.Random(SEED + factor)
    pool = [s for p in base.products.values() if p.synonyms for s in p.synonyms.nl + p.synonyms.en]
    products = dict(base.products)
    for k in range(1, factor):
        for p in base.products.values():
            c = clone_product(p, k, rng, pool)
            products[c.id] = c
    return replace(base, products=products)


def phrases_of(knowledge: Knowledge) -> list[str]:
    out: list[str] = []
    for p in knowledge.products.values():
        out += [p.name.nl, p.name.en, p.description.nl, p.description.en]
        if p.synonyms:
            out += p.synonyms.nl + p.synonyms.en
        for e in p.faq:
            out += e.questions.nl + e.questions.en
    return out


def percentile(ns: list[int], q: float) -> float:
    ordered = sorted(ns)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] / 1e6  # nearest rank, in ms


def latencies(fn: Any, queries: list[str]) -> list[int]:
    for q in queries:  # warm-up pass
        fn(q)
    out: list[int] = []
    for q in queries:
        t0 = time.perf_counter_ns()
        fn(q)
        out.append(time.perf_counter_ns() - t0)
    return out


def bench_size(base: Knowledge, factor: int, queries: list[str]) -> dict[str, Any]:
    knowledge = scaled(base, factor)
    builds, matcher = [], None
    for _ in range(1 if factor >= 100 else 3):
        t0 = time.perf_counter()
        matcher = Matcher(knowledge)
        builds.append(time.perf_counter() - t0)
    assert matcher is not None
    t0 = time.perf_counter()
    phrases = phrases_of(knowledge)
    naive_build = time.perf_counter() - t0
    ours = latencies(matcher.match, queries)
    naive = latencies(
        lambda q: process.extractOne(
            q, phrases, scorer=fuzz.WRatio, processor=utils.default_process
        ),
        queries,
    )
    r: dict[str, Any] = dict(size=f"x{factor}", factor=factor, products=len(knowledge.products))
    r.update(phrases=len(phrases), build_s=min(builds), build_runs_s=builds)
    r.update(naive_build_s=naive_build, p50_ms=percentile(ours, 0.5))
    r.update(p99_ms=percentile(ours, 0.99), naive_p50_ms=percentile(naive, 0.5))
    r.update(naive_p99_ms=percentile(naive, 0.99))
    r["speedup_p50"] = r["naive_p50_ms"] / r["p50_ms"]
    r["speedup_p99"] = r["naive_p99_ms"] / r["p99_ms"]
    return r


def check_targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by = {r["factor"]: r for r in rows}
    checks = [
        ("p99 at x1", 1, "p99_ms", TARGETS["p99_x1_ms"], "ms"),
        ("p99 at x100", 100, "p99_ms", TARGETS["p99_x100_ms"], "ms"),
        ("build at x100", 100, "build_s", TARGETS["build_x100_s"], "s"),
    ]
    out = []
    for name, f, key, limit, unit in checks:
        if f in by:
            value = by[f][key]
            out.append(dict(target=name, limit=limit, unit=unit, value=value, ok=value <= limit))
    return out


def profile_build(base: Knowledge, factor: int) -> str:
    knowledge = scaled(base, factor)
    prof = cProfile.Profile()
    prof.runcall(Matcher, knowledge)
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(15)
    return buf.getvalue()


def print_report(head: str, rows: list[dict[str, Any]], targets: list[dict[str, Any]]) -> None:
    print(head + "\n")
    print("| size | products | phrases | build s (ours) | p50 ms | p99 ms ", end="")
    print("| naive p50 ms | naive p99 ms | speed-up p99 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['size']} | {r['products']} | {r['phrases']} | {r['build_s']:.3f} ", end="")
        print(f"| {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | {r['naive_p50_ms']:.3f} ", end="")
        print(f"| {r['naive_p99_ms']:.3f} | {r['speedup_p99']:.1f}x |")
    ratios = [f"{r['size']} p50 {r['speedup_p50']:.1f}x p99 {r['speedup_p99']:.1f}x" for r in rows]
    print("\nbaseline/ours: " + ", ".join(ratios))
    print("\nTargets:")
    for t in targets:
        verdict = "PASS" if t["ok"] else "FAIL"
        print(
            f"- {t['target']} <= {t['limit']} {t['unit']}: {t['value']:.3f} {t['unit']} {verdict}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1,10,100", help="catalogue multiples, e.g. 1,10,100")
    ap.add_argument("--queries", type=int, default=200, help="timed queries per size")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead")
    ap.add_argument("--profile", action="store_true", help="cProfile the largest build")
    args = ap.parse_args()
    pinned = pin_cpu()
    base = load_knowledge(ROOT / "knowledge" / "default")
    queries = make_queries(args.queries)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    rows = []
    for f in sizes:
        rows.append(bench_size(base, f, queries))
        print(f"  x{f} done: build {rows[-1]['build_s']:.2f} s", file=sys.stderr)
    targets = check_targets(rows)
    python = sys.version.split()[0]
    if args.json:
        info = dict(cpu=pinned, python=python, queries=len(queries), messages=len(MESSAGES))
        print(json.dumps({**info, "sizes": rows, "targets": targets}, indent=2))
    else:
        head = f"Matcher benchmark: {len(queries)} queries ({len(MESSAGES)} distinct messages)"
        print_report(f"{head}, {pinned}, Python {python}", rows, targets)
    if args.profile:
        print(f"\ncProfile of Matcher(x{max(sizes)}) build, top 15 cumulative:")
        print(profile_build(base, max(sizes)))


if __name__ == "__main__":
    main()
