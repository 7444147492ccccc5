"""deploy/kubernetes: the manifests are valid Kubernetes (the official schemas, offline, strict: unknown
fields rejected), and they run the master and workers chatgate expects: the containers' arguments are
parsed by ``chatgate load`` itself (its own flag checks included), both sides get the same scenario
flags, the workers find the master, the master's Job outcome is its exit code, every Job is bounded."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes_validate.utils import latest_version, validate

from chatgate.cli import run_cli
from chatgate.load import command
from chatgate.load.config import LoadOptions
from chatgate.load.launch import START_MARGIN_S
from chatgate.load.worker import CONNECT_WAIT_S
from chatgate.options import parse_duration

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"
OLDEST = "1.31"  # Job podFailurePolicy is GA from 1.31: the oldest Kubernetes the manifests claim
NOT_APPLIED = {"secret.example.yaml"}  # keys never live in a repository


def _docs(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((DEPLOY / name).read_text("utf-8")) if d]


def _manifests() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(DEPLOY.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            for doc in _docs(path.name):
                yield path.name, doc


def _one(kind: str, name: str) -> dict[str, Any]:
    return next(d for _, d in _manifests() if d["kind"] == kind and d["metadata"]["name"] == name)


@pytest.mark.parametrize("version", [OLDEST, latest_version()])
def test_every_manifest_is_valid_kubernetes(version: str) -> None:
    checked = []
    for name, doc in _manifests():
        validate(doc, version, strict=True)  # raises kubernetes_validate's ValidationError, naming the path
        checked.append((name, doc["kind"]))
    kinds = sorted(k for _, k in checked)
    assert kinds == ["ConfigMap", "Job", "Job", "PersistentVolumeClaim", "Secret", "Service"], checked


def test_a_wrong_field_is_caught_by_the_schemas() -> None:
    """The validation above can fail: a typo in a Job's spec is rejected (strict)."""
    from kubernetes_validate.utils import ValidationError

    job = _one("Job", "chatgate-master")
    job["spec"]["backoffLimt"] = 0
    with pytest.raises(ValidationError):
        validate(job, latest_version(), strict=True)


def test_the_kustomization_applies_every_manifest_but_the_example_secret() -> None:
    (kustomization,) = _docs("kustomization.yaml")
    assert kustomization["kind"] == "Kustomization"
    listed = set(kustomization["resources"])
    files = {p.name for p in DEPLOY.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == files - NOT_APPLIED
    assert all((DEPLOY / r).is_file() for r in listed)


class _Captured(Exception):
    def __init__(self, options: LoadOptions) -> None:
        self.options = options


def _options_of(job: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> LoadOptions:
    """The LoadOptions `chatgate load` builds from a Job's container arguments (the ConfigMap's values
    put in for its $(VARIABLES), as Kubernetes does), through the real command line."""
    config = _one("ConfigMap", "chatgate-load")["data"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert [e["configMapRef"]["name"] for e in container["envFrom"] if "configMapRef" in e] == [
        "chatgate-load"
    ]
    args = []
    for arg in container["args"]:
        names = re.findall(r"\$\((\w+)\)", arg)
        assert all(n in config for n in names), (arg, sorted(config))
        args.append(re.sub(r"\$\((\w+)\)", lambda m: str(config[m.group(1)]), arg))
    assert args[0] == "load"

    def capture(options: LoadOptions) -> None:
        raise _Captured(options)

    monkeypatch.setattr(command, "run_load", capture)
    monkeypatch.setattr(command, "run_worker", capture)
    monkeypatch.setenv("CHATGATE_DEBUG", "1")  # run_cli lets the capture through
    with pytest.raises(_Captured) as got:
        run_cli(args)
    return got.value.options


def test_the_jobs_run_chatgate_master_and_workers_with_the_same_scenario(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    master_job, worker_job = _one("Job", "chatgate-master"), _one("Job", "chatgate-workers")
    master, worker = _options_of(master_job, monkeypatch), _options_of(worker_job, monkeypatch)
    assert master.master and not master.worker and worker.worker and not worker.master
    same = ("scenario", "arrival_rate", "max_in_flight", "run_time_s", "warmup_s", "stop_timeout_s", "users")
    assert {k: getattr(master, k) for k in same} == {k: getattr(worker, k) for k in same}
    assert master.expect_workers == worker_job["spec"]["parallelism"] == worker_job["spec"]["completions"]
    service = _one("Service", "chatgate-master")
    (port,) = service["spec"]["ports"]
    assert worker.master_host == service["metadata"]["name"]
    assert worker.master_port == master.master_bind_port == port["port"]
    assert master.report_dir == Path("/reports")


def test_the_workers_find_the_master_pod_only() -> None:
    service = _one("Service", "chatgate-master")
    selector = service["spec"]["selector"].items()
    master_pod = _one("Job", "chatgate-master")["spec"]["template"]
    worker_pod = _one("Job", "chatgate-workers")["spec"]["template"]
    assert selector <= master_pod["metadata"]["labels"].items()
    assert not selector <= worker_pod["metadata"]["labels"].items()
    (container,) = master_pod["spec"]["containers"]
    target = service["spec"]["ports"][0]["targetPort"]
    assert [p["containerPort"] for p in container["ports"] if p["name"] == target] == [5557]


def test_the_master_job_outcome_is_the_verdict_and_every_job_is_bounded() -> None:
    config = _one("ConfigMap", "chatgate-load")["data"]
    run = parse_duration(config["RUN_TIME"]) + parse_duration(config["STOP_TIMEOUT"]) + START_MARGIN_S
    master, workers = _one("Job", "chatgate-master")["spec"], _one("Job", "chatgate-workers")["spec"]
    assert master["backoffLimit"] == 0  # no retry: a second run could turn a failure into a pass
    assert master["template"]["spec"]["restartPolicy"] == "Never"
    (rule,) = master["podFailurePolicy"]["rules"]
    assert rule["action"] == "FailJob" and rule["onExitCodes"]["values"] == [1, 2, 3, 4]
    assert master["activeDeadlineSeconds"] >= parse_duration(config["EXPECT_WORKERS_MAX_WAIT"]) + run
    # a lost worker is reported by the master, never replaced mid-run
    assert workers["backoffLimit"] == 0 and workers["template"]["spec"]["restartPolicy"] == "Never"
    assert workers["activeDeadlineSeconds"] >= CONNECT_WAIT_S + run


def test_keys_come_from_a_secret_the_workers_read_and_no_manifest_holds_one() -> None:
    (secret,) = _docs("secret.example.yaml")
    worker = _one("Job", "chatgate-workers")["spec"]["template"]["spec"]["containers"][0]
    assert {"secretRef": {"name": secret["metadata"]["name"]}} in worker["envFrom"]
    master = _one("Job", "chatgate-master")["spec"]["template"]["spec"]["containers"][0]
    assert not any("secretRef" in e for e in master["envFrom"])  # the master sends no request
    for name, doc in _manifests():
        if name not in NOT_APPLIED:
            assert "API_KEY" not in str(doc.get("data", {})), name
