"""Generates the Python modules of protos/ (messages, type stubs, gRPC stubs) beside each .proto.

Usage: python scripts/generate_protos.py [--out DIR]   (default: protos/, in place)
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import grpc_tools
from google.rpc import status_pb2
from grpc_tools import protoc

PROTO_ROOT = pathlib.Path(__file__).resolve().parent.parent / "protos"


def generate(out_dir: pathlib.Path) -> list[pathlib.Path]:
    """Runs protoc on every .proto under protos/ and returns the generated files.

    Args:
        out_dir: the root to write into; a module lands at the proto's path relative to protos/.

    Returns:
        The paths of the generated files, sorted.

    Raises:
        RuntimeError: protoc failed.
    """
    protos = sorted(p.relative_to(PROTO_ROOT).as_posix() for p in PROTO_ROOT.rglob("*.proto"))
    # google/rpc/status.proto ships with googleapis-common-protos; google/protobuf/*.proto with grpc_tools.
    googleapis = pathlib.Path(status_pb2.__file__).parent.parent.parent
    well_known = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    out_dir.mkdir(parents=True, exist_ok=True)
    args = [
        "grpc_tools.protoc",
        f"--proto_path={PROTO_ROOT}",
        f"--proto_path={googleapis}",
        f"--proto_path={well_known}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *protos,
    ]
    if protoc.main(args) != 0:
        raise RuntimeError(f"protoc failed on {protos}")
    return sorted(p for p in out_dir.rglob("*_pb2*.py*"))


def main() -> None:
    """Parses the command line and generates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=PROTO_ROOT)
    for path in generate(parser.parse_args().out):
        print(path, file=sys.stderr)


if __name__ == "__main__":
    main()
