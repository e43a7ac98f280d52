"""Services behind the move-in and profile conversations, beside the residents
(:mod:`core.residents`) and invitations (:mod:`core.invitations`) services.

- :mod:`core.movein.rules` — what the chat steps accept: names, lease end dates,
  document files, invitation-code look-alikes (no database).
- :mod:`core.movein.homes` — the community, building and invitation a step is about;
  joining a home with an invitation.
- :mod:`core.movein.office` — what the admin group's cards need: the residency a
  button names, staff names, the "Move-in" topic, applications not posted yet.
"""
