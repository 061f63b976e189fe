"""Read a KB directory (departments.yaml + entry files) into a validated KnowledgeBase."""

from __future__ import annotations

import difflib

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from kb.errors import KbError, show_path, translate
from kb.knowledge import KnowledgeBase
from kb.schema import Department, Digest, Entry, Feedback, MatchingOverride
from kb.schedule import unknown_keys
from kb.standards import STANDARD_KEYS

DEPARTMENTS_FILE = "departments.yaml"
CASES_FILE = "cases.yaml"  # KB regression cases (question -> expected entry), not entries
_ENTRY_FIELDS = set(Entry.model_fields) - {"source", "answers"}  # answers: from `answer: {en: …}`
_DEPARTMENT_FIELDS = set(Department.model_fields)
_ROTATION_FIELDS = {"members", "handoff", "timezone", "start", "period_days"}
_FEEDBACK_FIELDS = set(Feedback.model_fields)
_DIGEST_FIELDS = set(Digest.model_fields)
# A department's nested blocks whose unknown keys are reported (the on-call ones by kb.schedule.unknown_keys).
_BLOCK_FIELDS = {"rotation": _ROTATION_FIELDS, "standards": STANDARD_KEYS, "feedback": _FEEDBACK_FIELDS,
                 "digest": _DIGEST_FIELDS}


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:  # unhashable key; SafeLoader reports it itself below
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


_FAILED = object()  # distinct from None, which is what an empty YAML file parses to


def _read_yaml(path: Path, errors: list[str]) -> Any:
    """Parse one YAML file; on failure append a readable error and return _FAILED."""
    name = show_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        errors.append(f"{name}: not valid UTF-8 (byte {exc.start})")
        return _FAILED
    except OSError as exc:
        errors.append(f"{name}: cannot read file: {exc.strerror or exc}")
        return _FAILED
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}: " if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        errors.append(f"{name}: {where}could not parse YAML: {problem}")
        return _FAILED
    except yaml.YAMLError as exc:
        errors.append(f"{name}: could not parse YAML: {exc}")
    return _FAILED


def _label(prefix: str, index: int, raw: Any) -> str:
    """Return 'entries[3] (vpn-reset)' style labels, with the id only when it is readable."""
    ident = raw.get("id") if isinstance(raw, dict) else None
    return f"{prefix}[{index}] ({ident})" if isinstance(ident, str) and ident.strip() else f"{prefix}[{index}]"


def _unknown(where: str, raw: dict[str, Any], known: set[str], errors: list[str]) -> None:
    # A misspelt key would silently fall back to a default (keyword: instead of keywords:), so it is an
    # error that names the closest known key.
    for key in raw:
        if key not in known:
            errors.append(unknown_field(where, key, known))


def unknown_field(where: str, key: Any, known: set[str]) -> str:
    """ "<where>: unknown field 'keyword' (did you mean 'keywords'?)"."""
    close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(sorted(known))})"
    return f"{where}: unknown field {key!r}{hint}"


def _load_departments(
    path: Path, errors: list[str], warnings: list[str]
) -> tuple[dict[str, Department], str, MatchingOverride, list[str] | None]:
    """Return departments, default id, matching override, and declared ids (None if unusable)."""
    name = show_path(path)
    if not path.is_file():
        errors.append(f"{name}: file not found (every KB needs a departments.yaml)")
        return {}, "", MatchingOverride(), None
    data = _read_yaml(path, errors)
    if data is _FAILED:
        return {}, "", MatchingOverride(), None
    if not isinstance(data, dict):
        errors.append(f"{name}: must be a mapping with 'default' and 'departments'")
        return {}, "", MatchingOverride(), None
    _unknown(name, data, {"default", "departments", "matching"}, errors)
    departments, first_index = _department_list(name, data.get("departments"), errors, warnings)
    default = _default_department(name, data.get("default"), first_index, errors)
    matching = _matching(name, data.get("matching"), errors, warnings)
    # Ids of departments that failed validation still count, so their entries don't cascade errors.
    return departments, default, matching, list(first_index)


def _department_list(
    name: str, raw_list: Any, errors: list[str], warnings: list[str]
) -> tuple[dict[str, Department], dict[str, int]]:
    """Valid departments by id, and the index of every declared id (valid or not) in the list."""
    departments: dict[str, Department] = {}
    first_index: dict[str, int] = {}
    if not isinstance(raw_list, list) or not raw_list:
        errors.append(f"{name}: departments must be a non-empty list")
        raw_list = []
    for i, raw in enumerate(raw_list):
        label = f"{name}: {_label('departments', i, raw)}"
        if not isinstance(raw, dict):
            errors.append(f"{label}: must be a mapping, got {type(raw).__name__}")
            continue
        _unknown(label, raw, _DEPARTMENT_FIELDS, errors)
        for block, known in _BLOCK_FIELDS.items():
            if isinstance(raw.get(block), dict):
                _unknown(f"{label}: {block}", raw[block], known, errors)
        errors.extend(unknown_field(f"{label}: {where}", key, known) for where, key, known in unknown_keys(raw))
        try:
            dep = Department.model_validate(raw)
        except ValidationError as exc:
            errors.extend(translate(label, exc))
            if isinstance(raw.get("id"), str):
                first_index.setdefault(raw["id"].strip(), i)  # still known, so entries don't cascade
            continue
        if dep.id in first_index:
            errors.append(f"{label}: id {dep.id!r} is already used by departments[{first_index[dep.id]}]")
            continue
        first_index[dep.id] = i
        departments[dep.id] = dep
    return departments, first_index


