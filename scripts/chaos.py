#!/usr/bin/env python3
"""Chaos suite: exactly-once archiving under SIGKILLs, lost OSS responses, 503s, latency and Kafka faults.

Runs, as separate processes: `kafka-oss-sink mock-kafka --control stdin` (2 brokers, one 6-partition topic),
`kafka-oss-sink emulator` (directory store) with chaos faults on, one kcat producer per partition writing
sequence-numbered JSON values (lz4), and one or two `kafka-oss-sink run` processes in one consumer group that are
SIGKILLed at random moments and restarted. One episode runs two sinks in the group at once, freezes one with
SIGSTOP until the group hands its partitions to the other, thaws it (a zombie that must be fenced) and then
SIGKILLs it while appends are in flight. Kafka faults go through the mock cluster's control channel: failed
offset commits and a broker going down and up.

At the end the faults stop, the producers finish, the last sink drains and stops with SIGTERM, and the checker
reads every archived object back through the emulator's HTTP API (oss2, V1 signing), decompresses it (gzip/zstd),
and compares it with the topic read from offset 0 with kcat: every record exactly once, in offset order, and each
line byte for byte equal to the sink's jsonl rendering. `kafka-oss-sink verify` must pass too.

With sealing on (`sink.rollover.seal: true`, the default here; `--seal off` turns it off) seals and tags meet the
same faults (lost responses, 503s, kills between a rollover and its seal), and the checker also requires every
finished segment (all but the last of each partition) to be sealed, with `segment.*` tags whose CRC-64, offsets
and record count are those of the object: sealed exactly at its committed length.

Replay a failure with the printed seed: `scripts/chaos.py --seed N --duration D --kills K --compression C`.
Exit status: 0 when every run passed, 1 otherwise. The last line is `chaos: P passed, F failed`.
"""
import argparse
import gzip
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
TOPIC = "chaos-events"
GROUP = "chaos-sink"
BUCKET = "chaos-archive"
ACCESS_KEY_ID = "chaos-ak"
ACCESS_KEY_SECRET = "chaos-secret-" + os.urandom(6).hex()
COMMIT_ERRORS = ["request-timed-out", "coordinator-not-available", "not-coordinator", "coordinator-load-in-progress"]


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MockClusterCrashed(Exception):
    """librdkafka's mock cluster died (its group coordinator asserts under some rebalance races): the run is void."""


