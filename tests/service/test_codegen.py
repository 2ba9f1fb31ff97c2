"""The committed generated modules are exactly what scripts/generate_protos.py makes from protos/."""

from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROTOS = ROOT / "protos"


def test_generated_code_matches_the_protos(tmp_path: pathlib.Path) -> None:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_protos.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True)

    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*_pb2*.py*"))
    committed = sorted(p.relative_to(PROTOS) for p in PROTOS.rglob("*_pb2*.py*"))
    assert generated == committed
    assert generated, "protoc generated nothing"
    for relative in generated:
        assert (tmp_path / relative).read_bytes() == (PROTOS / relative).read_bytes(), (
            f"{relative} is stale: run python scripts/generate_protos.py")
