"""Operator commands for setting up communities (move-in area).

    courtyard community add NAME --timezone Asia/Shanghai --currency CNY
    courtyard community list
    courtyard import-units COMMUNITY FILE.csv
    courtyard add-staff COMMUNITY TELEGRAM_ID --role manager
    courtyard invites COMMUNITY [--out DIR] [--building B] [--only-vacant]
    courtyard revoke-invites COMMUNITY (--unit 3栋-1201 … | --all)

``COMMUNITY`` is the community's exact name or its id. Long commands show a
progress bar and end with a summary; a failed command changes nothing.
"""

from __future__ import annotations

import click

from bot.cli_community.communities import add_staff_cmd, community, import_units_cmd
from bot.cli_community.invites import invites_cmd, revoke_invites_cmd


def register(main: click.Group) -> None:
    main.add_command(community)
    main.add_command(import_units_cmd)
    main.add_command(add_staff_cmd)
    main.add_command(invites_cmd)
    main.add_command(revoke_invites_cmd)
