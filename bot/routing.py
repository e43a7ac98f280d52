"""Faster handler selection for aiogram routers, with the same outcome.

aiogram finds the handler for an update by asking every handler of every router,
in order, whether its filters pass. With a few hundred handlers that is most of
the time spent on an update that falls through to the fallback, and two costs
dominate:

1. **Plain filters run in a thread.** A filter that is not a coroutine function —
   every magic filter (``F.text``, ``F.data == "…"``) and ``State`` — goes through
   ``asyncio.to_thread``: a thread hop per check. Ours are pure attribute tests,
   so :func:`accelerate` wraps them in a coroutine that calls them directly.
2. **Handlers that cannot match are still asked.** A handler bound to conversation
   states (``State`` or ``StateFilter`` among its filters) can only match when the
   update's state is one of them; a handler with a ``Command`` filter only when the
   text starts with a command prefix. :func:`accelerate` works out these
   conditions once and the observer's ``trigger`` skips such handlers with a set
   look-up; the rest are checked with every one of their filters, as aiogram's
   ``HandlerObject.check`` does (so the filters keep the last word), a magic
   filter being resolved on the event directly. A ``Command`` filter with plain
   command names also skips on the name (``/nosuchcommand`` is not offered to
   every command handler in turn).
3. **Walking the routers costs more than it needs to.** aiogram wraps every
   router's step in its outer-middleware chain (partials rebuilt per router, per
   update) even when a router has none; :func:`propagate` walks the same tree in
   the same order with the same data, going through a middleware chain only where
   one is registered.
"""

from __future__ import annotations

import inspect
import operator
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.bases import REJECTED, UNHANDLED, SkipHandler
from aiogram.dispatcher.event.handler import FilterObject, HandlerObject
from aiogram.dispatcher.event.telegram import TelegramEventObserver
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, TelegramObject
from magic_filter.operations import CallOperation, ComparatorOperation, GetAttributeOperation

_ORIGINAL = "_courtyard_original"
_TRIGGER_WITH = "_courtyard_trigger_with"
_REACH = "_courtyard_reach"
_ANY = None  # "no constraint"


def accelerate(router: Router) -> None:
    """Apply both speed-ups to ``router`` and every router below it."""
    for each in router.chain_tail:
        for observer in each.observers.values():
            for handler in (observer._handler, *observer.handlers):
                for event_filter in handler.filters or ():
                    if not event_filter.awaitable:
                        event_filter.callback = _as_coroutine(event_filter.callback)
                        event_filter.awaitable = True
            _install_trigger(observer)


