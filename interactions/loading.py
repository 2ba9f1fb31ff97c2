"""Loading a knowledge base: read and validate its TOML files, check them together, hash and index them once.

Every problem found is collected (file, location, message) and raised together as a
`KnowledgeBaseError`; a knowledge base that loads is the engine's index (interactions/index.py).
"""

from __future__ import annotations

import hashlib
import tomllib
from importlib import resources
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from interactions.cross_check import check_across_files
from interactions.index import KnowledgeBase, build_index
from interactions.problems import KnowledgeBaseError, Problem
from interactions.schema import (
    AGENTS_DIR,
    REGIMEN_RULES,
    REGIMENS,
    SITE_FILE,
    AgentFile,
    ClassesFile,
    DrugsFile,
    ManifestFile,
    NamesFile,
    RegimenRulesFile,
    RegimensFile,
    SiteFile,
)

_Model = TypeVar("_Model", bound=BaseModel)


def default_data_dir() -> Path:
    """The knowledge base shipped inside the package."""
    return Path(str(resources.files("interactions") / "data"))


def load_knowledge_base(path: Path | None = None, cache: Path | None = None) -> KnowledgeBase:
    """Load, validate and index a knowledge base.

    Args:
        path: a directory laid out like `interactions/data`, or a site directory holding only a
            `site.toml` that extends the built-in one; None for the embedded default.
        cache: a directory where tables built from the broad vocabulary are kept for the next
            process (see `reader.MedicationReader`); None to keep none.

    Returns:
        The indexed knowledge base.

    Raises:
        KnowledgeBaseError: with every problem found (file, location, message).
    """
    root = path or default_data_dir()
    problems: list[Problem] = []
    if not root.is_dir():
        raise KnowledgeBaseError([Problem(str(root), "", "not a directory")])
    site = _read(root, SITE_FILE, SiteFile, problems) if (root / SITE_FILE).exists() else None
    if site is None and problems:
        # Whether it extends the built-in files is unknown: that the others are missing would mislead.
        raise KnowledgeBaseError(problems)
    site_root = root
    if site is not None and site.extends == "built-in":
        root = default_data_dir()

    manifest = _read(root, "manifest.toml", ManifestFile, problems)
    names = _read(root, "names.toml", NamesFile, problems)
    drugs = _read(root, "drugs.toml", DrugsFile, problems)
    classes = _read(root, "classes.toml", ClassesFile, problems)
    agent_paths = sorted((root / AGENTS_DIR).glob("*.toml")) if (root / AGENTS_DIR).is_dir() else []
    if not agent_paths:
        problems.append(Problem(f"{AGENTS_DIR}/", "", "no agent files"))
    agents = [_read(root, f"{AGENTS_DIR}/{p.name}", AgentFile, problems) for p in agent_paths]
    # Optional: a site's knowledge base from before regimen rules has none.
    regimen_rules = (_read(root, REGIMEN_RULES, RegimenRulesFile, problems) if (root / REGIMEN_RULES).exists()
                     else RegimenRulesFile())
    regimens = _read(root, REGIMENS, RegimensFile, problems) if (root / REGIMENS).exists() else RegimensFile()
    if manifest is None or names is None or drugs is None or classes is None:
        raise KnowledgeBaseError(problems)

    loaded_agents = [(f"{AGENTS_DIR}/{p.name}", a) for p, a in zip(agent_paths, agents, strict=True) if a]
    problems.extend(check_across_files(manifest, names, drugs, classes, loaded_agents, regimen_rules, regimens,
                                       site))
    if problems:
        raise KnowledgeBaseError(problems)

    # A problem reading either was raised above.
    assert regimen_rules is not None
    assert regimens is not None
    content_hash = _content_hash(root, site_root / SITE_FILE if site is not None else None)
    return build_index(manifest, names, drugs, classes, [a for _, a in loaded_agents], regimen_rules, site,
                       content_hash, regimens, cache)


def _read(root: Path, relative: str, model: type[_Model], problems: list[Problem]) -> _Model | None:
    """Parse one TOML file into its model, adding every problem to `problems`."""
    try:
        raw = tomllib.loads((root / relative).read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(Problem(relative, "", "file missing"))
        return None
    except OSError as error:  # a directory where the file should be, no permission
        problems.append(Problem(relative, "", f"cannot be read: {error.strerror or error}"))
        return None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        problems.append(Problem(relative, "", f"not valid TOML: {error}"))
        return None
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        for item in error.errors():
            problems.append(Problem(relative, _location(item["loc"]), item["msg"]))
        return None


def _location(loc: tuple[int | str, ...]) -> str:
    """pydantic's ("interaction", 4, "dose") as the files' readers write it: interaction[4].dose."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


def _content_hash(root: Path, site_file: Path | None) -> str:
    """SHA-256 over every file's relative path and bytes (the site's file too), so any edit changes the hash."""
    digest = hashlib.sha256()
    # Hidden entries are left out: a Kubernetes ConfigMap volume keeps timestamped copies in "..2026_..."
    # directories beside the files it links, which would change the hash with no edit.
    files = [(p.relative_to(root).as_posix(), p) for p in sorted(root.rglob("*.toml"))
             if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)]
    if site_file is not None and site_file.parent != root:
        files.append((SITE_FILE, site_file))
    for relative, file in files:
        digest.update(relative.encode())
        digest.update(b"\0")
        digest.update(file.read_bytes())
        digest.update(b"\0")
    return f"sha256:{digest.hexdigest()}"
