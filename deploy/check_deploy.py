#!/usr/bin/env python3
"""Static checks of deploy/ (there is no container engine in CI): manifests parse and agree with the binary.

Run:  python3 deploy/check_deploy.py       (or: pytest deploy/check_deploy.py)
Needs PyYAML. Uses kubectl (kustomize), systemd-analyze and .build/debug/kafka-oss-sink when present and
skips those parts otherwise, saying so.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

DEPLOY = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(DEPLOY)
K8S = os.path.join(DEPLOY, "kubernetes")
CONFIG_PATH = "/etc/kafka-oss-sink/config.yaml"
HEALTH_PATHS = {"/healthz", "/readyz", "/metrics"}  # served by Sources/HealthServer/HealthServer.swift
BINARY = os.path.join(ROOT, ".build", "debug", "kafka-oss-sink")


def note(message):
    print(f"note: {message}", file=sys.stderr)


def duration_seconds(text):
    """'30s', '1m30s', '500ms' -> seconds (the config's duration syntax)."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    parts = re.findall(r"(\d+)(ms|s|m|h|d)", str(text))
    assert parts and "".join(n + u for n, u in parts) == str(text), f"not a duration: {text!r}"
    return sum(int(n) * units[u] for n, u in parts)


def size_bytes(text):
    units = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4}
    match = re.fullmatch(r"(\d+)(B|KiB|MiB|GiB|TiB)?", str(text))
    assert match, f"not a size: {text!r}"
    return int(match.group(1)) * units[match.group(2) or "B"]


def k8s_quantity_bytes(text):
    units = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3}
    match = re.fullmatch(r"(\d+)(Ki|Mi|Gi)", text)
    assert match, f"unsupported memory quantity {text!r}"
    return int(match.group(1)) * units[match.group(2)]


def manifest_files():
    for directory, _, files in os.walk(K8S):
        for name in sorted(files):
            if name.endswith((".yaml", ".yml")):
                yield os.path.join(directory, name)


def load_all(path):
    with open(path) as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def base_documents():
    docs = []
    for name in ["configmap.yaml", "secret.yaml", "deployment.yaml", "service.yaml", "podmonitor.yaml"]:
        docs += load_all(os.path.join(K8S, "base", name))
    return {doc["kind"]: doc for doc in docs}


def embedded_configs():
    """(file, parsed config) of every ConfigMap's config.yaml."""
    for path in manifest_files():
        for doc in load_all(path):
            if doc.get("kind") == "ConfigMap":
                yield path, doc["data"]["config.yaml"], yaml.safe_load(doc["data"]["config.yaml"])


def test_every_manifest_parses():
    count = 0
    for path in manifest_files():
        docs = load_all(path)
        assert docs, f"{path}: empty"
        for doc in docs:
            assert "apiVersion" in doc and "kind" in doc, f"{path}: a document without apiVersion/kind"
            count += 1
    assert count >= 10


def test_kustomize_builds():
    if shutil.which("kubectl") is None:
        note("kubectl not found: kustomize builds not checked")
        return
    for overlay in ["base", "rrsa"]:
        result = subprocess.run(["kubectl", "kustomize", os.path.join(K8S, overlay)], capture_output=True, text=True)
        assert result.returncode == 0, f"kustomize {overlay}: {result.stderr}"
        kinds = [doc["kind"] for doc in yaml.safe_load_all(result.stdout) if doc]
        assert {"ConfigMap", "Secret", "Deployment", "Service", "PodMonitor"} <= set(kinds), kinds
        if overlay == "rrsa":
            docs = {doc["kind"]: doc for doc in yaml.safe_load_all(result.stdout) if doc}
            assert "ServiceAccount" in docs
            assert docs["Deployment"]["spec"]["template"]["spec"]["serviceAccountName"] == "kafka-oss-sink"
            assert set(docs["Secret"]["stringData"]) == {"KAFKA_USER", "KAFKA_PASSWORD"}
            assert yaml.safe_load(docs["ConfigMap"]["data"]["config.yaml"])["oss"]["credentials"]["provider"] == "oidc"


