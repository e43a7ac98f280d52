"""Shift rota and hand-over (交接班): shifts per staff member, the hand-over written
at the end of a shift, acknowledged by the next, alerted when nobody does."""
