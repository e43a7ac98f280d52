"""Faces for the gate: templates from photos, encrypted storage, and 1:N matching.

No database, no chat and no aiogram here. The enrollment conversation calls
:func:`analyze_async` on each photo and stores :func:`encrypt_template` of the result;
the gate keeps one :class:`FaceIndex` per community and asks :meth:`FaceIndex.identify`.
Photos stay in memory; only templates (128 floats for Dlib) are kept.
"""

from access.faces.crypto import TemplateDecryptionError, decrypt_template, encrypt_template
from access.faces.engine import (
    DlibDeepFaceEngine,
    FaceAnalysis,
    FaceBox,
    FaceEngine,
    FaceEngineNotReady,
    analyze_async,
)
from access.faces.index import (
    MAX_TEMPLATES_PER_PERSON,
    Decision,
    DenialReason,
    FaceIndex,
    Match,
    PersonId,
    SearchResult,
    Template,
    decide,
)
from access.faces.quality import FaceProblem
from access.faces.settings import FaceSettings
from access.faces.weights import (
    ProvisionedFile,
    WeightsUnavailableError,
    provision_weights,
)

__all__ = [
    "MAX_TEMPLATES_PER_PERSON",
    "Decision",
    "DenialReason",
    "DlibDeepFaceEngine",
    "FaceAnalysis",
    "FaceBox",
    "FaceEngine",
    "FaceEngineNotReady",
    "FaceIndex",
    "FaceProblem",
    "FaceSettings",
    "Match",
    "PersonId",
    "ProvisionedFile",
    "SearchResult",
    "Template",
    "TemplateDecryptionError",
    "WeightsUnavailableError",
    "analyze_async",
    "decide",
    "decrypt_template",
    "encrypt_template",
    "provision_weights",
]
