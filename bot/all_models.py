"""Imports every model module so ``Base.metadata`` is complete (for Alembic and tests).

Each feature area adds one import line here. The list lives in the assembly, not in
``core/``, because it names ``access/`` modules and ``core/`` imports nothing from
``access/``. No aiogram here: the migration environment imports this module.
"""

from access import models as access_models  # noqa: F401
from access.faces import models as faces_models  # noqa: F401
from access.sync import models as gate_agent_models  # noqa: F401
from access.vehicles import models as vehicles_models  # noqa: F401
from access.walkins import models as walkin_models  # noqa: F401
from core import (
    delivery,  # noqa: F401
    models,  # noqa: F401
    movein_models,  # noqa: F401
    sends,  # noqa: F401
)
from core.community import event_models  # noqa: F401
from core.community import models as community_models  # noqa: F401
from core.equipment import models as equipment_models  # noqa: F401
from core.fees import models as fees_models  # noqa: F401
from core.patrols import models as patrols_models  # noqa: F401
from core.shifts import models as shifts_models  # noqa: F401
from core.surveys import models as surveys_models  # noqa: F401
from core.tickets import models as tickets_models  # noqa: F401
