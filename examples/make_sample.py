"""Writes the sample audit input: synthetic AML regimens as JSON Lines and as CSV (seeded, reproducible).

Usage: python examples/make_sample.py [--rows N] [--seed S] [--out DIR]

The regimens are made up but shaped like a real export: venetoclax with a hypomethylating agent or
low-dose cytarabine under azole prophylaxis, FLT3 and IDH inhibitors with their usual companions,
brand names and dose words as order systems write them, a few misspellings and unknown local
products, some QTc values, and a few invalid rows (negative dose, blank name, QTc out of range).
"""

from __future__ import annotations

import argparse
import csv
import json
import pathlib
import random
from typing import Any

from service.audit.rows import CSV_COLUMNS

Med = dict[str, Any]

# (name as ordered, dose in mg, frequency)
_BACKBONES: list[tuple[str, list[tuple[str, float, str]]]] = [
    ("VEN+AZA", [("venetoclax", 400, "daily"), ("azacitidine", 130, "daily d1-7")]),
    ("VEN+AZA", [("Venclexta 100 mg tablet", 400, "daily"), ("AZA", 140, "daily d1-7")]),
    ("VEN+DEC", [("venetoclax", 400, "daily"), ("decitabine", 36, "daily d1-5")]),
    ("VEN+LDAC", [("venetoclax", 600, "daily"), ("cytarabine", 20, "twice daily d1-10")]),
    ("GIL", [("gilteritinib", 120, "daily")]),
    ("GIL", [("Xospata", 120, "daily")]),
    ("GLAS+LDAC", [("glasdegib", 100, "daily"), ("low-dose cytarabine", 20, "twice daily d1-10")]),
    ("IVO", [("ivosidenib", 500, "daily")]),
    ("IVO+AZA", [("ivosidenib", 500, "daily"), ("azacitidine", 130, "daily d1-7")]),
    ("ENA", [("enasidenib", 100, "daily")]),
    ("QUIZ", [("quizartinib", 35.4, "daily")]),
    ("MIDO", [("midostaurin", 50, "twice daily d8-21")]),
    ("OLU", [("olutasidenib", 150, "twice daily")]),
]
_ANTIFUNGALS = [
    ("posaconazole", 300, "daily"),
    ("Noxafil 100 mg delayed-release tablet", 300, "daily"),
    ("fluconazole", 400, "daily"),
    ("isavuconazonium sulfate", 372, "daily"),
    ("voriconazole", 200, "twice daily"),
    ("micafungin", 100, "daily"),
    ("itraconazole", 200, "twice daily"),
]
_SUPPORTIVE = [
    ("acyclovir", 400, "twice daily"),
    ("valacyclovir", 500, "twice daily"),
    ("levofloxacin", 500, "daily"),
    ("ciprofloxacin", 500, "twice daily"),
    ("allopurinol", 300, "daily"),
    ("ondansetron", 8, "as needed"),
    ("pantoprazole", 40, "daily"),
    ("sulfamethoxazole/trimethoprim", 800, "three times weekly"),
    ("dexamethasone", 10, "twice daily"),
    ("letermovir", 480, "daily"),
    ("azithromycin", 250, "daily"),
    ("clarithromycin", 500, "twice daily"),
    ("amiodarone", 200, "daily"),
    ("diltiazem", 120, "daily"),
    ("verapamil", 80, "three times daily"),
    ("warfarin", 5, "daily"),
    ("digoxin", 0.125, "daily"),
    ("rifampin", 600, "daily"),
    ("carbamazepine", 200, "twice daily"),
    ("St John's wort", 300, "daily"),
    ("Paxlovid", 0, "twice daily"),
    ("grapefruit juice", 0, ""),
    ("haloperidol", 1, "as needed"),
    ("methadone", 10, "daily"),
]
_SSRIS = [("escitalopram", 10, "daily"), ("sertraline", 50, "daily"), ("fluoxetine", 20, "daily")]
# Misspellings and local products a site dictionary would not know.
_UNKNOWN = [
    ("posaconazol", 300, "daily"),
    ("flucanazole", 400, "daily"),
    ("acyclovr", 400, "twice daily"),
    ("Mouthwash (house formula)", 0, "four times daily"),
    ("vitamin D3", 0.025, "daily"),
]