def _as_coroutine(function: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    async def call(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    setattr(call, _ORIGINAL, function)
    return call


def _original(event_filter: FilterObject) -> Any:
    return getattr(event_filter.callback, _ORIGINAL, event_filter.callback)


def _states_of(value: Any) -> set[str | None] | None:
    """The raw states a state constraint admits, or None for "any / unknown"."""
    if value is None:
        return {None}
    if isinstance(value, str):
        return None if value == "*" else {value}
    if isinstance(value, State):
        return None if value.state == "*" else {value.state}
    if inspect.isclass(value) and issubclass(value, StatesGroup):
        return set(value.__all_states_names__)
    return None


def _required_states(handler: HandlerObject) -> frozenset[str | None] | None:
    """States the handler can match in (intersection of its state filters)."""
    required: set[str | None] | None = None
    for event_filter in handler.filters or ():
        callback = _original(event_filter)
        if isinstance(callback, State):
            admitted = _states_of(callback)
        elif isinstance(callback, StateFilter):
            admitted = set()
            for value in callback.states:
                states = _states_of(value)
                if states is None:
                    admitted = None
                    break
                admitted |= states
        else:
            continue
        if admitted is None:
            continue
        required = admitted if required is None else required & admitted
    return frozenset(required) if required is not None else _ANY


@dataclass(frozen=True)
class _CommandNeed:
    prefixes: str  # characters the text must start with
    names: frozenset[str] | None  # the command names it can be, None if a pattern is among them
    ignore_case: bool


def _command_need(handler: HandlerObject) -> _CommandNeed | None:
    """What a message's text must look like for the handler's Command filter."""
    for event_filter in handler.filters or ():
        callback = _original(event_filter)
        if isinstance(callback, Command):
            plain = all(isinstance(c, str) for c in callback.commands)
            names = frozenset(str(c) for c in callback.commands) if plain else None
            return _CommandNeed(callback.prefix, names, callback.ignore_case)
    return None


def _command_name(text: str) -> str:
    """The command a text names, as aiogram's Command filter extracts it."""
    parts = text.split(maxsplit=1)
    return parts[0][1:].partition("@")[0] if parts else ""


_Filters = tuple[tuple[Callable[[Any], Any] | None, FilterObject], ...]


def _filters(handler: HandlerObject) -> _Filters:
    """The handler's filters, each with its magic filter's resolver when it is one
    (a magic filter takes only the event: it is resolved right here)."""
    return tuple((_original(f) if f.magic is not None else None, f) for f in handler.filters or ())


async def _passes(filters: _Filters, event: TelegramObject, kwargs: dict[str, Any]) -> Any:
    """``HandlerObject.check``: None if a filter rejects, else the data the handler
    gets (``kwargs`` itself, or a copy with what the filters added)."""
    data = kwargs
    for resolve, event_filter in filters:
        check = resolve(event) if resolve is not None else await event_filter.call(event, **data)
        if not check:
            return None
        if isinstance(check, dict):
            if data is kwargs:
                data = dict(kwargs)
            data.update(check)
    return data


def _plan(
    observer: TelegramEventObserver,
) -> list[tuple[HandlerObject, Any, _CommandNeed | None, _Filters]]:
    return [
        (handler, _required_states(handler), _command_need(handler), _filters(handler))
        for handler in observer.handlers
    ]


@dataclass(frozen=True)
class _Reach:
    """What an update must be for any handler of an observer to match it: a
    superset of its handlers' quick checks (state, command, the button's data
    prefix), so a router whose handlers cannot match is passed over without
    running its root filters (they only filter; they change nothing)."""

    size: int  # the number of handlers it was worked out from
    unconstrained: bool  # some handler needs no state and no command or prefix
    states: frozenset[str | None]  # the states some other handler matches in
    prefixes: str  # command prefixes some command handler takes
    names: frozenset[str] | None  # their command names, casefolded (None: any)
    data: tuple[str, ...]  # what a button's data starts with for a state-free handler

    def admits(self, event: TelegramObject, raw_state: Any) -> bool:
        if self.unconstrained or raw_state in self.states:
            return True
        if isinstance(event, CallbackQuery):
            return bool(self.data) and (event.data or "").startswith(self.data)
        if not self.prefixes or not isinstance(event, Message):
            return False
        text = event.text or event.caption
        if not text or text[0] not in self.prefixes:
            return False
        return self.names is None or _command_name(text).casefold() in self.names


def _data_prefix(handler: HandlerObject) -> str | None:
    """What a button's data must start with for the handler, when a filter says:
    a CallbackData class's filter, ``F.data == "…"`` or ``F.data.startswith("…")``."""
    for event_filter in handler.filters or ():
        callback = _original(event_filter)
        if isinstance(callback, CallbackQueryFilter):
            factory = callback.callback_data
            return f"{factory.__prefix__}{factory.__separator__}"
        operations = getattr(event_filter.magic, "_operations", ())
        if not operations or not isinstance(operations[0], GetAttributeOperation):
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


def _reach(observer: TelegramEventObserver) -> _Reach | None:
    """The observer's reach for messages and buttons, None for other updates."""
    buttons = observer.event_name == "callback_query"
    if observer.event_name != "message" and not buttons:
        return None
    unconstrained, states, prefixes = False, set(), ""
    names: set[str] | None = set()
    data: list[str] = []
    for handler, required, command, _ in _plan(observer):
        if command is not None:
            prefixes += command.prefixes
            if command.names is None or names is None:
                names = None
            else:
                names |= {name.casefold() for name in command.names}
            continue
        if required is not _ANY:
            states |= required
            continue
        prefix = _data_prefix(handler) if buttons else None
        if prefix is None:
            unconstrained = True
        else:
            data.append(prefix)
    return _Reach(
        len(observer.handlers),
        unconstrained,
        frozenset(states),
        prefixes,
        frozenset(names) if names is not None else None,
        tuple(data),
    )


def _install_trigger(observer: TelegramEventObserver) -> None:
    plans = [_plan(observer)]
    setattr(observer, _REACH, _reach(observer))

    async def trigger_with(event: TelegramObject, given: dict[str, Any]) -> Any:
        """``trigger`` on the caller's data, copied (as ``**kwargs`` would) only
        once some handler gets past the quick checks."""
        kwargs: dict[str, Any] = given
        copied = False
        plan = plans[0]
        if len(plan) != len(observer.handlers):  # a handler registered since
            plan = plans[0] = _plan(observer)
        raw_state = kwargs.get("raw_state")
        text: str | None = None
        name: str | None = None
        if isinstance(event, Message):
            text = event.text or event.caption
        for handler, states, command, filters in plan:
            if states is not _ANY and raw_state not in states:
                continue
            if command is not None:
                if not text or text[0] not in command.prefixes:
                    continue
                if command.names is not None:
                    if name is None:
                        name = _command_name(text)
                    wanted = name.casefold() if command.ignore_case else name
                    if wanted not in command.names:
                        continue
            if not copied:
                kwargs, copied = dict(given), True
            kwargs["handler"] = handler
            data = await _passes(filters, event, kwargs)
            if data is not None:
                if data is not kwargs:
                    kwargs.update(data)
                try:
                    middlewares = observer._resolve_middlewares()
                    if not middlewares:  # what wrapping nothing would call
                        return await handler.call(event, **kwargs)
                    wrapped_inner = observer.outer_middleware.wrap_middlewares(
                        middlewares, handler.call
                    )
                    return await wrapped_inner(event, kwargs)
                except SkipHandler:
                    continue
        return UNHANDLED

    async def trigger(event: TelegramObject, **kwargs: Any) -> Any:
        return await trigger_with(event, kwargs)

    observer.trigger = trigger  # type: ignore[method-assign]
    setattr(observer, _TRIGGER_WITH, trigger_with)


async def propagate(
    router: Router, update_type: str, event: TelegramObject, kwargs: dict[str, Any]
) -> Any:
    """``router.propagate_event(update_type, event, **kwargs)``, the same walk:
    the router's root filters, its handlers, then its sub-routers in order, each
    sub-router with its own copy of the data; an observer's outer middlewares
    wrap its step only when it has some. ``kwargs`` is this call's own copy."""
    kwargs["event_router"] = router
    observer = router.observers.get(update_type)
    if observer is not None and observer.outer_middleware:

        async def step(telegram_event: TelegramObject, **data: Any) -> Any:
            return await _step(router, observer, update_type, telegram_event, data)

        return await observer.wrap_outer_middleware(step, event=event, data=kwargs)
    return await _step(router, observer, update_type, event, kwargs)


async def _step(
    router: Router,
    observer: TelegramEventObserver | None,
    update_type: str,
    event: TelegramObject,
    kwargs: dict[str, Any],
) -> Any:
    if observer is not None:
        reach: _Reach | None = getattr(observer, _REACH, None)
        if (
            reach is not None
            and not router.sub_routers
            and reach.size == len(observer.handlers)
            and not reach.admits(event, kwargs.get("raw_state"))
        ):
            return UNHANDLED  # none of its handlers can match: skip its root filters too
        if observer._handler.filters:  # the router's root filters
            passed, data = await observer.check_root_filters(event, **kwargs)
            if not passed:
                return UNHANDLED
            kwargs.update(data)
        if observer.handlers:
            trigger_with = getattr(observer, _TRIGGER_WITH, None)
            if trigger_with is not None:
                response = await trigger_with(event, kwargs)
            else:
                response = await observer.trigger(event, **kwargs)
            if response is REJECTED:
                return UNHANDLED
            if response is not UNHANDLED:
                return response
    for sub_router in router.sub_routers:
        response = await propagate(sub_router, update_type, event, dict(kwargs))
        if response is not UNHANDLED:
            return response
    return UNHANDLED
