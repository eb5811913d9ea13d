"""The official `oss2` SDK (V1 and V4 signing), unchanged, against the emulator CLI."""
import oss2
import pytest

from oss2.credentials import StaticCredentialsProvider


def make_bucket(emulator, version, bucket=None, secret=None):
    secret = secret or emulator.access_key_secret
    if version == "v1":
        auth = oss2.Auth(emulator.access_key_id, secret)
    else:
        auth = oss2.ProviderAuthV4(StaticCredentialsProvider(emulator.access_key_id, secret))
    return oss2.Bucket(auth, emulator.endpoint, bucket or emulator.bucket, region="cn-hangzhou")


VERSIONS = ["v1", "v4"]


@pytest.mark.parametrize("version", VERSIONS)
def test_append_sequence_with_crc_check(emulator, version):
    bucket = make_bucket(emulator, version)
    key = "logs/app 1+2é.log"
    position, crc, content = 0, None, b""
    for i in range(5):
        chunk = (f"line {i}\n" * (i + 1)).encode()
        # init_crc makes oss2 check the server CRC against its own continued CRC.
        result = bucket.append_object(key, position, chunk, init_crc=crc)
        content += chunk
        assert result.next_position == len(content)
        position, crc = result.next_position, result.crc
    assert bucket.get_object(key).read() == content


@pytest.mark.parametrize("version", VERSIONS)
def test_position_mismatch_reports_next_position(emulator, version):
    bucket = make_bucket(emulator, version)
    bucket.append_object("k", 0, b"hello")
    with pytest.raises(oss2.exceptions.PositionNotEqualToLength) as error:
        bucket.append_object("k", 2, b"x")
    assert error.value.next_position == 5
    assert error.value.status == 409
    with pytest.raises(oss2.exceptions.PositionNotEqualToLength) as error:
        bucket.append_object("k", 0, b"x")
    assert error.value.next_position == 5


@pytest.mark.parametrize("version", VERSIONS)
def test_append_after_put_is_not_appendable(emulator, version):
    bucket = make_bucket(emulator, version)
    bucket.append_object("k", 0, b"abc")
    bucket.put_object("k", b"normal")
    with pytest.raises(oss2.exceptions.ObjectNotAppendable):
        bucket.append_object("k", 6, b"x")


@pytest.mark.parametrize("version", VERSIONS)
def test_head_fields(emulator, version):
    bucket = make_bucket(emulator, version)
    bucket.append_object("h/test", 0, b"test", headers={"x-oss-meta-owner": "sink", "Content-Type": "text/plain"})
    head = bucket.head_object("h/test")
    assert head.object_type == "Appendable"
    assert head.content_length == 4
    assert head.server_crc == 18020588380933092773
    assert head.headers["x-oss-next-append-position"] == "4"
    assert head.headers["x-oss-meta-owner"] == "sink"
    assert head.content_type == "text/plain"
    bucket.put_object("h/normal", b"n")
    normal = bucket.head_object("h/normal")
    assert normal.object_type == "Normal"
    assert "x-oss-next-append-position" not in normal.headers


@pytest.mark.parametrize("version", VERSIONS)
def test_ranged_get(emulator, version):
    bucket = make_bucket(emulator, version)
    bucket.append_object("r", 0, b"0123456789")
    assert bucket.get_object("r", byte_range=(2, 5)).read() == b"2345"
    assert bucket.get_object("r", byte_range=(7, None)).read() == b"789"
    assert bucket.get_object("r", byte_range=(None, 3)).read() == b"789"
    # Out-of-range without x-oss-range-behavior: whole object with 200.
    whole = bucket.get_object("r", byte_range=(5, 100))
    assert whole.status == 200
    assert whole.read() == b"0123456789"
    clipped = bucket.get_object("r", byte_range=(5, 100), headers={"x-oss-range-behavior": "standard"})
    assert clipped.status == 206
    assert clipped.read() == b"56789"
    with pytest.raises(oss2.exceptions.ServerError) as error:
        bucket.get_object("r", byte_range=(50, 60), headers={"x-oss-range-behavior": "standard"})
    assert error.value.status == 416
    assert error.value.code == "InvalidRange"


@pytest.mark.parametrize("version", VERSIONS)
def test_list_v2_pagination_and_url_encoding(emulator, version):
    bucket = make_bucket(emulator, version)
    keys = ["dir/a b.txt", "dir/a+b.txt", "dir/日本.txt", "dir/x%2Fy", "dir/sub/1", "dir/sub/2", "top"]
    for key in keys:
        bucket.put_object(key, b"x")
    listed = [obj.key for obj in oss2.ObjectIteratorV2(bucket, prefix="dir/", max_keys=2)]
    assert listed == sorted([k for k in keys if k.startswith("dir/")], key=lambda k: k.encode())
    # With a delimiter: one common prefix, counted once across pages.
    entries = list(oss2.ObjectIteratorV2(bucket, prefix="dir/", delimiter="/", max_keys=2))
    prefixes = [e.key for e in entries if e.is_prefix()]
    files = [e.key for e in entries if not e.is_prefix()]
    assert prefixes == ["dir/sub/"]
    assert files == ["dir/a b.txt", "dir/a+b.txt", "dir/x%2Fy", "dir/日本.txt"]
    page = bucket.list_objects_v2(prefix="dir/", max_keys=3)
    assert page.is_truncated and page.next_continuation_token
    rest = bucket.list_objects_v2(prefix="dir/", max_keys=100, continuation_token=page.next_continuation_token)
    assert [o.key for o in page.object_list] + [o.key for o in rest.object_list] == listed
    # V1 listing (oss2's default ObjectIterator) as well.
    assert [obj.key for obj in oss2.ObjectIterator(bucket, prefix="dir/", max_keys=2)] == listed


@pytest.mark.parametrize("version", VERSIONS)
def test_delete(emulator, version):
    bucket = make_bucket(emulator, version)
    bucket.append_object("d", 0, b"x")
    assert bucket.delete_object("d").status == 204
    assert bucket.delete_object("d").status == 204
    assert not bucket.object_exists("d")


@pytest.mark.parametrize("version", VERSIONS)
def test_wrong_secret(emulator, version):
    bucket = make_bucket(emulator, version, secret="definitely-wrong")
    with pytest.raises(oss2.exceptions.SignatureDoesNotMatch) as error:
        bucket.append_object("k", 0, b"x")
    assert error.value.status == 403
    assert "StringToSign" in str(error.value.details) or error.value.details.get("StringToSign")
    assert "definitely-wrong" not in str(error.value)


@pytest.mark.parametrize("version", VERSIONS)
def test_missing_bucket_and_key(emulator, version):
    missing = make_bucket(emulator, version, bucket="no-such-bucket-here")
    with pytest.raises(oss2.exceptions.NoSuchBucket):
        missing.append_object("k", 0, b"x")
    bucket = make_bucket(emulator, version)
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.get_object("missing")
    with pytest.raises(oss2.exceptions.NotFound) as error:
        bucket.head_object("missing")
    # HEAD has no body: oss2 decodes the error from x-oss-err.
    assert error.value.code == "NoSuchKey"
    assert bucket.get_bucket_info().name == emulator.bucket


@pytest.mark.parametrize("version", VERSIONS)
def test_presigned_get_url(emulator, version):
    import requests
    bucket = make_bucket(emulator, version)
    bucket.put_object("signed/a b+c.txt", b"presigned")
    url = bucket.sign_url("GET", "signed/a b+c.txt", 60)
    response = requests.get(url)
    assert response.status_code == 200
    assert response.content == b"presigned"