def _med(name: str, dose: float, frequency: str, held: bool = False) -> Med:
    med: Med = {"name": name}
    if dose:
        med["doseMg"] = dose
    if frequency:
        med["frequency"] = frequency
    if held:
        med["held"] = True
    return med


def make_regimens(rows: int, seed: int) -> list[dict[str, Any]]:
    """The sample requests, in the contract's JSON shape.

    Args:
        rows: How many regimens.
        seed: The random seed: the same seed gives the same file.

    Returns:
        The requests.
    """
    rng = random.Random(seed)
    requests = []
    for index in range(rows):
        kind, backbone = rng.choice(_BACKBONES)
        regimen = [_med(*agent) for agent in backbone]
        concomitant = []
        if kind.startswith("VEN") or rng.random() < 0.3:
            concomitant.append(_med(*rng.choice(_ANTIFUNGALS)))
        if kind == "GIL" and rng.random() < 0.6:
            concomitant.append(_med(*rng.choice(_SSRIS)))
        for item in rng.sample(_SUPPORTIVE, rng.randint(1, 8)):
            concomitant.append(_med(*item, held=rng.random() < 0.05))
        if rng.random() < 0.12:
            concomitant.append(_med(*rng.choice(_UNKNOWN)))
        request: dict[str, Any] = {
            "requestId": f"AML-{seed}-{index + 1:05d}",
            "regimen": regimen,
            "concomitant": concomitant,
        }
        patient: dict[str, Any] = {}
        if rng.random() < 0.4:
            patient["qtcMs"] = rng.choice([420, 445, 462, 478, 480, 492, 505, 515])
            if rng.random() < 0.5:
                patient["baselineQtcMs"] = 430
        if rng.random() < 0.5:
            patient["cycleStartDate"] = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        if patient:
            request["patient"] = patient
        # A few rows a real export would hold and the audit must report, not drop.
        roll = rng.random()
        if roll < 0.015:
            regimen[0]["doseMg"] = -regimen[0].get("doseMg", 100)
        elif roll < 0.03:
            concomitant[0]["name"] = "  "
        elif roll < 0.04:
            request["patient"] = {"qtcMs": 900}
        requests.append(request)
    return requests


def write_jsonl(requests: list[dict[str, Any]], path: pathlib.Path) -> None:
    """Writes one request per line.

    Args:
        requests: The requests.
        path: The file to write.
    """
    with open(path, "w", encoding="utf-8") as out:
        for request in requests:
            out.write(json.dumps(request, separators=(",", ":")) + "\n")


def write_csv(requests: list[dict[str, Any]], path: pathlib.Path) -> None:
    """Writes the same requests in the audit's CSV layout, one row per medication.

    Args:
        requests: The requests.
        path: The file to write.
    """
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for request in requests:
            patient = request.get("patient", {})
            patient_cells = [
                patient.get("qtcMs", ""),
                patient.get("baselineQtcMs", ""),
                patient.get("cycleStartDate", ""),
                patient.get("cycleLengthDays", ""),
            ]
            for role in ("regimen", "concomitant"):
                for med in request[role]:
                    writer.writerow(
                        [
                            request["requestId"],
                            role,
                            med["name"],
                            med.get("doseMg", ""),
                            med.get("frequency", ""),
                            "true" if med.get("held") else "",
                            *patient_cells,
                        ]
                    )


def main() -> None:
    """Writes regimens.jsonl and regimens.csv."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path(__file__).parent)
    args = parser.parse_args()
    requests = make_regimens(args.rows, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    write_jsonl(requests, args.out / "regimens.jsonl")
    write_csv(requests, args.out / "regimens.csv")


if __name__ == "__main__":
    main()
