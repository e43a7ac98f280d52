"""The gate fixtures (a community with two pedestrian gates and the vehicle gate 车库,
the runtime, the gate API on loopback) for the vehicle tests."""

from tests.access.conftest import clock, notifier, runtime, site  # noqa: F401
from tests.access.test_api import api, http  # noqa: F401