class MockKafka:
    """`mock-kafka --control stdin`: `command(line)` sends one control line and returns its answer."""

    def __init__(self, binary, workdir, brokers, partitions):
        self.stderr = open(os.path.join(workdir, "mock-kafka.log"), "w")
        self.process = subprocess.Popen(
            [binary, "mock-kafka", "--brokers", str(brokers), "--topic", f"{TOPIC}:{partitions}", "--control", "stdin"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("bootstrap: "):
            raise RuntimeError(f"mock-kafka did not print its bootstrap servers (got {line!r}); see {self.stderr.name}")
        self.bootstrap = line[len("bootstrap: "):].strip()
        self.lock = threading.Lock()

    def crashed(self):
        """The mock cluster's own abort message when the process died (librdkafka's mock asserts), else None."""
        if self.process.poll() is None:
            return None
        with open(self.stderr.name, errors="replace") as f:
            lines = [line.strip() for line in f if "Assertion" in line or "assert" in line]
        return lines[0] if lines else f"mock-kafka exited with status {self.process.returncode}"

    def command(self, line):
        with self.lock:
            try:
                self.process.stdin.write(line + "\n")
                self.process.stdin.flush()
            except BrokenPipeError:
                raise MockClusterCrashed(self.crashed() or "mock-kafka closed its control channel")
            answer = self.process.stdout.readline().strip()
        if not answer and self.crashed():
            raise MockClusterCrashed(self.crashed())
        if answer != "ok":
            raise RuntimeError(f"mock-kafka control '{line}' answered {answer!r}")
        return answer

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Emulator:
    def __init__(self, binary, workdir):
        self.data_dir = os.path.join(workdir, "oss-data")
        os.makedirs(self.data_dir)
        self.stderr = open(os.path.join(workdir, "emulator.log"), "w")
        self.process = subprocess.Popen(
            [binary, "emulator", "--port", "0", "--host", "127.0.0.1", "--data-dir", self.data_dir,
             "--access-key-id", ACCESS_KEY_ID, "--access-key-secret", ACCESS_KEY_SECRET, "--bucket", BUCKET],
            stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"emulator did not print its endpoint; see {self.stderr.name}")
            if line.startswith("endpoint: "):
                self.endpoint = line[len("endpoint: "):].strip()
                break

    def admin(self, method, command=None):
        data = json.dumps(command).encode() if command is not None else None
        request = urllib.request.Request(self.endpoint + "/-/faults", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Producer:
    """One kcat per partition; values `{"p":P,"seq":N,"pad":"…"}` at `rate` records/s per partition."""

    def __init__(self, bootstrap, partitions, rate, workdir, seed):
        self.rate = rate
        self.stop_event = threading.Event()
        self.sent = [0] * partitions
        self.processes = []
        self.threads = []
        self.stderr = open(os.path.join(workdir, "producer.log"), "w")
        for p in range(partitions):
            proc = subprocess.Popen(
                ["kcat", "-P", "-E", "-b", bootstrap, "-t", TOPIC, "-p", str(p), "-z", "lz4",
                 "-X", "linger.ms=20", "-X", "message.timeout.ms=600000", "-X", "log_level=3"],
                stdin=subprocess.PIPE, stderr=self.stderr)
            self.processes.append(proc)
            thread = threading.Thread(target=self._feed, args=(p, proc, random.Random(seed * 100 + p)), daemon=True)
            self.threads.append(thread)

    def start(self):
        for thread in self.threads:
            thread.start()

    def _feed(self, partition, proc, rng):
        tick = 0.1
        per_tick = self.rate * tick
        carry = 0.0
        next_time = time.monotonic()
        while not self.stop_event.is_set():
            carry += per_tick
            n = int(carry)
            carry -= n
            lines = []
            for _ in range(n):
                seq = self.sent[partition]
                pad = "abcdefgh" * rng.randint(1, 8)
                lines.append(json.dumps({"p": partition, "seq": seq, "pad": pad, "q": "a\"b\\c"},
                                        separators=(",", ":")) + "\n")
                self.sent[partition] = seq + 1
            if lines:
                try:
                    proc.stdin.write("".join(lines).encode())
                    proc.stdin.flush()
                except BrokenPipeError:
                    return
            next_time += tick
            time.sleep(max(0.0, next_time - time.monotonic()))

    def stop(self):
        self.stop_event.set()
        for thread in self.threads:
            thread.join()
        for proc in self.processes:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass
        for proc in self.processes:
            proc.wait(timeout=120)
            if proc.returncode != 0:
                raise RuntimeError(f"kcat producer exited with {proc.returncode}; see {self.stderr.name}")


class Sink:
    """One `kafka-oss-sink run` slot (its own config, /metrics port and a new log file per start)."""

    def __init__(self, name, binary, workdir, bootstrap, endpoint, compression, seal, max_object_bytes, batch_max_bytes):
        self.name = name
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.config = os.path.join(workdir, f"sink-{name}.yaml")
        with open(self.config, "w") as f:
            f.write(sink_config(bootstrap, endpoint, compression, self.port, seal, max_object_bytes, batch_max_bytes))
        self.process = None
        self.frozen = False
        self.starts = 0
        self.logs = []
        self.last_metrics = {}
        self.metrics_history = []

    def start(self):
        assert self.process is None
        self.starts += 1
        path = os.path.join(self.workdir, f"sink-{self.name}-{self.starts:03d}.log")
        self.logs.append(path)
        with open(path, "w") as out:
            self.process = subprocess.Popen([self.binary, "run", "--config", self.config], stdout=out, stderr=out)

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def kill(self):
        self.scrape()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.process = None
        self._archive_metrics()

    def terminate(self, timeout):
        self.scrape()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            code = "timeout"
        self.process = None
        self._archive_metrics()
        return code

    def _archive_metrics(self):
        if self.last_metrics:
            self.metrics_history.append(self.last_metrics)
        self.last_metrics = {}

    def scrape(self):
        if not self.running or self.frozen:
            return None
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=2) as response:
                text = response.read().decode()
        except OSError:
            return None
        self.last_metrics = parse_metrics(text)
        return self.last_metrics

    def counter_total(self, name, **labels):
        total = 0.0
        for metrics in self.metrics_history + ([self.last_metrics] if self.last_metrics else []):
            total += metric_sum(metrics, name, **labels)
        return total


def sink_config(bootstrap, endpoint, compression, port, seal, max_object_bytes, batch_max_bytes):
    return f"""kafka:
  bootstrap_servers: "{bootstrap}"
  group_id: "{GROUP}"
  topics: ["{TOPIC}"]
  auto_offset_reset: earliest
  properties:
    session.timeout.ms: "6000"
    heartbeat.interval.ms: "500"
    topic.metadata.refresh.interval.ms: "2000"
oss:
  endpoint: "{endpoint}"
  region: "cn-hangzhou"
  bucket: "{BUCKET}"
  path_style: true
  request_timeout: 5s
  credentials:
    provider: static
    access_key_id: "{ACCESS_KEY_ID}"
    access_key_secret: "{ACCESS_KEY_SECRET}"
sink:
  format: jsonl
  compression: {compression}
  batch:
    max_bytes: {batch_max_bytes}
    linger: 150ms
  rollover:
    max_object_bytes: {max_object_bytes}
    seal: {"true" if seal else "false"}
server:
  listen: "127.0.0.1:{port}"
log:
  level: info
shutdown_timeout: 20s
"""


METRIC_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    samples = {}
    for line in text.splitlines():
        match = METRIC_LINE.match(line)
        if not match:
            continue
        labels = tuple(sorted(LABEL.findall(match.group(2) or "")))
        try:
            samples[(match.group(1), labels)] = float(match.group(3))
        except ValueError:
            pass
    return samples


def metric_sum(samples, name, **labels):
    total = 0.0
    for (metric, metric_labels), value in samples.items():
        if metric != name:
            continue
        d = dict(metric_labels)
        if all(d.get(k) == v for k, v in labels.items()):
            total += value
    return total


def metric_by_partition(samples, name):
    out = {}
    for (metric, metric_labels), value in samples.items():
        if metric == name:
            d = dict(metric_labels)
            if "partition" in d:
                out[int(d["partition"])] = value
    return out


# ---------------------------------------------------------------------------------------------- checking


def json_string(s):
    """The sink's minimal JSON string escaping (RecordRenderer): `"` `\\` and control characters only."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif o < 0x20:
            out.append("\\u%04x" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def render_expected(record):
    """The jsonl line the sink must write for one kcat -J record (no key, no headers, UTF-8 value)."""
    ts = record["ts"] if record["tstype"] in ("create", "logappend") else None
    tstype = {"create": "CreateTime", "logappend": "LogAppendTime"}.get(record["tstype"], "NotAvailable")
    key = "null" if record.get("key") is None else json_string(record["key"])
    value = "null" if record.get("payload") is None else json_string(record["payload"])
    return (f'{{"topic":{json_string(record["topic"])},"partition":{record["partition"]},"offset":{record["offset"]},'
            f'"timestamp":{"null" if ts is None else ts},"timestamp_type":"{tstype}","key":{key},"headers":[],'
            f'"value":{value}}}\n').encode()


def read_topic(bootstrap, partitions):
    topic = {}
    for p in range(partitions):
        out = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", TOPIC, "-p", str(p), "-o", "beginning", "-e", "-J",
                              "-q", "-X", "log_level=3"], capture_output=True, check=True, timeout=300).stdout
        topic[p] = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    return topic


def decode_object(key, data):
    if key.endswith(".gz"):
        return gzip.decompress(data)
    if key.endswith(".zst"):
        return subprocess.run(["zstd", "-dc"], input=data, capture_output=True, check=True).stdout
    return data


def read_archive(endpoint):
    import oss2
    bucket = oss2.Bucket(oss2.Auth(ACCESS_KEY_ID, ACCESS_KEY_SECRET), endpoint, BUCKET)
    objects = []
    for info in oss2.ObjectIteratorV2(bucket):
        data = bucket.get_object(info.key).read()
        objects.append((info.key, decode_object(info.key, data)))
    return objects


def check_finished(endpoint, objects, compression, seal):
    """Every finished segment (all but the last of a partition, by first offset) is sealed (with sealing on) and
    its segment.* tags describe exactly the object: CRC-64, first and last offset, record count, format. The last
    segment may be finished too (its rollover was committed) or open (then it carries no segment tags).
    Returns counts and problems."""
    import oss2
    bucket = oss2.Bucket(oss2.Auth(ACCESS_KEY_ID, ACCESS_KEY_SECRET), endpoint, BUCKET)
    problems = []
    counts = {"finished_segments": 0, "sealed_segments": 0, "open_segments": 0}
    fmt = "jsonl" + ("" if compression == "none" else "+" + compression)
    partitions = {}
    for key, data in objects:
        lines = [json.loads(line) for line in data.split(b"\n") if line]
        if lines:
            partitions.setdefault(lines[0]["partition"], []).append((lines[0]["offset"], key, lines))
    for partition, segments in sorted(partitions.items()):
        segments.sort()
        for index, (first, key, lines) in enumerate(segments):
            head = bucket.head_object(key)
            sealed = head.headers.get("x-oss-sealed-time") is not None
            tags = {k: v for k, v in bucket.get_object_tagging(key).tag_set.tagging_rule.items() if k.startswith("segment.")}
            last_segment = index == len(segments) - 1
            if not tags:
                if last_segment and not sealed:
                    counts["open_segments"] += 1
                    continue
                problems.append(f"partition {partition}: finished segment {key} carries no segment.* tags"
                                f"{' (but is sealed)' if sealed else ''}")
                continue
            counts["finished_segments"] += 1
            counts["sealed_segments"] += int(sealed)
            if seal and not sealed:
                problems.append(f"partition {partition}: finished segment {key} is not sealed")
            want = {"segment.first-offset": str(first), "segment.last-offset": str(lines[-1]["offset"]),
                    "segment.records": str(len(lines)), "segment.crc64": head.headers.get("x-oss-hash-crc64ecma"),
                    "segment.format": fmt, "segment.sealed": "true" if seal and sealed else "false"}
            if tags != want:
                problems.append(f"partition {partition}: segment {key} tags {tags} do not describe the object {want}")
    return counts, problems


def check(topic, objects, partitions, sent):
    """Compares the archive with the topic. Returns a dict of counts and a list of problem descriptions."""
    problems = []
    expected = {}
    for p, records in topic.items():
        for i, record in enumerate(records):
            if record["offset"] != i:
                problems.append(f"topic partition {p}: record {i} has offset {record['offset']} "
                                "(records evicted from the mock cluster? produce less or compress)")
                break
        expected[p] = {r["offset"]: render_expected(r) for r in records}
        seqs = [json.loads(r["payload"])["seq"] for r in records]
        if sorted(set(seqs)) != list(range(sent[p])):
            problems.append(f"topic partition {p}: producer sent seq 0..{sent[p] - 1} but the topic holds "
                            f"{len(set(seqs))} distinct seqs (producer problem, not the sink)")

    # Segments of a partition in archive order: by the first offset they hold.
    segments = {p: [] for p in range(partitions)}
    for key, data in objects:
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        else:
            problems.append(f"object {key}: does not end with a newline")
        parsed = []
        for line in lines:
            try:
                parsed.append((json.loads(line), line + b"\n"))
            except ValueError:
                problems.append(f"object {key}: a line is not JSON: {line[:120]!r}")
        if not parsed:
            problems.append(f"object {key}: empty")
            continue
        partition = parsed[0][0]["partition"]
        segments.setdefault(partition, []).append((parsed[0][0]["offset"], key, parsed))

    counts = {"records": sum(len(r) for r in topic.values()), "archived": 0, "lost": 0, "duplicated": 0,
              "out_of_order": 0, "mismatched": 0, "unexpected": 0, "objects": len(objects)}
    for p in sorted(segments):
        seen = {}
        previous = -1
        for _, key, parsed in sorted(segments[p]):
            for record, line in parsed:
                offset = record["offset"]
                counts["archived"] += 1
                if record.get("partition") != p:
                    problems.append(f"object {key}: holds a record of partition {record.get('partition')}")
                if offset <= previous:
                    counts["out_of_order"] += 1
                    if counts["out_of_order"] <= 5:
                        problems.append(f"partition {p}: offset {offset} after {previous} in {key}")
                previous = max(previous, offset)
                seen[offset] = seen.get(offset, 0) + 1
                if seen[offset] == 2:
                    counts["duplicated"] += 1
                    if counts["duplicated"] <= 5:
                        problems.append(f"partition {p}: offset {offset} archived more than once (again in {key})")
                want = expected.get(p, {}).get(offset)
                if want is None:
                    counts["unexpected"] += 1
                    if counts["unexpected"] <= 5:
                        problems.append(f"partition {p}: offset {offset} in {key} is not in the topic")
                elif want != line:
                    counts["mismatched"] += 1
                    if counts["mismatched"] <= 5:
                        problems.append(f"partition {p} offset {offset} in {key}: bytes differ\n  want {want!r}\n  got  {line!r}")
        missing = [o for o in expected.get(p, {}) if o not in seen]
        counts["lost"] += len(missing)
        if missing:
            problems.append(f"partition {p}: {len(missing)} record(s) never archived, first offsets {missing[:10]}")
    return counts, problems


# ---------------------------------------------------------------------------------------------- one run


def dual_starts(duration, short):
    """Start times of the dual-sink episodes: one in short runs, two in runs of 200 s or more."""
    return [duration * 0.35] if short or duration < 200 else [duration * 0.3, duration * 0.65]


DUAL_LENGTH = 40.0  # ≥8 s joined, 10 s frozen, ≤3 s thawed, 4 s killed, 6 s both, margin


def build_schedule(rng, duration, kills, brokers, short):
    """Timed events: (time, kind, argument). Kills are spread over the run outside the dual-sink episodes."""
    events = []
    duals = dual_starts(duration, short)
    for start in duals:
        events.append((start, "dual", None))
    single_kills = max(0, kills - 2 * len(duals))
    for _ in range(single_kills):
        for _attempt in range(1000):
            t = rng.uniform(4.0, duration - 3.0)
            if not any(d - 3 <= t <= d + DUAL_LENGTH for d in duals):
                break
        events.append((t, "kill", None))
    step = 6.0 if not short else 8.0
    t = rng.uniform(2.0, step)
    while t < duration - 2:
        events.append((t, "commit-errors", (rng.randint(1, 5), rng.choice(COMMIT_ERRORS))))
        t += rng.uniform(step * 0.5, step * 1.5)
    if brokers >= 2:
        outages = max(1, int(duration // 90))
        for i in range(outages):
            for _attempt in range(1000):
                start = rng.uniform(duration * i / outages + 3, duration * (i + 1) / outages - 12)
                if not any(d - 10 <= start <= d + DUAL_LENGTH for d in duals):
                    break
            broker = rng.randint(1, brokers)
            length = rng.uniform(3.0, 8.0)
            events.append((start, "broker-down", broker))
            events.append((start + length, "broker-up", broker))
    events.sort(key=lambda e: e[0])
    return events


def run_once(args, seed, binary):
    rng = random.Random(seed)
    compression = args.compression if args.compression != "random" else rng.choice(["none", "gzip", "zstd"])
    print(f"chaos: seed={seed} duration={args.duration}s kills={args.kills} compression={compression} seal={args.seal} "
          f"rate={args.rate}/s/partition partitions={args.partitions} brokers={args.brokers} binary={binary}",
          flush=True)
    workdir = tempfile.mkdtemp(prefix=f"chaos-{seed}-")
    log(f"work dir {workdir}")
    cluster = emulator = producer = None
    sinks = []
    stats = {"kills": 0, "commit_errors_injected": 0, "broker_outages": 0, "zombie_thaws": 0}
    passed = False
    try:
        cluster = MockKafka(binary, workdir, args.brokers, args.partitions)
        emulator = Emulator(binary, workdir)
        log(f"mock-kafka {cluster.bootstrap}; emulator {emulator.endpoint}")
        cluster.command("ping")
        a = Sink("a", binary, workdir, cluster.bootstrap, emulator.endpoint, compression, args.seal == "on", args.max_object_bytes,
                 args.batch_max_bytes)
        b = Sink("b", binary, workdir, cluster.bootstrap, emulator.endpoint, compression, args.seal == "on", args.max_object_bytes,
                 args.batch_max_bytes)
        sinks = [a, b]
        emulator.admin("POST", {"action": "chaos", "p_drop_after_apply": args.p_drop, "p_503": args.p_503,
                                "latency_ms": [0, args.max_latency_ms], "seed": seed})
        producer = Producer(cluster.bootstrap, args.partitions, args.rate, workdir, seed)
        producer.start()
        a.start()
        schedule = build_schedule(rng, args.duration, args.kills, args.brokers, args.short)
        start = time.monotonic()
        pending_restarts = []  # (time, sink)
        dual = None  # state of the dual-sink episode
        next_scrape = 0.0

        def now():
            return time.monotonic() - start

        while now() < args.duration or dual is not None or pending_restarts:
            t = now()
            if cluster.crashed():
                raise MockClusterCrashed(cluster.crashed())
            if t >= next_scrape:
                for s in sinks:
                    s.scrape()
                next_scrape = t + 1.0
            for when, sink in list(pending_restarts):
                if t >= when:
                    pending_restarts.remove((when, sink))
                    sink.start()
                    log(f"restarted sink {sink.name}")
            while schedule and schedule[0][0] <= t and t < args.duration:
                _, kind, arg = schedule.pop(0)
                if kind == "kill":
                    running = [s for s in sinks if s.running]
                    if running and dual is None:
                        victim = rng.choice(running)
                        victim.kill()
                        stats["kills"] += 1
                        log(f"SIGKILL sink {victim.name} (kill #{stats['kills']})")
                        pending_restarts.append((t + rng.uniform(0.2, 2.0), victim))
                    else:
                        # Nothing to kill right now (restart pending or an episode running): try again soon.
                        schedule.append((t + 1.5, "kill", None))
                        schedule.sort(key=lambda e: e[0])
                elif kind == "commit-errors":
                    count, error = arg
                    cluster.command(f"commit-errors {count} {error}")
                    stats["commit_errors_injected"] += count
                elif kind == "broker-down":
                    cluster.command(f"broker-down {arg}")
                    stats["broker_outages"] += 1
                    log(f"broker {arg} down")
                elif kind == "broker-up":
                    cluster.command(f"broker-up {arg}")
                    log(f"broker {arg} up")
                elif kind == "dual":
                    # Phase 1: a second sink joins; both share the partitions.
                    if not a.running:
                        pending_restarts = [(w, s) for w, s in pending_restarts if s is not a]
                        a.start()
                    b.start()
                    dual = {"phase": "joined", "at": t}
                    log("dual: sink b joined the group next to sink a")
            if dual is not None:
                phase, since = dual["phase"], t - dual["at"]
                if phase == "joined" and since >= 8.0:
                    # Phase 2: freeze the sink that owns partitions (a zombie) until the group gives them away.
                    owned = {s.name: metric_sum(s.last_metrics, "kafka_oss_sink_assigned_partitions") for s in (a, b)}
                    if (owned["a"] > 0 and owned["b"] > 0) or since >= 30.0:
                        zombie, survivor = (a, b) if owned["a"] >= owned["b"] else (b, a)
                        zombie.process.send_signal(signal.SIGSTOP)
                        zombie.frozen = True
                        dual = {"phase": "frozen", "at": t, "zombie": zombie, "survivor": survivor}
                        log(f"dual: SIGSTOP sink {zombie.name} (owns {owned[zombie.name]:.0f} partitions; "
                            f"sink {survivor.name} owns {owned[survivor.name]:.0f}) until its session expires")
                elif phase == "frozen" and since >= 6.0 + 4.0:
                    dual["zombie"].process.send_signal(signal.SIGCONT)
                    dual["zombie"].frozen = False
                    stats["zombie_thaws"] += 1
                    dual.update(phase="thawed", at=t, wait=rng.uniform(0.5, 3.0))
                    log(f"dual: SIGCONT sink {dual['zombie'].name}; it still holds buffers and open segments "
                        "of partitions it lost")
                elif phase == "thawed" and since >= dual["wait"]:
                    # Phase 3: kill the zombie while it appends (emulator latency keeps appends in flight).
                    zombie = dual["zombie"]
                    if zombie.running:
                        zombie.kill()
                        stats["kills"] += 1
                        log(f"dual: SIGKILL sink {zombie.name} mid-append (kill #{stats['kills']})")
                    dual.update(phase="zombie-killed", at=t)
                elif phase == "zombie-killed" and since >= 4.0:
                    dual["zombie"].start()
                    log(f"dual: restarted sink {dual['zombie'].name}; both sinks in the group")
                    dual.update(phase="both", at=t)
                elif phase == "both" and since >= 6.0:
                    # Phase 4: kill sink b; sink a continues alone (restarted later if it was the one killed).
                    b.kill()
                    stats["kills"] += 1
                    log(f"dual: SIGKILL sink b (kill #{stats['kills']}); a continues alone")
                    dual = None
            time.sleep(0.05)

        log("chaos phase over: faults off, brokers up, producers finishing")
        counters = emulator.admin("GET")
        emulator.admin("DELETE")
        for broker in range(1, args.brokers + 1):
            cluster.command(f"broker-up {broker}")
        cluster.command("clear-errors offset-commit")
        producer.stop()
        sent = list(producer.sent)
        topic = read_topic(cluster.bootstrap, args.partitions)
        ends = {p: len(r) for p, r in topic.items()}
        log(f"produced {sum(sent)} records; topic holds {sum(ends.values())}")
        for s in sinks:
            if s is not a and s.running:
                s.kill()
        if not a.running:
            a.start()
        # Drain: wait until the sink has consumed up to the end of every partition, then stop it gracefully.
        deadline = time.monotonic() + args.drain_timeout
        while time.monotonic() < deadline:
            metrics = a.scrape() or {}
            lag = metric_by_partition(metrics, "kafka_oss_sink_consumer_lag_records")
            consumed_ok = len(lag) == args.partitions and all(v == 0 for v in lag.values())
            finishing = metric_sum(metrics, "kafka_oss_sink_finishing_segments")
            if consumed_ok and metric_sum(metrics, "kafka_oss_sink_buffered_bytes") == 0 and finishing == 0:
                break
            time.sleep(0.5)
        else:
            log(f"drain: the sink did not reach lag 0 within {args.drain_timeout}s; stopping it anyway")
        time.sleep(1.0)
        code = a.terminate(timeout=40)
        log(f"sink a stopped with SIGTERM: exit {code}")

        verify = subprocess.run([binary, "verify", "--config", a.config], capture_output=True, text=True, timeout=300)
        with open(os.path.join(workdir, "verify.out"), "w") as f:
            f.write(verify.stdout + verify.stderr)
        objects = read_archive(emulator.endpoint)
        counts, problems = check(topic, objects, args.partitions, sent)
        finished_counts, finished_problems = check_finished(emulator.endpoint, objects, compression, args.seal == "on")
        counts.update(finished_counts)
        problems += finished_problems

        logs_text = ""
        for s in sinks:
            for path in s.logs:
                with open(path, errors="replace") as f:
                    logs_text += f.read()
        fenced_logs = logs_text.count("another writer appended to this partition's object")
        expired = logs_text.count("records expired in Kafka before they were archived")
        integrity = logs_text.count("append integrity error")
        counts.update({
            "kills": stats["kills"],
            "dropped_responses": int(counters.get("droppedAfterApply", 0)),
            "http_503": int(counters.get("failed", 0)),
            "delayed": int(counters.get("delayed", 0)),
            "commit_errors_injected": stats["commit_errors_injected"],
            "commit_failures_seen": int(sum(s.counter_total("kafka_oss_sink_commits_total", outcome="error") for s in sinks)),
            "fenced_appends": max(fenced_logs, int(sum(s.counter_total("kafka_oss_sink_appends_total", outcome="fenced") for s in sinks))),
            "lost_response_resolved": int(sum(s.counter_total("kafka_oss_sink_appends_total", outcome="lost_response_resolved") for s in sinks)),
            "recovery_tail_proven": int(sum(s.counter_total("kafka_oss_sink_recoveries_total", outcome="tail_proven") for s in sinks)),
            "broker_outages": stats["broker_outages"],
            "zombie_thaws": stats["zombie_thaws"],
            "integrity_errors": integrity,
            "seal_retries": sum(1 for line in logs_text.splitlines()
                                if "OSS request failed; retrying" in line and "SealAppendObject" in line),
            "sealed_appends_refused": int(sum(s.counter_total("kafka_oss_sink_appends_total", outcome="sealed") for s in sinks)),
            "finished_refused": int(sum(s.counter_total("kafka_oss_sink_segments_finished_total", outcome="refused") for s in sinks)),
        })
        if code != 0:
            problems.append(f"the sink did not stop cleanly on SIGTERM (exit {code})")
        if verify.returncode != 0:
            problems.append(f"kafka-oss-sink verify failed (exit {verify.returncode}):\n{(verify.stdout + verify.stderr)[-3000:]}")
        if expired:
            problems.append(f"{expired} 'records expired' log line(s): records left the mock cluster before archiving")
        print("chaos counts: " + " ".join(f"{k}={v}" for k, v in counts.items()), flush=True)
        print(f"chaos verify: exit {verify.returncode}: {verify.stdout.strip().splitlines()[-1] if verify.stdout.strip() else verify.stderr.strip()[-300:]}", flush=True)
        for problem in problems:
            print("PROBLEM: " + problem, flush=True)
        if args.seal == "on" and counts["sealed_segments"] == 0:
            problems.append("sealing is on but no segment was sealed (no rollover happened?)")
        passed = not problems and counts["lost"] == 0 and counts["duplicated"] == 0 and counts["out_of_order"] == 0
        return passed, counts
    finally:
        for s in sinks:
            if s.process is not None:
                try:
                    s.process.send_signal(signal.SIGCONT)
                    s.process.kill()
                    s.process.wait()
                except OSError:
                    pass
        if producer is not None:
            for proc in producer.processes:
                if proc.poll() is None:
                    proc.kill()
        if cluster is not None:
            cluster.stop()
        if emulator is not None:
            emulator.stop()
        if passed and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            log(f"logs and data kept in {workdir}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(REPO, ".build", "debug", "kafka-oss-sink"))
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of chaos (producer on, faults on)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random; printed first)")
    parser.add_argument("--runs", type=int, default=1, help="runs with seeds seed, seed+1, …")
    parser.add_argument("--kills", type=int, default=12, help="SIGKILLs of a sink per run (at least 2: the dual episode)")
    parser.add_argument("--rate", type=int, default=150, help="records per second per partition")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--brokers", type=int, default=2)
    parser.add_argument("--compression", choices=["none", "gzip", "zstd", "random"], default="random")
    parser.add_argument("--seal", choices=["on", "off"], default="on",
                        help="sink.rollover.seal: seal finished segments (on) or only tag them (off)")
    parser.add_argument("--max-object-bytes", default=None,
                        help="sink.rollover.max_object_bytes (default 200KiB; 16KiB with --short, so segments roll over and are sealed)")
    parser.add_argument("--p-drop", type=float, default=0.03, help="probability an OSS request is applied but its response dropped")
    parser.add_argument("--p-503", type=float, default=0.03, help="probability an OSS request fails with 503")
    parser.add_argument("--max-latency-ms", type=int, default=50)
    parser.add_argument("--drain-timeout", type=float, default=90.0)
    parser.add_argument("--short", action="store_true",
                        help="the CI version: 60 s, 4 kills, 40 records/s/partition, gzip, 16KiB segments, sealing on")
    parser.add_argument("--keep", action="store_true", help="keep the work directory even when the run passes")
    parser.add_argument("--retry-void", type=int, default=0,
                        help="when the mock Kafka cluster itself crashes (a void run), run again with the next seed, "
                             "at most this many times; a void run is never counted as passed")
    args = parser.parse_args()
    if args.short:
        args.duration, args.kills, args.rate = 60.0, 4, 40
        if args.compression == "random":
            args.compression = "gzip"
    if args.max_object_bytes is None:
        args.max_object_bytes = "16KiB" if args.short else "200KiB"
    args.batch_max_bytes = "4KiB" if args.max_object_bytes.endswith("KiB") and int(args.max_object_bytes[:-3]) < 128 else "64KiB"
    if args.kills < 2:
        parser.error("--kills must be at least 2 (the dual-sink episode kills twice)")
    if shutil.which("kcat") is None:
        sys.exit("chaos: kcat is not installed (apt-get install kcat); it is the producer and the topic reader")
    if not os.path.exists(args.binary):
        sys.exit(f"chaos: {args.binary} does not exist; build it first (swift build)")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2**31)
    print(f"chaos: seed {seed} (replay: scripts/chaos.py --seed {seed} --duration {args.duration:g} --kills {args.kills}"
          f" --rate {args.rate} --compression {args.compression} --seal {args.seal} --max-object-bytes {args.max_object_bytes})",
          flush=True)
    passed = failed = 0
    retries_left = args.retry_void
    run_seed = seed
    for _ in range(args.runs):
        while True:
            void = False
            try:
                ok, _ = run_once(args, run_seed, args.binary)
            except MockClusterCrashed as crash:
                print(f"chaos: run seed={run_seed} VOID: the mock Kafka cluster itself crashed ({crash}); "
                      "this says nothing about the sink", flush=True)
                ok, void = False, True
            except (RuntimeError, OSError, subprocess.SubprocessError) as error:
                print(f"chaos: run seed={run_seed} ERROR in the harness: {error!r}", flush=True)
                ok = False
            run_seed += 1
            if void and retries_left > 0:
                retries_left -= 1
                print(f"chaos: running again with seed {run_seed} ({retries_left} void retries left)", flush=True)
                continue
            break
        print(f"chaos: run seed={run_seed - 1} {'PASSED' if ok else 'FAILED'}", flush=True)
        if ok:
            passed += 1
        else:
            failed += 1
    print(f"chaos: {passed} passed, {failed} failed", flush=True)
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()
