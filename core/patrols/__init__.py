"""The property office's own work: checkpoints, patrol routes and their rounds.

``models`` holds the tables, ``tokens`` the signed checkpoint links,
``checkpoints`` creating checkpoints and recording a guard's visit, ``routes`` the
routes and their schedules, ``rounds`` closing each round (on time, late, missed)
and the daily report, ``sheet`` the printable PDF of QR codes. No aiogram here.
"""