def test_deployment_matches_the_binary_and_config():
    docs = base_documents()
    config = yaml.safe_load(docs["ConfigMap"]["data"]["config.yaml"])
    pod = docs["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    listen_port = int(config["server"]["listen"].rsplit(":", 1)[1])
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports["metrics"] == listen_port == 9464
    for probe, path in [("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")]:
        get = container[probe]["httpGet"]
        assert get["path"] == path and get["path"] in HEALTH_PATHS
        assert get["port"] in ("metrics", listen_port)
    assert pod["terminationGracePeriodSeconds"] > duration_seconds(config["shutdown_timeout"])
    mount = next(m for m in container["volumeMounts"] if m["name"] == "config")
    items = next(v for v in pod["volumes"] if v["name"] == "config")["configMap"]["items"]
    assert os.path.join(mount["mountPath"], items[0]["path"]) == CONFIG_PATH
    assert container["args"] == ["run", "--config", CONFIG_PATH]
    limit = k8s_quantity_bytes(container["resources"]["limits"]["memory"])
    assert limit >= 2 * size_bytes(config["sink"]["max_buffered_bytes"]), "memory limit below 2 x max_buffered_bytes"
    env = {e["name"]: e for e in container["env"]}
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert config["kafka"]["properties"]["group.instance.id"] == "${POD_NAME}"
    secret_keys = set(docs["Secret"]["stringData"])
    assert {"OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET"} <= secret_keys
    assert container["envFrom"][0]["secretRef"]["name"] == docs["Secret"]["metadata"]["name"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsNonRoot"] is True
    monitor = docs["PodMonitor"]["spec"]["podMetricsEndpoints"][0]
    assert monitor["port"] == "metrics" and monitor["path"] == "/metrics"
    assert docs["Service"]["spec"]["ports"][0]["targetPort"] == "metrics"


def test_embedded_configs_use_only_known_keys():
    """Every key of a shipped config appears in config/sink.example.yaml (the reference of every key)."""
    with open(os.path.join(ROOT, "config", "sink.example.yaml")) as handle:
        reference_text = handle.read()
    known = set(re.findall(r"^\s*#?\s*([a-z_]+):", reference_text, re.MULTILINE))

    def walk(node, path):
        for key, value in node.items():
            if path == "kafka.properties":
                continue
            assert key in known, f"{path}.{key}: not a key of config/sink.example.yaml"
            if isinstance(value, dict):
                walk(value, f"{path}.{key}" if path else key)

    for path, _, config in embedded_configs():
        walk(config, "")


def test_embedded_configs_pass_check_config():
    if not os.access(BINARY, os.X_OK):
        note(f"{BINARY} not built: check-config of the shipped configs skipped")
        return
    env = dict(os.environ, KAFKA_BOOTSTRAP_SERVERS="kafka-0:9092", POD_NAME="kafka-oss-sink-0", KAFKA_USER="u",
               KAFKA_PASSWORD="p", OSS_ACCESS_KEY_ID="id", OSS_ACCESS_KEY_SECRET="secret")
    for path, text, _ in embedded_configs():
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as handle:
            handle.write(text)
            handle.flush()
            result = subprocess.run([BINARY, "check-config", handle.name], capture_output=True, text=True, env=env)
        assert result.returncode == 0, f"{path}: check-config failed:\n{result.stderr}"


def dockerfile_instructions():
    with open(os.path.join(DEPLOY, "Dockerfile")) as handle:
        text = re.sub(r"\\\n", " ", handle.read())
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_dockerfile():
    lines = dockerfile_instructions()
    froms = [line for line in lines if line.startswith("FROM ")]
    assert len(froms) == 2 and " AS build" in froms[0], froms
    args = dict(line[4:].split("=", 1) for line in lines if line.startswith("ARG ") and "=" in line)
    assert re.fullmatch(r"swift:6\.[1-9][0-9]*-bookworm", args["SWIFT_IMAGE"])
    assert args["RUNTIME_IMAGE"] == "debian:bookworm-slim"
    joined = "\n".join(lines)
    for package in ["librdkafka-dev", "libzstd-dev", "zlib1g-dev", "pkg-config", "librdkafka1", "libzstd1", "zlib1g",
                    "ca-certificates"]:
        assert re.search(rf"\b{re.escape(package)}\b", joined), package
    assert "swift build -c release --static-swift-stdlib" in joined
    assert 'ENTRYPOINT ["kafka-oss-sink"]' in lines
    assert f'CMD ["run", "--config", "{CONFIG_PATH}"]' in lines
    assert "EXPOSE 9464" in lines
    user = [line for line in lines if line.startswith("USER ")]
    assert user and not user[-1].split()[1].startswith(("0", "root"))
    for line in lines:
        if line.startswith("COPY ") and "--from" not in line:
            for source in line.split()[1:-1]:
                assert any(True for _ in __import__("glob").glob(os.path.join(ROOT, source))), f"COPY {source}: missing"
    with open(os.path.join(ROOT, ".dockerignore")) as handle:
        ignored = {line.strip().rstrip("/") for line in handle if line.strip() and not line.startswith("#")}
    for needed in ["Sources", "Benchmarks", "Tests", "config", "Package.swift"]:
        assert needed not in ignored, f".dockerignore excludes {needed}, which the Dockerfile copies"
    assert ".build" in ignored


def test_systemd_unit():
    unit = os.path.join(DEPLOY, "systemd", "kafka-oss-sink.service")
    with open(unit) as handle:
        text = handle.read()
    settings = dict(re.findall(r"^([A-Za-z]+)=(.*)$", text, re.MULTILINE))
    assert settings["ExecStart"] == f"/usr/local/bin/kafka-oss-sink run --config {CONFIG_PATH}"
    assert settings["Restart"] == "on-failure"
    assert settings["DynamicUser"] == "yes"
    assert settings["EnvironmentFile"].startswith("/etc/kafka-oss-sink/")
    assert duration_seconds(settings["TimeoutStopSec"]) > 30, "TimeoutStopSec must exceed shutdown_timeout (30s)"
    if shutil.which("systemd-analyze") is None:
        note("systemd-analyze not found: unit not verified")
        return
    with tempfile.TemporaryDirectory() as directory:
        # verify insists that ExecStart exists; point it at a binary that does when the sink is not installed.
        binary = "/usr/local/bin/kafka-oss-sink"
        if not os.access(binary, os.X_OK):
            text = text.replace(binary, BINARY if os.access(BINARY, os.X_OK) else "/bin/true")
        copy = os.path.join(directory, "kafka-oss-sink.service")
        with open(copy, "w") as handle:
            handle.write(text)
        result = subprocess.run(["systemd-analyze", "verify", copy], capture_output=True, text=True)
        assert result.returncode == 0 and not result.stderr.strip(), result.stderr


if __name__ == "__main__":
    failures = 0
    for name, function in sorted(globals().items()):
        if name.startswith("test_") and callable(function):
            try:
                function()
                print(f"ok   {name}")
            except AssertionError as error:
                failures += 1
                print(f"FAIL {name}: {error}")
    sys.exit(1 if failures else 0)
