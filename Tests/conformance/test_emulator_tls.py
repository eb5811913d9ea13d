"""The official `alibabacloud-oss-v2` SDK over HTTPS to `emulator --tls-cert/--tls-key`, with a CA made here by
the openssl CLI (installed by scripts/install-deps.sh). The SDK sends its requests through `requests`, which
trusts the bundle named by REQUESTS_CA_BUNDLE; certificate verification stays on."""
import os
import subprocess

import alibabacloud_oss_v2 as oss
import pytest


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_ca_and_server(directory, name):
    """A CA and a server certificate for localhost/127.0.0.1 it signed; returns (ca.pem, chain.pem, server.key)."""
    path = lambda suffix: os.path.join(directory, f"{name}-{suffix}")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "2",
            "-subj", f"/CN={name} CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", *ec, "-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=localhost")
    with open(path("server.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
            "-CAcreateserial", "-out", path("server.pem"), "-days", "2", "-extfile", path("server.ext"))
    with open(path("chain.pem"), "w") as chain:
        for part in ("server.pem", "ca.pem"):
            with open(path(part)) as f:
                chain.write(f.read())
    return path("ca.pem"), path("chain.pem"), path("server.key")


@pytest.fixture
def tls_emulator(emulator_factory, tmp_path):
    ca, chain, key = make_ca_and_server(str(tmp_path), "conformance")
    emulator = emulator_factory(tls=(chain, key))
    emulator.ca_file = ca
    return emulator


def make_client(emulator):
    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(emulator.access_key_id, emulator.access_key_secret)
    cfg.region = "cn-hangzhou"
    cfg.endpoint = emulator.endpoint
    cfg.retry_max_attempts = 1
    return oss.Client(cfg)


def test_sdk_appends_and_reads_over_https(tls_emulator, monkeypatch):
    assert tls_emulator.endpoint.startswith("https://127.0.0.1:")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", tls_emulator.ca_file)
    client = make_client(tls_emulator)
    first = client.append_object(oss.AppendObjectRequest(
        bucket=tls_emulator.bucket, key="tls/a.jsonl", position=0, body=b'{"n":1}\n'))
    assert first.status_code == 200 and first.next_position == 8
    second = client.append_object(oss.AppendObjectRequest(
        bucket=tls_emulator.bucket, key="tls/a.jsonl", position=8, body=b'{"n":2}\n', init_hash_crc64=first.hash_crc64))
    assert second.next_position == 16
    got = client.get_object(oss.GetObjectRequest(bucket=tls_emulator.bucket, key="tls/a.jsonl"))
    assert got.body.read() == b'{"n":1}\n{"n":2}\n'
    listing = client.list_objects_v2(oss.ListObjectsV2Request(bucket=tls_emulator.bucket))
    assert [o.key for o in listing.contents] == ["tls/a.jsonl"]


def test_sdk_refuses_a_certificate_of_another_ca(tls_emulator, monkeypatch, tmp_path):
    other_ca, _, _ = make_ca_and_server(str(tmp_path), "other")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", other_ca)
    client = make_client(tls_emulator)
    with pytest.raises(Exception) as excinfo:
        client.get_bucket_info(oss.GetBucketInfoRequest(bucket=tls_emulator.bucket))
    assert "CERTIFICATE_VERIFY_FAILED" in repr(excinfo.value) or "certificate verify failed" in repr(excinfo.value)
