"""The `mock-kafka --control stdin` channel the chaos suite drives: every command answers one line, `ok` or
`error: …`, and the faults take effect (a broker taken down refuses connections until it is brought back).

Run: `.venv/bin/pytest -q Tests/chaos` after `swift build` (KAFKA_OSS_SINK_BIN overrides the binary).
"""
import os
import socket
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("KAFKA_OSS_SINK_BIN", os.path.join(REPO, ".build", "debug", "kafka-oss-sink"))


@pytest.fixture
def mock_kafka():
    process = subprocess.Popen([BINARY, "mock-kafka", "--brokers", "2", "--topic", "control-test:2", "--control", "stdin"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline()
    assert line.startswith("bootstrap: "), line
    process.bootstrap = line[len("bootstrap: "):].strip().split(",")

    def send(command):
        process.stdin.write(command + "\n")
        process.stdin.flush()
        return process.stdout.readline().strip()

    process.send = send
    yield process
    process.terminate()
    process.wait(timeout=15)


def connectable(address):
    host, port = address.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return True
    except OSError:
        return False


def test_commands_answer_ok(mock_kafka):
    for command in ["ping", "commit-errors 3", "commit-errors 2 not-coordinator", "request-errors heartbeat 1 transport",
                    "clear-errors offset-commit", "rtt 1 20ms", "rtt 1 0ms", "leader control-test 0 2",
                    "coordinator some-group 1"]:
        assert mock_kafka.send(command) == "ok", command


def test_bad_commands_name_the_problem(mock_kafka):
    assert mock_kafka.send("explode").startswith("error: unknown command 'explode'")
    assert mock_kafka.send("broker-down 3") == "error: broker id must be 1…2, got '3'"
    assert mock_kafka.send("commit-errors") == "error: usage: commit-errors N [ERROR]"
    assert mock_kafka.send("commit-errors 2 nonsense").startswith("error: unknown error 'nonsense'")
    assert mock_kafka.send("rtt 1 fast").startswith("error: duration must be like 50ms")
    # A comment gets no answer; the next command's answer is the next line.
    mock_kafka.stdin.write("# comment\n")
    assert mock_kafka.send("ping") == "ok"


def test_broker_down_refuses_connections_until_up(mock_kafka):
    broker1, broker2 = mock_kafka.bootstrap[:2]
    assert connectable(broker2)
    assert mock_kafka.send("broker-down 2") == "ok"
    assert not connectable(broker2)
    assert connectable(broker1)
    assert mock_kafka.send("broker-up 2") == "ok"
    assert connectable(broker2)
