"""The code's shape, checked on every run (no database): file sizes, layer imports,
staff checks and commits in handlers, and duplicated code in handlers.

Each allowlist below names what was already off when the check arrived (issue 13).
They may only shrink: a check fails when a listed file no longer needs its entry,
so whoever fixes a file deletes its line. The figures are printed at the end of
the run (``tests/conftest.py``'s terminal summary).
"""

from __future__ import annotations

import ast
import hashlib
import keyword
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "core", "access", "handlers", "bench")
MAX_LINES = 400

# Files over MAX_LINES today.
LONG_FILES: set[str] = set()

# core/ modules importing access/ today.
CORE_IMPORTS_ACCESS: set[str] = set()

# handlers/ modules importing from SQLAlchemy more than the session type today.
HANDLERS_USING_SQLALCHEMY: set[str] = set()

# bot/ modules importing handlers/ besides the assembly today.
BOT_IMPORTING_HANDLERS: set[str] = set()
ASSEMBLY = "bot/assembly.py"

# handlers/ modules (outside the kit) calling ensure_staff / commit today.
HANDLERS_ENSURING_STAFF: set[str] = set()
HANDLERS_COMMITTING: set[str] = set()

# Pairs of places in handlers/ sharing six same-shaped lines (see duplicate_pairs),
# today; the target is under 10. Lower it when you remove duplicates.
MAX_DUPLICATES = 4
DUPLICATE_WINDOW = 6

# figure name -> value, printed in the terminal summary (tests/conftest.py)
FIGURES: dict[str, str] = {}


def _sources(*packages: str) -> Iterator[tuple[str, Path]]:
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith("core/migrations/"):
                continue
            yield rel, path


def _stale(allowlist: set[str], offenders: set[str]) -> set[str]:
    return allowlist - offenders


def _check(name: str, offenders: set[str], allowlist: set[str], figure: str) -> None:
    FIGURES[name] = figure
    new = offenders - allowlist
    stale = _stale(allowlist, offenders)
    assert not new, f"{name}: {figure}; not allowed: {sorted(new)}"
    assert not stale, f"{name}: {figure}; fixed, delete from the allowlist: {sorted(stale)}"


def test_no_source_file_over_400_lines() -> None:
    sizes = {
        rel: len(path.read_text(encoding="utf-8").splitlines()) for rel, path in _sources(*PACKAGES)
    }
    long = {rel for rel, size in sizes.items() if size > MAX_LINES}
    handlers = [rel for rel in sizes if rel.startswith("handlers/")]
    figure = (
        f"{len(long)} of {len(sizes)} source files over {MAX_LINES} lines "
        f"({len([r for r in long if r.startswith('handlers/')])} of {len(handlers)} in handlers/; "
        f"largest {max(sizes.values())})"
    )
    _check("files over 400 lines", long, LONG_FILES, figure)


def _imports(path: Path) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(module, names imported from it) for every import in the file, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join((*base, module) if module else base)
            yield module, tuple(alias.name for alias in node.names)


def _importers(packages: tuple[str, ...], wanted: str) -> set[str]:
    return {
        rel
        for rel, path in _sources(*packages)
        if any(m == wanted or m.startswith(wanted + ".") for m, _ in _imports(path))
    }


def test_core_and_access_import_no_aiogram() -> None:
    offenders = _importers(("core", "access"), "aiogram")
    _check("core/access importing aiogram", offenders, set(), f"{len(offenders)} modules")


def test_core_does_not_import_access() -> None:
    offenders = _importers(("core",), "access")
    _check("core importing access", offenders, CORE_IMPORTS_ACCESS, f"{len(offenders)} modules")


def test_handlers_use_only_the_session_type_from_sqlalchemy() -> None:
    offenders = set()
    for rel, path in _sources("handlers"):
        for module, names in _imports(path):
            if module == "sqlalchemy" or module.startswith("sqlalchemy."):
                if (module, names) != ("sqlalchemy.ext.asyncio", ("AsyncSession",)):
                    offenders.add(rel)
    queries = sum(
        sum(1 for called in _calls(path) if called in {"select", "execute"})
        for _, path in _sources("handlers")
    )
    figure = (
        f"{len(offenders)} handler modules import more than AsyncSession; "
        f"{queries} select(/execute( calls in handlers/"
    )
    _check("handlers importing sqlalchemy", offenders, HANDLERS_USING_SQLALCHEMY, figure)


def test_only_the_assembly_imports_handlers() -> None:
    offenders = _importers(("bot",), "handlers") - {ASSEMBLY}
    assert ASSEMBLY in _importers(("bot",), "handlers")
    figure = f"{len(offenders)} bot modules besides {ASSEMBLY}"
    _check("bot importing handlers", offenders, BOT_IMPORTING_HANDLERS, figure)


