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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.bases import REJECTED, UNHANDLED, SkipHandler
from aiogram.dispatcher.event.handler import FilterObject, HandlerObject
from aiogram.dispatcher.event.telegram import TelegramEventObserver
from aiogram.filters import Command, StateFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message, TelegramObject

from bot.reach import ANY, ORIGINAL, Index, build_index, command_name, original, reach_of

_TRIGGER_WITH = "_courtyard_trigger_with"
_INDEX = "_courtyard_index"
_GENERATION = [0]  # bumped whenever a handler or router is added: indexes are rebuilt


def accelerate(router: Router) -> None:
    """Apply the speed-ups to ``router`` and every router below it."""
    _GENERATION[0] += 1
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

    setattr(call, ORIGINAL, function)
    return call


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
        callback = original(event_filter)
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
    return frozenset(required) if required is not None else ANY


@dataclass(frozen=True)
class _CommandNeed:
    prefixes: str  # characters the text must start with
    names: frozenset[str] | None  # the command names it can be, None if a pattern is among them
    ignore_case: bool


def _command_need(handler: HandlerObject) -> _CommandNeed | None:
    """What a message's text must look like for the handler's Command filter."""
    for event_filter in handler.filters or ():
        callback = original(event_filter)
        if isinstance(callback, Command):
            plain = all(isinstance(c, str) for c in callback.commands)
            names = frozenset(str(c) for c in callback.commands) if plain else None
            return _CommandNeed(callback.prefix, names, callback.ignore_case)
    return None


_Filters = tuple[tuple[Callable[[Any], Any] | None, FilterObject], ...]


def _filters(handler: HandlerObject) -> _Filters:
    """The handler's filters, each with its magic filter's resolver when it is one
    (a magic filter takes only the event: it is resolved right here)."""
    return tuple((original(f) if f.magic is not None else None, f) for f in handler.filters or ())


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


def _install_trigger(observer: TelegramEventObserver) -> None:
    plans = [_plan(observer)]
    register = observer.register

    def register_and_reindex(*args: Any, **kwargs: Any) -> Any:
        _GENERATION[0] += 1
        return register(*args, **kwargs)

    observer.register = register_and_reindex  # type: ignore[method-assign]

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
            if states is not ANY and raw_state not in states:
                continue
            if command is not None:
                if not text or text[0] not in command.prefixes:
                    continue
                if command.names is not None:
                    if name is None:
                        name = command_name(text)
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
    raw_state = kwargs.get("raw_state")
    for sub_router in _reachable(router, update_type, event, raw_state):
        response = await propagate(sub_router, update_type, event, dict(kwargs))
        if response is not UNHANDLED:
            return response
    return UNHANDLED


def _reachable(
    router: Router, update_type: str, event: TelegramObject, raw_state: Any
) -> list[Router]:
    """``router.sub_routers`` less those none of whose handlers can match (bot.reach)."""
    if not router.sub_routers:
        return router.sub_routers
    key = (_GENERATION[0], len(router.sub_routers))
    cached: tuple[tuple[int, int], dict[str, Index]] | None = getattr(router, _INDEX, None)
    if cached is None or cached[0] != key:
        cached = (key, dict[str, Index]())
        setattr(router, _INDEX, cached)
    index = cached[1].get(update_type)
    if index is None:
        reach = {
            id(observer): reach_of(observer, _plan(observer))
            for sub_router in router.sub_routers
            if (observer := sub_router.observers.get(update_type)) is not None
        }
        index = cached[1][update_type] = build_index(router.sub_routers, update_type, reach)
    return index.candidates(event, raw_state)
