"""Imports every model module so ``Base.metadata`` is complete (for Alembic and tests).

Each feature area adds one import line here.
"""

from core import models  # noqa: F401
