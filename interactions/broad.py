"""The broad vocabulary: real drug names beyond the reviewed dictionary, from an installed package's data file."""

from __future__ import annotations

import bz2
import importlib.util
import pickle
from functools import cache
from pathlib import Path


@cache
def broad_vocabulary(package: str, data_file: str) -> dict[str, tuple[str, ...]]:
    """Name variant -> canonical drug names, read once per process from `package`'s data file.

    Only the data file is read: the package's modules are never imported (they fetch from the
    network and write a cache in $HOME).

    Args:
        package: the importable name of the installed package.
        data_file: the file inside it, a bz2-compressed pickle with `drug_variant_to_canonical`.

    Returns:
        Lower-case variant -> its canonical names, lower case.

    Raises:
        FileNotFoundError: when the package or its data file is not installed.
    """
    # The file ships inside a package we installed from PyPI; it is trusted as our own code is.
    data = pickle.loads(bz2.decompress(data_path(package, data_file).read_bytes()))
    variants: dict[str, list[str]] = data["drug_variant_to_canonical"]
    return {variant: tuple(canonical) for variant, canonical in variants.items() if canonical}


def data_path(package: str, data_file: str) -> Path:
    """Where `package`'s data file is installed, without importing the package.

    Raises:
        FileNotFoundError: when the package is not installed.
    """
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or ()) if spec else []
    if not locations:
        raise FileNotFoundError(f"package {package!r} is not installed")
    return Path(locations[0]) / data_file

