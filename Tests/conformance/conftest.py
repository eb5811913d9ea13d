"""Shared pytest fixtures for the conformance suites.

`emulator` starts `.build/debug/kafka-oss-sink emulator --port 0 ...` (memory store) as a subprocess for one test
and reads its `endpoint: http://127.0.0.1:PORT` line. `emulator_factory` starts more (e.g. with a data directory,
to restart or SIGKILL them). Build first: `swift build`. Override the binary with KAFKA_OSS_SINK_BIN.
"""
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.request
import uuid

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("KAFKA_OSS_SINK_BIN", os.path.join(REPO, ".build", "debug", "kafka-oss-sink"))


class Emulator:
    """One emulator process. Credentials: `access_key_id`/`access_key_secret`; bucket: `bucket`."""

    def __init__(self, bucket, access_key_id, access_key_secret, data_dir=None, extra_buckets=(),
                 sts_credentials=(), port=0, tls=None, extra_args=()):
        self.bucket = bucket
        self.buckets = [bucket, *extra_buckets]
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.data_dir = data_dir
        self.sts_credentials = list(sts_credentials)
        self.requested_port = port
        # (certificate chain file, key file): serve HTTPS.
        self.tls = tls
        self.extra_args = list(extra_args)
        self.process = None
        self.endpoint = None
        self.port = None
        self.log_path = None

    def start(self, timeout=20.0):
        assert self.process is None, "already running"
        if not os.path.exists(BINARY):
            raise RuntimeError(f"{BINARY} does not exist; run `swift build` first")
        args = [BINARY, "emulator", "--port", str(self.requested_port), "--host", "127.0.0.1",
                "--access-key-id", self.access_key_id, "--access-key-secret", self.access_key_secret]
        for bucket in self.buckets:
            args += ["--bucket", bucket]
        for ak, secret, token in self.sts_credentials:
            args += ["--sts-credential", f"{ak}:{secret}:{token}"]
        if self.data_dir:
            args += ["--data-dir", self.data_dir]
        if self.tls:
            args += ["--tls-cert", self.tls[0], "--tls-key", self.tls[1]]
        args += self.extra_args
        if self.log_path and os.path.exists(self.log_path):
            os.unlink(self.log_path)
        fd, self.log_path = tempfile.mkstemp(prefix="oss-emulator-", suffix=".log")
        log = os.fdopen(fd, "w")
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            if line.startswith("endpoint: "):
                self.endpoint = line[len("endpoint: "):].strip()
                self.port = int(self.endpoint.rsplit(":", 1)[1])
                # Later runs on the same data dir reuse the port so SDK clients keep working.
                self.requested_port = self.port
                return self
        self.process.kill()
        self.process.wait()
        self.process = None
        with open(self.log_path) as f:
            raise RuntimeError(f"emulator did not print its endpoint; stderr:\n{f.read()}")

    def stop(self):
        """SIGTERM and wait (graceful)."""
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process.stdout.close()
            self.process = None

    def kill(self):
        """SIGKILL: no chance to clean up (crash simulation)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process.stdout.close()
            self.process = None

    def restart(self):
        self.stop()
        return self.start()

    def admin(self, command):
        """POSTs a fault-injection command (dict) to /-/faults and returns the decoded JSON reply."""
        request = urllib.request.Request(self.endpoint + "/-/faults", data=json.dumps(command).encode(),
                                         method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def reset_faults(self):
        request = urllib.request.Request(self.endpoint + "/-/faults", method="DELETE")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())


@pytest.fixture
def emulator_factory():
    """Returns `make(data_dir=None, **kwargs) -> Emulator` (started); every emulator is stopped after the test."""
    started = []

    def make(data_dir=None, **kwargs):
        bucket = kwargs.pop("bucket", "conformance-" + uuid.uuid4().hex[:12])
        emulator = Emulator(bucket, kwargs.pop("access_key_id", "test-ak-" + uuid.uuid4().hex[:6]),
                            kwargs.pop("access_key_secret", "test-secret-" + uuid.uuid4().hex),
                            data_dir=data_dir, **kwargs)
        started.append(emulator)
        return emulator.start()

    yield make
    for emulator in started:
        emulator.kill()
        if emulator.log_path and os.path.exists(emulator.log_path):
            os.unlink(emulator.log_path)


@pytest.fixture
def emulator(emulator_factory):
    """A running in-memory emulator with one bucket (`emulator.bucket`)."""
    return emulator_factory()