def _calls(path: Path) -> Iterator[str]:
    """The called name of every call in the file (``f`` of ``f()``, ``m`` of ``x.m()``)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                yield func.id
            elif isinstance(func, ast.Attribute):
                yield func.attr


def _handler_calls(name: str) -> tuple[set[str], int]:
    offenders, count = set(), 0
    for rel, path in _sources("handlers"):
        if rel.startswith("handlers/kit/"):
            continue
        n = sum(1 for called in _calls(path) if called == name)
        if n:
            offenders.add(rel)
            count += n
    return offenders, count


def test_no_hand_written_staff_checks_in_handlers() -> None:
    offenders, count = _handler_calls("ensure_staff")
    figure = f"{count} ensure_staff calls in {len(offenders)} modules"
    _check("ensure_staff calls", offenders, HANDLERS_ENSURING_STAFF, figure)


def test_no_commits_in_handlers() -> None:
    offenders, count = _handler_calls("commit")
    figure = f"{count} commit calls in {len(offenders)} modules"
    _check("commits in handlers", offenders, HANDLERS_COMMITTING, figure)


_STRING = re.compile(r"""[rbfuRBFU]{0,2}("[^"\\]*(?:\\.[^"\\]*)*"|'[^'\\]*(?:\\.[^'\\]*)*')""")
_NUMBER = re.compile(r"\b\d[\d_]*(?:\.\d+)?\b")
_IDENTIFIER = re.compile(r"\b[A-Za-z_]\w*\b")
_SPACE = re.compile(r"\s+")


def _shape(line: str) -> str:
    """The line with every string, number and identifier (keywords kept) replaced
    by a placeholder, so lines that differ only in names have the same shape."""
    text = _STRING.sub("S", line.strip())
    text = _NUMBER.sub("0", text)
    text = _IDENTIFIER.sub(lambda m: m.group() if keyword.iskeyword(m.group()) else "N", text)
    return _SPACE.sub(" ", text)


def _meaningful(line: str) -> bool:
    """Not blank, a comment, an import, or brackets alone: lines that say nothing
    about what the code does."""
    text = line.strip()
    return bool(_WORDY.search(text)) and not text.startswith(("#", "from ", "import "))


_WORDY = re.compile(r"[A-Za-z0-9]")


def duplicate_pairs(
    files: list[tuple[str, list[str]]], window: int = DUPLICATE_WINDOW
) -> list[tuple[str, int, str, int]]:
    """Pairs of places sharing ``window`` consecutive lines of the same shape
    (see :func:`_meaningful` for the lines skipped), as (file, line, file, line).

    A window counts only when its lines have ``window`` different shapes: a run of
    alike lines (a parameter list, a table) is a list, not copied logic. Windows
    matching at the same distance one after another are one pair of places."""
    seen: dict[bytes, list[tuple[int, int]]] = defaultdict(list)
    numbered: list[list[int]] = []
    for index, (_, lines) in enumerate(files):
        kept = [(n, _shape(line)) for n, line in enumerate(lines, 1) if _meaningful(line)]
        numbered.append([n for n, _ in kept])
        shapes = [shape for _, shape in kept]
        for start in range(len(shapes) - window + 1):
            chunk = shapes[start : start + window]
            if len(set(chunk)) == window:
                seen[hashlib.blake2b("\n".join(chunk).encode()).digest()].append((index, start))
    # (file a, file b, distance) -> window starts in a; a run of consecutive starts is one pair
    diagonals: dict[tuple[int, int, int], set[int]] = defaultdict(set)
    for places in seen.values():
        for i, (file_a, start_a) in enumerate(places):
            for file_b, start_b in places[i + 1 :]:
                if file_a == file_b and abs(start_a - start_b) < window:
                    continue
                diagonals[(file_a, file_b, start_b - start_a)].add(start_a)
    pairs = []
    for (file_a, file_b, distance), starts in diagonals.items():
        for start in sorted(starts):
            if start - 1 not in starts:
                line_a = numbered[file_a][start]
                line_b = numbered[file_b][start + distance]
                pairs.append((files[file_a][0], line_a, files[file_b][0], line_b))
    return sorted(pairs)


def test_duplicated_code_in_handlers() -> None:
    files = [
        (rel, path.read_text(encoding="utf-8").splitlines()) for rel, path in _sources("handlers")
    ]
    pairs = duplicate_pairs(files)
    FIGURES["duplicated places in handlers"] = f"{len(pairs)} pairs (allowed {MAX_DUPLICATES})"
    listing = "\n".join(f"  {a}:{la} ~ {b}:{lb}" for a, la, b, lb in pairs)
    assert len(pairs) <= MAX_DUPLICATES, (
        f"{len(pairs)} pairs of places in handlers/ share {DUPLICATE_WINDOW} same-shaped lines "
        f"(allowed {MAX_DUPLICATES}); factor them into handlers/kit or a shared helper:\n" + listing
    )


def test_duplicate_detector() -> None:
    block = [
        "def f(a):",
        "    x = a + 1",
        "    y = g(x)",
        "    if y:",
        "        return 'k'",
        "    z()",
    ]
    renamed = [line.replace("a", "b").replace("'k'", "'z'").replace("1", "3") for line in block]
    assert duplicate_pairs([("one", block), ("two", renamed)]) == [("one", 1, "two", 1)]
    longer = [*block, "    return 2"]
    assert len(duplicate_pairs([("one", longer), ("two", ["", *longer, ")"])])) == 1
    assert duplicate_pairs([("one", [*block, "", "q = 1", *block])]) == [("one", 1, "one", 9)]
    assert duplicate_pairs([("one", block[:5]), ("two", block[:5])]) == []
    params = ["    a: int,"] * 8
    assert duplicate_pairs([("one", params), ("two", params)]) == []
