"""The audit log, readable: ``/audit`` for managers in their admin group (a page of
their community's rows, filters, CSV export) and ``courtyard audit`` for the
operator."""

from handlers.audit import cli, export, view
from handlers.kit import Feature

feature = Feature(
    "audit",
    (view.router, export.router),
    cli=cli.register,
    domain="audit",
)
