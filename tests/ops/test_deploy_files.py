"""The deployment files are well-formed and match the code.

- docker-compose.yml against the Compose specification's JSON schema (the copy
  check-jsonschema ships; the Docker engine and `docker compose` are not needed);
- deploy/k8s/*.yaml against the Kubernetes API schemas (kubernetes-validate, strict:
  an unknown field is an error), for the oldest and newest versions we support;
- every command they start is one `courtyard` accepts, with its options, and every
  COURTYARD_* variable they set is a setting (or one of the few read outside them);
- the Dockerfile builds in stages from the lock file, runs as a user, checks health.

What the files describe — bot replicas on Redis, a scheduler leader, a gate API, a
migrate step first — is what tests/replicas starts as plain processes.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import click
import jsonschema
import kubernetes_validate
import pytest
import yaml

from bot.cli import main
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
# Read by the image or the code outside Settings: secrets as files, the HEALTHCHECK.
EXTRA_VARIABLES = {"COURTYARD_SECRETS_DIR", "COURTYARD_PROBE_URL"}
K8S_VERSIONS = ("1.29.0", "1.37.0")


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))


def _k8s_documents() -> list[tuple[str, dict[str, Any]]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text("utf-8")):
            if doc:
                docs.append((path.name, doc))
    return docs


def _accepts(args: list[str]) -> None:
    """`courtyard ARGS` parses: the command exists and takes these options."""
    ctx = click.Context(main, info_name="courtyard")
    command = main.get_command(ctx, args[0])
    assert command is not None, f"courtyard has no command {args[0]!r}"
    command.make_context(args[0], list(args[1:]), parent=ctx)


def _known(name: str) -> bool:
    field = name.removeprefix("COURTYARD_").lower()
    return field in Settings.model_fields or name in EXTRA_VARIABLES


def test_compose_file_follows_the_compose_specification() -> None:
    schema_file = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text("utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(_compose())]
    assert errors == []


def test_compose_describes_the_site_and_matches_the_code() -> None:
    compose = _compose()
    services = compose["services"]
    assert {"postgres", "redis", "mosquitto", "migrate", "webhook", "scheduler", "gate-api"} <= set(
        services
    )
    assert services["webhook"]["deploy"]["replicas"] == 2
    for name in ("webhook", "scheduler", "gate-api"):
        wait = services[name]["depends_on"]["migrate"]["condition"]
        assert wait == "service_completed_successfully"
    assert {"pgdata", "spool"} <= set(compose["volumes"])
    ours = {n: s for n, s in services.items() if "courtyard" in str(s.get("image", ""))}
    assert set(ours) == {"migrate", "webhook", "scheduler", "gate-api"}
    for name, service in ours.items():
        _accepts(service["command"])
        for variable in service["environment"]:
            assert _known(variable), f"{name}: {variable} is not a setting"
        for secret in service["secrets"]:
            assert _known(secret.upper()), f"{name}: secret {secret} is not a setting"
        assert "COURTYARD_BOT_TOKEN" not in service["environment"]  # a secret, not baked in


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_kubernetes_manifests_follow_the_api_schemas(version: str) -> None:
    docs = _k8s_documents()
    assert {d["kind"] for _, d in docs} >= {
        "Deployment",
        "Service",
        "Job",
        "Secret",
        "ConfigMap",
        "PersistentVolumeClaim",
    }
    for name, doc in docs:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{name} ({doc['kind']}): {exc.message} at {list(exc.path)}")


def test_kubernetes_manifests_match_the_code() -> None:
    docs = _k8s_documents()
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text("utf-8"))["resources"]
    assert all((K8S / item).is_file() for item in listed)
    variables = set()
    workloads = {}
    for _, doc in docs:
        if doc["kind"] in ("ConfigMap", "Secret"):
            variables |= set(doc.get("data") or doc.get("stringData") or {})
        if doc["kind"] in ("Deployment", "Job"):
            workloads[doc["metadata"]["name"]] = doc["spec"]["template"]["spec"]
    assert all(_known(v) for v in variables), sorted(v for v in variables if not _known(v))
    assert set(workloads) == {
        "courtyard-webhook",
        "courtyard-gate-api",
        "courtyard-scheduler",
        "courtyard-migrate",
    }
    for name, pod in workloads.items():
        (container,) = pod["containers"]
        _accepts(container["args"])
        for variable in container.get("env", []):
            assert _known(variable["name"]), f"{name}: {variable['name']} is not a setting"
        assert container["resources"]["requests"], name
        assert pod["securityContext"]["runAsNonRoot"] is True
        if name != "courtyard-migrate":
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert container["livenessProbe"]["httpGet"]["path"] == "/livez"


def test_dockerfile_builds_from_the_lock_and_runs_as_a_user() -> None:
    text = (ROOT / "Dockerfile").read_text("utf-8")
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2  # build and runtime stages
    assert "uv sync --frozen --no-dev" in text
    assert "courtyard faces setup" in text  # weights inside the image
    assert re.search(r"^USER courtyard$", text, re.M)
    assert re.search(r"^HEALTHCHECK ", text, re.M)
    assert re.search(r'^ENTRYPOINT \["courtyard"\]$', text, re.M)
    cmd = re.search(r"^CMD (\[.*\])$", text, re.M)
    assert cmd is not None
    _accepts(json.loads(cmd.group(1)))
    for variable in re.findall(r"\b(COURTYARD_[A-Z_]+)=", text):
        assert _known(variable), variable