def _default_department(name: str, default: Any, first_index: dict[str, int], errors: list[str]) -> str:
    """The default department's id, or "" after reporting why it is unusable."""
    if default is None:
        errors.append(f"{name}: default is required (the department that gets unclaimed questions)")
        return ""
    if not isinstance(default, str) or default not in first_index:
        known = ", ".join(first_index) or "none"
        errors.append(f"{name}: default {default!r} is not a department (known: {known})")
        return ""
    return default


def _matching(name: str, raw: Any, errors: list[str], warnings: list[str]) -> MatchingOverride:
    """The KB-wide matching override (empty when absent or invalid)."""
    if raw is None:
        return MatchingOverride()
    if not isinstance(raw, dict):
        errors.append(f"{name}: matching must be a mapping with min_score, min_margin and/or min_choice_score")
        return MatchingOverride()
    _unknown(f"{name}: matching", raw, {"min_score", "min_margin", "min_choice_score"}, errors)
    try:
        return MatchingOverride.model_validate(raw)
    except ValidationError as exc:
        errors.extend(translate(f"{name}: matching", exc))
        return MatchingOverride()


def load_kb(kb_dir: Path) -> KnowledgeBase:
    """Load and validate every YAML file of kb_dir; raise KbError listing all problems."""
    kb_dir = Path(kb_dir)
    if not kb_dir.is_dir():
        raise KbError([f"{show_path(kb_dir)}: knowledge base directory not found"])
    errors: list[str] = []
    warnings: list[str] = []
    departments, default, matching, dep_ids = _load_departments(kb_dir / DEPARTMENTS_FILE, errors, warnings)

    for stray in sorted(kb_dir.glob("*.yml")):
        warnings.append(f"{show_path(stray)}: ignored (KB files must end in .yaml)")
    files = sorted(p for p in kb_dir.glob("*.yaml") if p.name not in (DEPARTMENTS_FILE, CASES_FILE) and p.is_file())
    if not files:
        warnings.append(f"{show_path(kb_dir)}: no entry files (*.yaml besides {DEPARTMENTS_FILE}); every question escalates")

    entries: dict[str, Entry] = {}
    where: dict[str, str] = {}
    for path in files:
        name = show_path(path)
        for i, raw in enumerate(_raw_entries(path, errors, warnings)):
            entry = _entry(name, i, raw, dep_ids, errors, warnings)
            if entry is None:
                continue
            if entry.id in entries:
                label = f"{name}: {_label('entries', i, raw)}"
                errors.append(f"{label}: id {entry.id!r} is already used by {where[entry.id]}")
                continue
            entries[entry.id] = entry
            where[entry.id] = f"{name} entries[{i}]"
    if errors:
        raise KbError(errors)
    entries = _check_related(entries, where, warnings)
    return KnowledgeBase(
        entries=entries,
        departments=departments,
        default_department=default,
        warnings=warnings,
        files=[show_path(p) for p in files],
        override=matching,
    )


def _check_related(entries: dict[str, Entry], where: dict[str, str], warnings: list[str]) -> dict[str, Entry]:
    """Drop `related:` ids that name no entry (or the entry itself), with a warning naming file and entry."""
    out = {}
    for eid, entry in entries.items():
        keep: list[str] = []
        label = where[eid].replace(" entries[", ": entries[", 1)
        for rid in entry.related:
            if rid == eid:
                warnings.append(f"{label} ({eid}): related lists the entry itself; ignored")
            elif rid not in entries:
                warnings.append(f"{label} ({eid}): related entry {rid!r} does not exist; ignored")
            elif rid not in keep:
                keep.append(rid)
        out[eid] = entry if keep == entry.related else entry.model_copy(update={"related": keep})
    return out


def _raw_entries(path: Path, errors: list[str], warnings: list[str]) -> list[Any]:
    """The raw `entries:` list of one entry file ([] after reporting a file that has none)."""
    name = show_path(path)
    data = _read_yaml(path, errors)
    if data is _FAILED:
        return []
    if not isinstance(data, dict) or "entries" not in data:
        errors.append(f"{name}: missing top-level 'entries:' list")
        return []
    _unknown(name, data, {"entries"}, errors)
    raw_entries = data["entries"]
    if raw_entries is None:
        raw_entries = []
    if not isinstance(raw_entries, list):
        errors.append(f"{name}: entries must be a list, got {type(raw_entries).__name__}")
        return []
    if not raw_entries:
        warnings.append(f"{name}: no entries")
    return raw_entries


def _entry(
    name: str, i: int, raw: Any, dep_ids: list[str] | None, errors: list[str], warnings: list[str]
) -> Entry | None:
    """One validated entry of file `name` (None after reporting why it is not one)."""
    label = f"{name}: {_label('entries', i, raw)}"
    if not isinstance(raw, dict):
        errors.append(f"{label}: must be a mapping, got {type(raw).__name__}")
        return None
    _unknown(label, raw, _ENTRY_FIELDS, errors)
    try:
        entry = Entry.model_validate({**raw, "source": name})
    except ValidationError as exc:
        errors.extend(translate(label, exc))
        return None
    if dep_ids is not None and entry.department not in dep_ids:
        known = ", ".join(dep_ids) or "none"
        errors.append(f"{label}: department {entry.department!r} is not defined in {DEPARTMENTS_FILE} (known: {known})")
    return entry
