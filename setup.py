"""Compiles the hot path with mypyc; everything else about the package is in pyproject.toml.

The compiled modules are the same source, type-checked and turned into C: a check of a 5-drug
regimen with 30 co-medications takes about a quarter less time (54 -> 40 µs measured), and an
in-process audit, whose rows also go through the JSON codec and the totals, checks about an eighth
more rows per second (see README, Benchmarks). Set DOSECHECK_PURE_PYTHON=1 to install without a C
compiler; the package behaves the same, slower. The SHA-256 of each compiled source is recorded
beside it, so that a compiled module older than its source (an editable install not rebuilt) can be
told apart (`service.build`).
"""

import hashlib
import json
import os
from pathlib import Path

from setuptools import setup

COMPILED_MODULES = [
    "interactions/engine.py",
    "interactions/validation.py",
    "interactions/schedule.py",
    "interactions/knowledge_base.py",
    "service/jsoncodec.py",
    "service/audit/rows.py",
    "service/audit/summary.py",
]
COMPILED_SOURCES_RECORD = Path("service/compiled-sources.json")

if os.environ.get("DOSECHECK_PURE_PYTHON") == "1":
    setup()
else:
    from mypyc.build import mypycify

    record = {path.removesuffix(".py").replace("/", "."): hashlib.sha256(Path(path).read_bytes()).hexdigest()
              for path in COMPILED_MODULES}
    COMPILED_SOURCES_RECORD.write_text(json.dumps(record, indent=2) + "\n")
    setup(ext_modules=mypycify(COMPILED_MODULES, opt_level="3"))
