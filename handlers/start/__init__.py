"""The start area: the home menu, language, the error apology, and the fallback.

``feature`` comes first in routing (its commands work inside any other flow);
``fallback`` comes last, answering what no area took.
"""

from handlers.kit import Feature
from handlers.start import errors, fallback, home, language

feature = Feature(
    "start", (errors.router, home.router, language.router), domain="common", first=True
)
fallback_feature = Feature("fallback", (fallback.router,), domain="common")
