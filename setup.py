"""Compiles the engine's hot path with mypyc; everything else about the package is in pyproject.toml.

The compiled modules are the same source, type-checked and turned into C: a check of a 5-drug
regimen with 30 co-medications takes about 15% less time (53 -> 45 µs measured) (see README, Benchmarks). Set
DOSECHECK_PURE_PYTHON=1 to install without a C compiler; the package behaves the same, slower.
"""

import os

from setuptools import setup

COMPILED_MODULES = ["interactions/engine.py", "interactions/validation.py", "interactions/schedule.py"]

if os.environ.get("DOSECHECK_PURE_PYTHON") == "1":
    setup()
else:
    from mypyc.build import mypycify

    setup(ext_modules=mypycify(COMPILED_MODULES, opt_level="3"))
