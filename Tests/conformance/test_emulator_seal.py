"""SealAppendObject and object tagging: the official `alibabacloud-oss-v2` SDK (>= 1.2.2, unchanged) against the
emulator CLI, signed with V4 and V1.

What OSS documents and what the emulator does for each case is listed in docs/operations.md ("Sealing
finished segments")."""
import email.utils

import alibabacloud_oss_v2 as oss
import pytest


def make_client(emulator, signature_version="v4"):
    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(
        emulator.access_key_id, emulator.access_key_secret)
    cfg.region = "cn-hangzhou"
    cfg.endpoint = emulator.endpoint
    cfg.signature_version = signature_version
    cfg.retry_max_attempts = 1
    return oss.Client(cfg)


def service_error(excinfo):
    error = excinfo.value
    if isinstance(error, oss.exceptions.OperationError):
        error = error.unwrap()
    assert isinstance(error, oss.exceptions.ServiceError), repr(error)
    return error


def append(client, emulator, key, position, body, **kwargs):
    return client.append_object(oss.AppendObjectRequest(
        bucket=emulator.bucket, key=key, position=position, body=body, **kwargs))


def seal(client, emulator, key, position):
    return client.seal_append_object(oss.SealAppendObjectRequest(bucket=emulator.bucket, key=key, position=position))


@pytest.mark.parametrize("signature_version", ["v4", "v1"])
def test_seal_at_the_length_is_idempotent_and_refuses_appends(emulator, signature_version):
    client = make_client(emulator, signature_version)
    key = "topics/events/0/seg 1+é.jsonl"
    append(client, emulator, key, 0, b"a" * 100)
    head = client.head_object(oss.HeadObjectRequest(bucket=emulator.bucket, key=key))
    assert head.sealed_time is None

    with pytest.raises(Exception) as excinfo:
        seal(client, emulator, key, 0)
    error = service_error(excinfo)
    assert (error.status_code, error.code, error.ec) == (409, "PositionNotEqualToLength", "0026-00000016")
    assert error.message == "Position is not equal to file length"

    result = seal(client, emulator, key, 100)
    assert result.status_code == 200
    sealed_time = result.sealed_time
    assert email.utils.parsedate_to_datetime(sealed_time).tzname() == "UTC"
    assert sealed_time.endswith(" GMT")

    again = seal(client, emulator, key, 100)
    assert again.sealed_time == sealed_time

    head = client.head_object(oss.HeadObjectRequest(bucket=emulator.bucket, key=key))
    assert head.sealed_time == sealed_time
    assert head.object_type == "Appendable"
    assert head.content_length == 100
    got = client.get_object(oss.GetObjectRequest(bucket=emulator.bucket, key=key))
    assert got.sealed_time == sealed_time
    assert got.body.read() == b"a" * 100

    for position in (100, 0):
        with pytest.raises(Exception) as excinfo:
            append(client, emulator, key, position, b"b")
        error = service_error(excinfo)
        assert (error.status_code, error.code) == (409, "AppendSealedObjectNotAllowed")
    assert client.head_object(oss.HeadObjectRequest(bucket=emulator.bucket, key=key)).content_length == 100


def test_seal_of_a_missing_or_normal_object(emulator):
    client = make_client(emulator)
    with pytest.raises(Exception) as excinfo:
        seal(client, emulator, "missing", 0)
    error = service_error(excinfo)
    assert (error.status_code, error.code) == (404, "NoSuchKey")
    client.put_object(oss.PutObjectRequest(bucket=emulator.bucket, key="normal", body=b"x"))
    with pytest.raises(Exception) as excinfo:
        seal(client, emulator, "normal", 1)
    error = service_error(excinfo)
    assert (error.status_code, error.code) == (409, "AppendSealedObjectNotAllowed")
    with pytest.raises(Exception) as excinfo:
        client.seal_append_object(oss.SealAppendObjectRequest(bucket="no-such-bucket-here", key="k", position=0))
    error = service_error(excinfo)
    assert (error.status_code, error.code, error.ec) == (404, "NoSuchBucket", "0015-00000101")


def test_seal_not_enabled(emulator_factory):
    emulator = emulator_factory(extra_args=["--seal-disabled"])
    client = make_client(emulator)
    append(client, emulator, "k", 0, b"x")
    with pytest.raises(Exception) as excinfo:
        seal(client, emulator, "k", 1)
    error = service_error(excinfo)
    assert (error.status_code, error.code, error.ec) == (400, "OperationNotSupported", "0016-00000513")
    assert error.message == "SealAppendable is not supported."
    # Appends still work.
    assert append(client, emulator, "k", 1, b"y").next_position == 2


@pytest.mark.parametrize("signature_version", ["v4", "v1"])
def test_object_tagging(emulator, signature_version):
    client = make_client(emulator, signature_version)
    append(client, emulator, "t", 0, b"x", tagging="team=data&a%20b=c%2Fd")
    # Tags on a later append are ignored.
    append(client, emulator, "t", 1, b"y", tagging="ignored=1")
    got = client.get_object_tagging(oss.GetObjectTaggingRequest(bucket=emulator.bucket, key="t"))
    assert [(t.key, t.value) for t in got.tag_set.tags] == [("team", "data"), ("a b", "c/d")]
    head = client.head_object(oss.HeadObjectRequest(bucket=emulator.bucket, key="t"))
    assert head.tagging_count == 2
    last_modified = head.last_modified

    seal(client, emulator, "t", 2)
    tags = [("segment.first-offset", "0"), ("segment.last-offset", "41"), ("segment.sealed", "true"), ("k", "")]
    client.put_object_tagging(oss.PutObjectTaggingRequest(
        bucket=emulator.bucket, key="t",
        tagging=oss.Tagging(tag_set=oss.TagSet(tags=[oss.Tag(key=k, value=v) for k, v in tags]))))
    got = client.get_object_tagging(oss.GetObjectTaggingRequest(bucket=emulator.bucket, key="t"))
    assert [(t.key, t.value or "") for t in got.tag_set.tags] == tags
    head = client.head_object(oss.HeadObjectRequest(bucket=emulator.bucket, key="t"))
    assert head.tagging_count == 4
    assert head.last_modified == last_modified

    assert client.delete_object_tagging(oss.DeleteObjectTaggingRequest(bucket=emulator.bucket, key="t")).status_code == 204
    got = client.get_object_tagging(oss.GetObjectTaggingRequest(bucket=emulator.bucket, key="t"))
    assert not (got.tag_set.tags if got.tag_set else [])


def test_object_tagging_limits(emulator):
    client = make_client(emulator)
    append(client, emulator, "t", 0, b"x")

    def put(tags):
        client.put_object_tagging(oss.PutObjectTaggingRequest(
            bucket=emulator.bucket, key="t",
            tagging=oss.Tagging(tag_set=oss.TagSet(tags=[oss.Tag(key=k, value=v) for k, v in tags]))))

    for tags, ec in [([(f"k{i}", "v") for i in range(11)], "0010-00000218"),
                     ([("k" * 129, "v")], "0010-00000209"),
                     ([("k", "v" * 257)], "0010-00000217"),
                     ([("k%", "v")], "0010-00000217")]:
        with pytest.raises(Exception) as excinfo:
            put(tags)
        error = service_error(excinfo)
        assert (error.status_code, error.ec) == (400, ec)
    put([("k" * 128, "v" * 256)])
    with pytest.raises(Exception) as excinfo:
        client.get_object_tagging(oss.GetObjectTaggingRequest(bucket=emulator.bucket, key="missing"))
    assert service_error(excinfo).code == "NoSuchKey"
