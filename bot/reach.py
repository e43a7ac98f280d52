"""Which routers an update can reach, worked out once, read with a few look-ups.

Each area has several small routers (one per flow or phase), so a dispatcher walks
some seventy of them for an update that falls through to the fallback, running
every router's root filters ("a private chat", "the admin group") on the way.
Most of them cannot match whatever their root filters say: their handlers wait for
a conversation state the chat is not in, a command it did not send, or a button
of another area. For each router this module works out its **reach** — a superset
of what its handlers' quick checks admit (states, command names, the button data's
prefix) — and, for a router's sub-routers, an **index** from those keys to the
sub-routers that may match. ``bot.routing.propagate`` walks only those, in their
order; root filters only filter (they change nothing), so skipping a router that
cannot match changes no outcome.

Measured in decision 0010's terms (bench/updates.py, docs/performance.md): a text
that falls through visited 69 routers and ran 67 root filters before; 3 after.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import FilterObject, HandlerObject
from aiogram.dispatcher.event.telegram import TelegramEventObserver
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.types import CallbackQuery, Message, TelegramObject
from magic_filter.operations import CallOperation, ComparatorOperation, GetAttributeOperation

ORIGINAL = "_courtyard_original"  # a wrapped filter's own callable
ANY = None  # "no constraint"


def original(event_filter: FilterObject) -> Any:
    return getattr(event_filter.callback, ORIGINAL, event_filter.callback)


def command_name(text: str) -> str:
    """The command a text names, as aiogram's Command filter extracts it."""
    parts = text.split(maxsplit=1)
    return parts[0][1:].partition("@")[0] if parts else ""


@dataclass(frozen=True)
class Reach:
    """What an update must be for some handler of one observer to match it."""

    unconstrained: bool  # some handler needs no state, command or button prefix
    states: frozenset[str | None]  # the states some other handler matches in
    prefixes: str  # command prefixes some command handler takes
    names: frozenset[str] | None  # their command names, casefolded (None: any)
    data: tuple[str, ...]  # what a button's data starts with for a state-free handler


def data_prefix(handler: HandlerObject) -> str | None:
    """What a button's data must start with for the handler, when a filter says:
    a CallbackData class's filter, ``F.data == "…"`` or ``F.data.startswith("…")``."""
    for event_filter in handler.filters or ():
        callback = original(event_filter)
        if isinstance(callback, CallbackQueryFilter):
            factory = callback.callback_data
            return f"{factory.__prefix__}{factory.__separator__}"
        operations: tuple[Any, ...] = getattr(event_filter.magic, "_operations", ())
        if len(operations) < 2 or not isinstance(operations[0], GetAttributeOperation):
            continue
        if operations[0].name != "data":
            continue
        rest = operations[1:]
        if (
            len(rest) == 1
            and isinstance(rest[0], ComparatorOperation)
            and rest[0].comparator is operator.eq
            and isinstance(rest[0].right, str)
        ):
            return rest[0].right
        if (
            len(rest) == 2
            and isinstance(rest[0], GetAttributeOperation)
            and rest[0].name == "startswith"
            and isinstance(rest[1], CallOperation)
            and len(rest[1].args) == 1
            and isinstance(rest[1].args[0], str)
            and not rest[1].kwargs
        ):
            return rest[1].args[0]
    return None


def reach_of(observer: TelegramEventObserver, plan: Iterable[tuple[Any, ...]]) -> Reach | None:
    """The reach of a message or button observer from its handlers' plan
    (``(handler, required states, command need, filters)``); None for other updates."""
    buttons = observer.event_name == "callback_query"
    if observer.event_name != "message" and not buttons:
        return None
    unconstrained, states, prefixes = False, set[str | None](), ""
    names: set[str] | None = set()
    data: list[str] = []
    for handler, required, command, _ in plan:
        if command is not None:
            prefixes += command.prefixes
            if command.names is None or names is None:
                names = None
            else:
                names |= {name.casefold() for name in command.names}
            continue
        if required is not ANY:
            states |= required
            continue
        prefix = data_prefix(handler) if buttons else None
        if prefix is None:
            unconstrained = True
        else:
            data.append(prefix)
    return Reach(
        unconstrained,
        frozenset(states),
        prefixes,
        frozenset(names) if names is not None else None,
        tuple(data),
    )


@dataclass
class Index:
    """For one router's sub-routers and one update type: which may match."""

    routers: list[Router]
    always: set[int] = field(default_factory=set)  # no reach worked out, or unconstrained
    by_state: dict[str | None, set[int]] = field(default_factory=dict)
    prefixes: str = ""
    by_name: dict[str, set[int]] = field(default_factory=dict)
    any_name: set[int] = field(default_factory=set)
    by_data: list[tuple[str, int]] = field(default_factory=list)
    # by_data grouped on what a prefix says up to its first ":" (``pk:``, ``menu:``):
    # a button's data can only match the prefixes of its own head.
    by_head: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    headless: list[tuple[str, int]] = field(default_factory=list)

    def candidates(self, event: TelegramObject, raw_state: Any) -> list[Router]:
        found = set(self.always)
        found.update(self.by_state.get(raw_state, ()))
        if isinstance(event, Message) and self.prefixes:
            text = event.text or event.caption
            if text and text[0] in self.prefixes:
                found.update(self.any_name)
                found.update(self.by_name.get(command_name(text).casefold(), ()))
        elif isinstance(event, CallbackQuery) and self.by_data:
            data = event.data or ""
            colon = data.find(":")
            near = self.by_head.get(data[: colon + 1], ()) if colon >= 0 else ()
            for prefix, i in (*near, *self.headless):
                if data.startswith(prefix):
                    found.add(i)
        if len(found) == len(self.routers):
            return self.routers
        return [self.routers[i] for i in sorted(found)]


def build_index(routers: list[Router], update_type: str, reach: dict[int, Reach | None]) -> Index:
    """The index of ``routers`` for ``update_type``; ``reach`` maps each router's
    observer (by id) to its reach."""
    index = Index(list(routers))
    for i, router in enumerate(routers):
        observer = router.observers.get(update_type)
        found = reach.get(id(observer)) if observer is not None else None
        if router.sub_routers or observer is None or observer.outer_middleware:
            index.always.add(i)
        elif found is None or found.unconstrained:
            index.always.add(i)
        else:
            for state in found.states:
                index.by_state.setdefault(state, set()).add(i)
            if found.prefixes:
                index.prefixes += found.prefixes
                if found.names is None:
                    index.any_name.add(i)
                else:
                    for name in found.names:
                        index.by_name.setdefault(name, set()).add(i)
            index.by_data += [(prefix, i) for prefix in found.data]
    for prefix, i in index.by_data:
        colon = prefix.find(":")
        if colon >= 0:
            index.by_head.setdefault(prefix[: colon + 1], []).append((prefix, i))
        else:
            index.headless.append((prefix, i))
    return index
