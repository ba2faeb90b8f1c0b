"""Template versions: import (all or nothing; a changed template gets the next version), the
bundled templates, and finding the template a member means."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from domain.approvals.checks import check_template
from domain.approvals.models import ApprovalTemplate
from domain.approvals.people import known_handles
from domain.approvals.template import TemplateFile, TemplateSpec
from domain.directory.orgfile import Problem, problem_at
from domain.shared.errors import NotFound
from domain.shared.yamlfile import DefinitionInvalid, load_yaml, validate

BUNDLED_DIR = Path(__file__).parent / "bundled"
LISTS = ("fields", "flow")  # a template's lists whose broken items are left out to read the rest


@dataclass
class TemplateImport:
    """What an import changed: ``(key, version)`` created, and keys left as they were."""

    created: list[tuple[str, int]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Versioned:
    """A template with the version it is stored as."""

    spec: TemplateSpec
    version: int
    bundled: bool


def parse_templates(text: str, handles: set[str]) -> list[tuple[TemplateSpec, str]]:
    """Every template of a file with its own YAML; ``DefinitionInvalid`` lists every problem.

    A file holds one template, or several under ``templates:``. The shape and the meaning are
    checked in one run: the meaning of every template whose shape reads once its broken fields
    and flow items are left out.
    """
    data, root = load_yaml(text)
    several = isinstance(data, dict) and "templates" in data
    items = _items(data) if several else [data]
    bases: list[tuple[Any, ...]] = (
        [("templates", i) for i in range(len(items))] if several else [()]
    )
    problems = _shape_problems(TemplateFile if several else TemplateSpec, data, root)
    reads = [read_template(item) for item in items]
    keys: set[str] = set()
    for read, base in zip(reads, bases, strict=True):
        if read is None:
            continue
        if read.spec.key in keys:
            problems.append(problem_at(root, (*base, "key"), f"{read.spec.key!r} appears twice"))
        keys.add(read.spec.key)
        found = check_template(read.spec, handles, read.unread)
        problems += [problem_at(root, (*base, *read.place(path)), text) for path, text in found]
    if problems:
        raise DefinitionInvalid(problems)
    return [
        (read.spec, yaml.safe_dump(item, allow_unicode=True, sort_keys=False))
        for read, item in zip(reads, items, strict=True)
        if read is not None  # every one, when the shape has no problem
    ]


def _items(data: dict[str, Any]) -> list[Any]:
    templates = data["templates"]
    return templates if isinstance(templates, list) else []


def _shape_problems(model: type[BaseModel], data: Any, root: yaml.Node | None) -> list[Problem]:
    try:
        validate(model, data, root)
    except DefinitionInvalid as exc:
        return list(exc.problems)
    return []


@dataclass(frozen=True, slots=True)
class ReadTemplate:
    """A template as far as its shape reads: ``kept`` maps each field and flow item read to its
    index in the file; ``unread`` are the keys of the fields left out."""

    spec: TemplateSpec
    kept: dict[str, list[int]]
    unread: frozenset[str]

    def place(self, path: tuple[Any, ...]) -> tuple[Any, ...]:
        """A path below the template read, as a path in the file."""
        if len(path) > 1 and path[0] in self.kept and isinstance(path[1], int):
            return (path[0], self.kept[path[0]][path[1]], *path[2:])
        return path


def read_template(item: Any) -> ReadTemplate | None:
    """The template, with its broken fields and flow items left out; None when even that does
    not read (its problems of shape are reported)."""
    if not isinstance(item, dict):
        return None
    try:
        spec = TemplateSpec.model_validate(item)
    except ValidationError as exc:
        broken = _broken_items(exc)
    else:
        return ReadTemplate(spec, {}, frozenset())
    if broken is None:
        return None
    trimmed, kept = dict(item), {}
    for section in LISTS:
        entries = item.get(section)
        if isinstance(entries, list):
            kept[section] = [i for i in range(len(entries)) if i not in broken[section]]
            trimmed[section] = [entries[i] for i in kept[section]]
    try:
        spec = TemplateSpec.model_validate(trimmed)
    except ValidationError:
        return None
    fields = item.get("fields") or []
    unread = frozenset(
        fields[i]["key"]
        for i in broken["fields"]
        if isinstance(fields[i], dict) and isinstance(fields[i].get("key"), str)
    )
    return ReadTemplate(spec, kept, unread)


def _broken_items(exc: ValidationError) -> dict[str, set[int]] | None:
    """The indexes of the broken fields and flow items; None if anything else is broken."""
    broken: dict[str, set[int]] = {section: set() for section in LISTS}
    for err in exc.errors():
        loc = err["loc"]
        if len(loc) < 2 or loc[0] not in broken or not isinstance(loc[1], int):
            return None
        broken[str(loc[0])].add(loc[1])
    return broken


def import_templates(session: Session, text: str, now: datetime) -> TemplateImport:
    """Add new templates and new versions of changed ones; requests keep their versions."""
    report = TemplateImport()
    for spec, source in parse_templates(text, known_handles(session)):
        created = store_template(session, spec, source, now, bundled=False)
        if created is None:
            report.unchanged.append(spec.key)
        else:
            report.created.append((spec.key, created))
    return report


def checksum_of(spec: TemplateSpec) -> str:
    """A fingerprint of a definition: equal definitions are the same version. Optional keys
    added later (``budget_account``) count only when set, so stored fingerprints still match."""
    definition = spec.model_dump(mode="json")
    if definition.get("budget_account") is None:
        definition.pop("budget_account", None)
    canonical = json.dumps(definition, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def store_template(
    session: Session, spec: TemplateSpec, source: str, now: datetime, *, bundled: bool
) -> int | None:
    """Store a new version if the definition changed; its number, or None if unchanged."""
    checksum = checksum_of(spec)
    latest = _latest_row(session, spec.key)
    if latest is not None and latest.checksum == checksum:
        return None
    version = (latest.version if latest else 0) + 1
    dialect = session.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    inserted = session.execute(
        insert_(ApprovalTemplate)
        .values(
            key=spec.key,
            version=version,
            definition=spec.model_dump(mode="json"),
            source=source,
            checksum=checksum,
            bundled=bundled,
            created_at=now,
        )
        .on_conflict_do_nothing()
        .returning(ApprovalTemplate.version)
    ).first()
    return version if inserted else None


def _latest_row(session: Session, key: str) -> ApprovalTemplate | None:
    return session.scalars(
        select(ApprovalTemplate)
        .where(ApprovalTemplate.key == key)
        .order_by(ApprovalTemplate.version.desc())
        .limit(1)
    ).first()


def ensure_bundled(session: Session, now: datetime) -> list[str]:
    """Store each bundled template whose key has no version yet; returns the keys stored."""
    stored = set(session.scalars(select(ApprovalTemplate.key).distinct()))
    added = []
    for path in sorted(BUNDLED_DIR.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        for spec, source in parse_templates(text, set()):
            if spec.key not in stored and store_template(session, spec, source, now, bundled=True):
                added.append(spec.key)
    return added


@lru_cache(maxsize=256)
def _spec_of(checksum: str, definition: str) -> TemplateSpec:
    return TemplateSpec.model_validate(json.loads(definition))


def _versioned(row: ApprovalTemplate) -> Versioned:
    definition = json.dumps(row.definition, sort_keys=True, ensure_ascii=False)
    return Versioned(_spec_of(row.checksum, definition), row.version, row.bundled)


def template_version(session: Session, key: str, version: int) -> Versioned:
    """One stored version."""
    row = session.get(ApprovalTemplate, (key, version))
    if row is None:
        raise NotFound("There is no approval template {key}.", key=key)
    return _versioned(row)


def current_templates(session: Session) -> list[Versioned]:
    """The newest version of every template, by key."""
    newest = (
        select(ApprovalTemplate.key, func.max(ApprovalTemplate.version).label("version"))
        .group_by(ApprovalTemplate.key)
        .subquery()
    )
    rows = session.scalars(
        select(ApprovalTemplate)
        .join(
            newest,
            (newest.c.key == ApprovalTemplate.key) & (newest.c.version == ApprovalTemplate.version),
        )
        .order_by(ApprovalTemplate.key)
    )
    return [_versioned(r) for r in rows]


def find_template(session: Session, word: str) -> Versioned:
    """The newest version of the template a member means: by key, alias or name."""
    wanted = word.strip().lower()
    for candidate in current_templates(session):
        spec = candidate.spec
        names = {
            spec.key,
            *(a.lower() for a in spec.aliases),
            *(n.lower() for n in spec.name.values()),
        }
        if wanted in names:
            return candidate
    raise NotFound("There is no approval template {key}.", key=word)
