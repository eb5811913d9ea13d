"""`kafka-oss-sink oss …` against the emulator: what an operator sees, and that secrets never show."""
import os
import subprocess

import oss2

from conftest import BINARY


def write_config(tmp_path, emulator, secret=None, bucket=None):
    path = tmp_path / "oss.yaml"
    path.write_text(f"""
kafka:
  bootstrap_servers: "127.0.0.1:9092"
  group_id: "cli-test"
  topics: ["events"]
oss:
  endpoint: "{emulator.endpoint}"
  region: "cn-hangzhou"
  bucket: "{bucket or emulator.bucket}"
  path_style: true
  credentials:
    provider: static
    access_key_id: "{emulator.access_key_id}"
    access_key_secret: "${{CLI_SECRET}}"
""")
    env = dict(os.environ, CLI_SECRET=secret or emulator.access_key_secret)
    return str(path), env


def oss(config, env, *args, stdin=None):
    return subprocess.run([BINARY, "oss", *args, "--config", config], input=stdin, capture_output=True, env=env,
                          timeout=60)


def test_put_ls_head_cat_append_rm(tmp_path, emulator):
    config, env = write_config(tmp_path, emulator)
    payload = tmp_path / "payload.bin"
    payload.write_bytes(b"hello ")

    assert oss(config, env, "append", "logs/a b.txt", "--position", "0", str(payload)).returncode == 0
    result = oss(config, env, "append", "logs/a b.txt", "--position", "6", "-", stdin=b"world")
    assert result.returncode == 0, result.stderr
    # Prints the next position and the CRC-64 the official SDK also sees.
    bucket = oss2.Bucket(oss2.Auth(emulator.access_key_id, emulator.access_key_secret), emulator.endpoint,
                         emulator.bucket, is_cname=False)
    meta = bucket.head_object("logs/a b.txt")
    out = result.stdout.decode()
    assert "11" in out and str(meta.server_crc) in out

    assert oss(config, env, "put", "logs/normal.txt", "-", stdin=b"normal").returncode == 0

    listing = oss(config, env, "ls", "logs/")
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.decode().splitlines()
    assert any(line.endswith("logs/a b.txt") and "Appendable" in line for line in lines)
    assert any(line.endswith("logs/normal.txt") and "Normal" in line for line in lines)

    head = oss(config, env, "head", "logs/a b.txt")
    assert head.returncode == 0
    assert "Appendable" in head.stdout.decode() and str(meta.server_crc) in head.stdout.decode()

    assert oss(config, env, "cat", "logs/a b.txt").stdout == b"hello world"
    assert oss(config, env, "cat", "logs/a b.txt", "--range", "6-10").stdout == b"world"

    # A stale position is refused with the server's next position, and nothing is appended.
    stale = oss(config, env, "append", "logs/a b.txt", "--position", "6", "-", stdin=b"again")
    assert stale.returncode != 0
    assert b"PositionNotEqualToLength" in stale.stderr
    assert bucket.get_object("logs/a b.txt").read() == b"hello world"

    assert oss(config, env, "rm", "logs/a b.txt").returncode == 0
    assert not bucket.object_exists("logs/a b.txt")


def test_wrong_secret_is_one_clear_line_without_the_secret(tmp_path, emulator):
    wrong = "Wrong-Secret-Value-123"
    config, env = write_config(tmp_path, emulator, secret=wrong)
    result = oss(config, env, "ls", "")
    assert result.returncode == 1
    err = result.stderr.decode()
    assert len(err.strip().splitlines()) == 1, err
    assert "SignatureDoesNotMatch" in err and "access_key_secret" in err
    assert wrong not in err and wrong not in result.stdout.decode()


def test_missing_bucket_names_the_fix(tmp_path, emulator):
    config, env = write_config(tmp_path, emulator, bucket="no-such-bucket")
    result = oss(config, env, "head", "k")
    assert result.returncode == 1
    err = result.stderr.decode()
    assert "NoSuchBucket" in err and "oss.bucket" in err
