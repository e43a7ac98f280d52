"""Operator commands for fees.

    courtyard fees list COMMUNITY
    courtyard fees add COMMUNITY NAME --kind per_m2|fixed|parking --amount 1.85
                       [--due-day 15] [--every 1] [--late-fee 10]
                       [--buildings "1栋,2栋" | --units "1栋-301,2栋-502×2"]
    courtyard fees retire COMMUNITY ITEM_ID
    courtyard bills generate PERIOD [--community COMMUNITY]

``COMMUNITY`` is the community's exact name or its id. Generating bills twice
creates nothing twice. Every change is in the audit log (actor: the operator).
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

T = TypeVar("T")

ERRORS = {
    "bad_name": "the name must be 1–80 characters",
    "bad_amount": "amounts are positive numbers with at most 2 decimals, e.g. 1.85",
    "bad_period": "write the period as YYYY-MM, e.g. 2026-11",
    "bad_period_months": "--every must be 1, 2, 3, 4, 6 or 12 (months)",
    "bad_due_day": "--due-day must be 1–28",
    "no_targets": "name at least one building or unit",
    "unknown_units": "unknown units: {names} (write them like 1栋-301)",
    "unknown_buildings": "unknown buildings: {names}",
    "bad_quantity": "a unit can have 1–99 parking spaces",
    "no_such_item": "no fee item #{item_id} in this community",
    "item_retired": "fee item #{item_id} is already retired",
    "not_found": "no community with name or id {ref!r} (see `courtyard community list`)",
}


def _fail(message: str) -> None:
    click.echo(f"courtyard: {message}", err=True)
    sys.exit(1)


def _run(factory: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``factory(session_factory)`` on a migrated database."""
    import asyncio

    from bot.cli import get_settings
    from core.db import create_engine, create_session_factory
    from core.migrate import upgrade_database_async

    settings = get_settings()

    async def main() -> T:
        await upgrade_database_async(settings.database_url)
        engine = create_engine(settings.database_url)
        try:
            return await factory(create_session_factory(engine))
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _explain(exc: Exception) -> str:
    code = getattr(exc, "code", str(exc))
    details = dict(getattr(exc, "details", {}) or {})
    if "names" in details:
        details["names"] = ", ".join(details["names"])
    template = ERRORS.get(code, code)
    try:
        return template.format(**details)
    except (KeyError, IndexError):
        return template


async def _community(session: Any, ref: str) -> Any:
    """A community by exact name or id."""
    from sqlalchemy import select

    from core.models import Community

    ref = ref.strip()
    community = await session.scalar(select(Community).where(Community.name == ref))
    if community is None and ref.isdigit():
        community = await session.get(Community, int(ref))
    if community is None:
        raise click.ClickException(ERRORS["not_found"].format(ref=ref))
    return community


