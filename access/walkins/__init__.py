"""Walk-in visitors and the intercom: the gate rings a household in the chat.

:mod:`access.walkins.service` holds the rules, :mod:`access.walkins.gate` the "let in"
decision, :mod:`access.walkins.limits` the abuse limits, and
:mod:`access.walkins.notify` how people are told (decision 0029).
"""
