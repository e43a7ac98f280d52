"""The admin area: binding a group as a community's admin group (``/setup``) and
managing its staff (``/staff``, ``/addstaff``)."""

from handlers.admin import add_staff, setup, staff
from handlers.kit import Feature

feature = Feature(
    "admin",
    (setup.router, staff.router, add_staff.router, setup.unbound_router),
    domain="movein",
)
