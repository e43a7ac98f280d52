"""`courtyard faces liveness COMMUNITY GATE [MODE]`: a gate's liveness mode.

    courtyard faces liveness "Sunny Garden" "East Gate"                 show it
    courtyard faces liveness "Sunny Garden" "East Gate" challenge       the default
    courtyard faces liveness "Sunny Garden" "East Gate" terminal --terminal ir-cam-1
    courtyard faces liveness "Sunny Garden" "East Gate" off --by "Li (manager)" --accept-risk

``off`` is refused unless the manager's name and ``--accept-risk`` are given, after
the risk is printed. Every change is audited (``faces.liveness``).
"""

from __future__ import annotations

from typing import Any

import click

from bot.cli_gate import _community, _fail, _run

RISK = (
    "With liveness off, a printed photo or a phone screen showing an enrolled resident "
    "opens this gate as well as the resident does."
)


def register(faces: click.Group) -> None:
    @faces.command("liveness")
    @click.argument("community")
    @click.argument("gate")
    @click.argument("mode", required=False, type=click.Choice(["terminal", "challenge", "off"]))
    @click.option(
        "--terminal",
        "terminals",
        multiple=True,
        help="A terminal name registered as liveness-capable (IR or depth camera); repeat.",
    )
    @click.option("--by", "chosen_by", default="", help="Who chose it (required for off).")
    @click.option("--accept-risk", is_flag=True, help="Confirm the risk of off.")
    def liveness(
        community: str,
        gate: str,
        mode: str | None,
        terminals: tuple[str, ...],
        chosen_by: str,
        accept_risk: bool,
    ) -> None:
        """Show or choose how GATE checks that a face is a live person."""
        from access.faces.liveness import LivenessMode
        from access.faces.store import FaceError
        from access.faces.store.liveness import gate_policy, set_gate_policy
        from core.clock import SystemClock

        if mode == "off":
            click.echo(f"Risk: {RISK}")
            if not accept_risk or not chosen_by.strip():
                _fail("liveness off needs --by NAME (the manager choosing it) and --accept-risk")

        async def work(settings: Any, session_factory: Any) -> str:
            from sqlalchemy import select

            from access.models import Gate

            async with session_factory() as session:
                found = await _community(session, community)
                row = await session.scalar(
                    select(Gate).where(Gate.community_id == found.id, Gate.name == gate.strip())
                )
                if row is None:
                    _fail(f"no gate {gate!r} in {found.name}")
                if mode is None:
                    policy = await gate_policy(session, row.id)
                else:
                    try:
                        policy = await set_gate_policy(
                            session,
                            gate_id=row.id,
                            mode=LivenessMode(mode),
                            capable_terminals=list(terminals),
                            chosen_by=chosen_by or "operator",
                            accept_risk=accept_risk,
                            now=SystemClock().now(),
                        )
                    except FaceError as exc:
                        if exc.code == "no_capable_terminal":
                            _fail("mode terminal needs at least one --terminal NAME")
                        _fail(exc.code)
                    await session.commit()
                text = f"{found.name} / {row.name}: liveness {policy.mode.value}"
                if policy.capable_terminals:
                    text += f" (liveness-capable: {', '.join(sorted(policy.capable_terminals))})"
                if policy.chosen_by:
                    text += f", chosen by {policy.chosen_by}"
                return text

        click.echo(_run(work))
        if mode is None:
            return
        if mode == "off":
            click.echo(f"Warning: {RISK}")
