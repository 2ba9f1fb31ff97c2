"""Seeded synthetic regimens drawn from a knowledge base's own names, in domain, proto and wire forms."""

from __future__ import annotations

import json
import pathlib
import random
import struct
from dataclasses import dataclass

from google.protobuf import json_format

from interactions import CheckRequest, KnowledgeBase, Medication, PatientContext
from service import convert

SEED = 20261125
"""Fixed so that every run checks the same regimens."""


@dataclass(frozen=True, slots=True)
class Shape:
    """How many regimen drugs and concomitant medications a synthetic request has."""

    regimen: int
    concomitant: int

    @property
    def label(self) -> str:
        """`5 + 30` style."""
        return f"{self.regimen} + {self.concomitant}"


SHAPES = (Shape(1, 0), Shape(2, 10), Shape(5, 30))
HEAVY = SHAPES[-1]
"""The shape of the engine's speed goal (5 regimen drugs, 30 concomitant) and of the unary request."""
AUDIT_REGIMEN = 5
AUDIT_MAX_CONCOMITANT = 30
"""Audit rows: "5 regimen drugs, up to 30 concomitant" (the audit issue), uniformly 0 to 30."""


class Workload:
    """Draws requests from a knowledge base: regimen drugs among its agents, co-medications among all names."""

    def __init__(self, kb: KnowledgeBase, seed: int = SEED) -> None:
        """Indexes the names the requests are drawn from.

        Args:
            kb: the knowledge base whose names the requests use.
            seed: the random seed; the same seed gives the same requests.
        """
        self._random = random.Random(seed)
        by_kind: dict[str, list[str]] = {}
        for drug in kb.drugs:
            by_kind.setdefault(drug.kind, []).append(drug.name)
        self._agents = by_kind.get("agent", [])
        # A small knowledge base (the test fixture) may need partners and others to make up five
        # distinct regimen drugs: the engine rejects a drug ordered twice.
        self._fallback_regimen = [*self._agents, *by_kind.get("partner", []), *by_kind.get("comedication", [])]
        # Co-medications as callers write them: canonical names, brands, salts, abbreviations,
        # combination products; each with the canonical drugs it stands for.
        names = {name for drug in kb.drugs for name in (drug.name, *drug.synonyms)}
        names |= {name for combo in kb.combinations for name in (combo.name, *combo.synonyms)}
        self._names = sorted(names)
        self._resolves_to = {name: frozenset(kb.resolver.resolve(name) or ()) for name in self._names}

    def request(self, shape: Shape, index: int, prefix: str = "bench") -> CheckRequest:
        """One synthetic request.

        Args:
            shape: how many regimen and concomitant medications.
            index: a serial number, used for the request id.
            prefix: the request id's start.

        Returns:
            The request; its concomitant names never resolve to one of its regimen drugs.

        Raises:
            ValueError: the knowledge base has too few drugs for the shape.
        """
        rnd = self._random
        if len(self._agents) >= shape.regimen:
            chosen = rnd.sample(self._agents, shape.regimen)
        else:
            chosen = self._fallback_regimen[: shape.regimen]
        if len(chosen) < shape.regimen:
            raise ValueError(f"the knowledge base has too few drugs for a {shape.label} regimen")
        taken = set(chosen)
        concomitant: list[Medication] = []
        misses = 0
        while len(concomitant) < shape.concomitant:
            name = rnd.choice(self._names)
            if self._resolves_to[name] & taken:
                misses += 1
                if misses > 1000:
                    raise ValueError(f"the knowledge base has too few other names for a {shape.label} request")
            else:
                concomitant.append(Medication(name))
        regimen = [Medication(name, dose_mg=float(rnd.choice((0, 50, 100, 200, 400)))) for name in chosen]
        patient = PatientContext()
        # Half the patients come with a QTc and a cycle start, so QTc rules and dated monitoring run.
        if rnd.random() < 0.5:
            patient = PatientContext(
                qtc_ms=float(rnd.randrange(400, 530)),
                baseline_qtc_ms=float(rnd.randrange(390, 450)),
                cycle_start_date="2026-01-05",
            )
        return CheckRequest(tuple(regimen), tuple(concomitant), patient, request_id=f"{prefix}-{shape.regimen}-{index}")

    def requests(self, shape: Shape, count: int) -> list[CheckRequest]:
        """`count` requests of one shape (the same ones for the same seed and call order).

        Args:
            shape: how many regimen and concomitant medications.
            count: how many.

        Returns:
            The requests.
        """
        return [self.request(shape, i) for i in range(count)]

    def audit_rows(self, count: int) -> list[CheckRequest]:
        """`count` audit rows: 5 regimen drugs and 0 to 30 concomitant medications each.

        Args:
            count: how many.

        Returns:
            The rows, with request ids `audit-5-<row>`.
        """
        return [
            self.request(Shape(AUDIT_REGIMEN, self._random.randint(0, AUDIT_MAX_CONCOMITANT)), i, "audit")
            for i in range(count)
        ]


def grpc_frame(message: bytes) -> bytes:
    """A gRPC length-prefixed message: no compression flag, 4-byte big-endian length, the bytes.

    Args:
        message: a serialised protobuf message.

    Returns:
        The framed message, as it travels in an HTTP/2 DATA frame.
    """
    return struct.pack(">BI", 0, len(message)) + message


def split_frames(data: bytes) -> list[bytes]:
    """The messages of a sequence of gRPC length-prefixed frames.

    Args:
        data: frames, back to back.

    Returns:
        The serialised messages, in order.
    """
    messages = []
    offset = 0
    while offset < len(data):
        _, length = struct.unpack_from(">BI", data, offset)
        offset += 5
        messages.append(data[offset : offset + length])
        offset += length
    return messages


def write_jsonl(requests: list[CheckRequest], path: pathlib.Path) -> None:
    """Writes requests as an audit input: one CheckRegimenRequest per line in the contract's JSON shape.

    Args:
        requests: the rows.
        path: the file to write.
    """
    with path.open("w", encoding="utf-8") as out:
        for request in requests:
            message = json_format.MessageToDict(convert.request_to_proto(request))
            out.write(json.dumps(message, separators=(",", ":")) + "\n")
