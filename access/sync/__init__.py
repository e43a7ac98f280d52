"""Gate agents: what the server gives an offline gate agent (``access.agent``).

- :mod:`access.sync.models` — agents, the pass change counter, uploads, the per-gate
  offline policy;
- :mod:`access.sync.keys` — the agent's own secret and the community's credential
  key (the box never holds the deployment's key);
- :mod:`access.sync.feed` — the snapshot and the changes since a version, for one
  agent's gates only (:mod:`access.sync.residents`: residents' gate QR codes);
- :mod:`access.sync.uploads` — decisions an agent made offline, recorded exactly once;
- :mod:`access.sync.api` — the HTTP routes, mounted on the gate API.
"""