def register(main: click.Group) -> None:
    @main.group()
    def fees() -> None:
        """The fee schedule of a community."""

    @fees.command("list")
    @click.argument("community")
    def fees_list(community: str) -> None:
        """Show the active fee items."""
        from core.fees.schedule import list_fee_items, target_labels
        from core.formatting import minor_to_decimal

        async def work(factory: Any) -> list[str]:
            async with factory() as session:
                found = await _community(session, community)
                lines = []
                for item in await list_fee_items(session, found.id):
                    targets = ", ".join(await target_labels(session, item)) or "all units"
                    late = (
                        f", late fee {minor_to_decimal(item.late_fee_minor, found.currency)}"
                        if item.late_fee_minor
                        else ""
                    )
                    amount = minor_to_decimal(item.amount_minor, found.currency)
                    lines.append(
                        f"#{item.id} {item.name}: {amount} "
                        f"{found.currency} {item.kind.value}, every {item.period_months} month(s), "
                        f"due day {item.due_day}{late} — {targets}"
                    )
                return lines or ["(no fee items)"]

        for line in _run(work):
            click.echo(line)

    @fees.command("add")
    @click.argument("community")
    @click.argument("name")
    @click.option("--kind", type=click.Choice(["per_m2", "fixed", "parking"]), required=True)
    @click.option("--amount", required=True, help="Per m², per unit or per space, per month.")
    @click.option("--due-day", type=int, default=15, show_default=True)
    @click.option("--every", type=int, default=1, show_default=True, help="Billing period, months.")
    @click.option("--late-fee", default=None, help="Charged once on an overdue bill.")
    @click.option("--buildings", default=None, help='Only these buildings: "1栋,2栋".')
    @click.option("--units", default=None, help='Only these units: "1栋-301,2栋-502×2".')
    def fees_add(
        community: str,
        name: str,
        kind: str,
        amount: str,
        due_day: int,
        every: int,
        late_fee: str | None,
        buildings: str | None,
        units: str | None,
    ) -> None:
        """Add a fee item."""
        from core.fees.common import FeeError, parse_money
        from core.fees.models import FeeKind, FeeScope
        from core.fees.schedule import add_fee_item, resolve_buildings, resolve_units

        if buildings and units:
            raise click.UsageError("use --buildings or --units, not both")

        async def work(factory: Any) -> str:
            async with factory() as session:
                found = await _community(session, community)
                try:
                    scope, targets = FeeScope.ALL, []
                    if buildings:
                        scope = FeeScope.BUILDINGS
                        targets = await resolve_buildings(session, found.id, buildings)
                    elif units:
                        scope = FeeScope.UNITS
                        targets = await resolve_units(session, found.id, units)
                    item = await add_fee_item(
                        session,
                        found,
                        name=name,
                        kind=FeeKind(kind),
                        amount_minor=parse_money(amount),
                        scope=scope,
                        targets=targets,
                        period_months=every,
                        due_day=due_day,
                        late_fee_minor=parse_money(late_fee) if late_fee else None,
                    )
                except FeeError as exc:
                    raise click.ClickException(_explain(exc)) from None
                await session.commit()
                return f"fee item #{item.id} {item.name} added"

        click.echo(_run(work))

    @fees.command("retire")
    @click.argument("community")
    @click.argument("item_id", type=int)
    def fees_retire(community: str, item_id: int) -> None:
        """Stop charging an item on new bills (issued bills keep it)."""
        from core.fees.common import FeeError
        from core.fees.schedule import retire_fee_item

        async def work(factory: Any) -> str:
            async with factory() as session:
                found = await _community(session, community)
                try:
                    item = await retire_fee_item(session, found, item_id)
                except FeeError as exc:
                    raise click.ClickException(_explain(exc)) from None
                await session.commit()
                return f"fee item #{item.id} {item.name} retired"

        click.echo(_run(work))

    @main.group()
    def bills() -> None:
        """Bills of a period."""

    @bills.command("generate")
    @click.argument("period")
    @click.option("--community", "community_ref", default=None, help="Only this community.")
    def bills_generate(period: str, community_ref: str | None) -> None:
        """Generate PERIOD's (YYYY-MM) missing bills; running it again creates nothing twice."""
        from sqlalchemy import select

        from core.clock import SystemClock
        from core.fees.billing import generate_bills
        from core.fees.common import FeeError, Period
        from core.models import Community

        try:
            wanted = Period.parse(period)
        except FeeError as exc:
            raise click.ClickException(_explain(exc)) from None

        async def work(factory: Any) -> list[str]:
            lines = []
            async with factory() as session:
                if community_ref:
                    communities = [await _community(session, community_ref)]
                else:
                    communities = list((await session.scalars(select(Community))).all())
            for community in communities:
                async with factory() as session:
                    result = await generate_bills(
                        session, community, wanted, now=SystemClock().now(), trigger="cli"
                    )
                    await session.commit()
                lines.append(
                    f"{community.name}: {result.created} bills created, {result.existing} "
                    f"already existed, {result.without_fees} units without fees"
                )
            return lines or ["(no communities)"]

        for line in _run(work):
            click.echo(line)
