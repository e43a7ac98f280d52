"""The offline gate agent (``courtyard gate-agent``): decides at the door when the
server is away.

- :mod:`access.agent.replica` — the local replica (its own SQLite file, sealed);
- :mod:`access.agent.store` — the decision rules of :mod:`access.verification` run on
  the replica, plus the offline policy;
- :mod:`access.agent.service` — online first with a time budget, local on failure;
  the sync and upload loop;
- :mod:`access.agent.app` — the same terminal API as the server (verify, events,
  health), served to the gate's terminals.

No aiogram; decision 0025 explains the policy and its risks.
"""
