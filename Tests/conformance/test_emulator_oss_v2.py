"""The official `alibabacloud-oss-v2` SDK (V4), unchanged, against the emulator CLI."""
import alibabacloud_oss_v2 as oss
import pytest


def make_client(emulator, secret=None):
    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(
        emulator.access_key_id, secret or emulator.access_key_secret)
    cfg.region = "cn-hangzhou"
    cfg.endpoint = emulator.endpoint
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


def test_append_sequence_crc_and_next_position(emulator):
    client = make_client(emulator)
    key = "logs/2024/app 1+é.log"
    position, crc, content = 0, None, b""
    for i in range(5):
        chunk = bytes([65 + i]) * (100 * i + 1)
        # init_hash_crc64 makes the SDK verify the server CRC continued over this chunk.
        result = append(client, emulator, key, position, chunk, init_hash_crc64=crc)
        content += chunk
        assert result.status_code == 200
        assert result.next_position == len(content)
        position, crc = result.next_position, result.hash_crc64
    got = client.get_object(oss.GetObjectRequest(bucket=emulator.bucket, key=key))
    assert got.body.read() == content
    assert got.hash_crc64 == crc


def test_position_mismatch_carries_next_position(emulator):
    client = make_client(emulator)
    append(client, emulator, "k", 0, b"hello")
    with pytest.raises(Exception) as excinfo:
        append(client, emulator, "k", 3, b"x")
    error = service_error(excinfo)
    assert error.status_code == 409
    assert error.code == "PositionNotEqualToLength"
    assert error.headers.get("x-oss-next-append-position") == "5"
    assert error.ec == "0026-00000016"
    assert len(error.request_id) == 24


def test_append_only_file_recovers_after_lost_response(emulator):
    """The SDK's AppendOnlyFile: a dropped response on an applied append, then the retry sees 409 and HEAD."""
    client = make_client(emulator)
    with client.append_file(emulator.bucket, "af/file.log") as f:
        f.write(b"first;")
    emulator.admin({"action": "drop-after-apply", "count": 1, "method": "POST"})
    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(emulator.access_key_id, emulator.access_key_secret)
    cfg.region, cfg.endpoint = "cn-hangzhou", emulator.endpoint
    retrying = oss.Client(cfg)  # default retryer: the append is re-sent after the dropped connection
    with retrying.append_file(emulator.bucket, "af/file.log") as f:
        f.write(b"second;")
    got = client.get_object(oss.GetObjectRequest(bucket=emulator.bucket, key="af/file.log")).body.read()
    assert got == b"first;second;"


def test_append_after_put_is_not_appendable(emulator):
    client = make_client(emulator)
    client.put_object(oss.PutObjectRequest(bucket=emulator.bucket, key="n", body=b"normal"))
    with pytest.raises(Exception) as excinfo:
        append(client, emulator, "n", 6, b"x")
    error = service_error(excinfo)
    assert (error.status_code, error.code) == (409, "ObjectNotAppendable")


def test_head_fields(emulator):
    client = make_client(emulator)
    append(client, emulator, "h", 0, b"test", metadata={"owner": "sink"}, content_type="text/plain")
    head = client.head_object(oss.HeadObjectRequest(bucket=emulator.bucket, key="h"))
    assert head.object_type == "Appendable"
    assert head.content_length == 4
    assert head.hash_crc64 == "18020588380933092773"
    assert int(head.next_append_position) == 4
    assert head.storage_class == "Standard"
    assert head.metadata == {"owner": "sink"}
    assert head.content_type == "text/plain"


def test_ranged_get(emulator):
    client = make_client(emulator)
    append(client, emulator, "r", 0, b"0123456789")
    got = client.get_object(oss.GetObjectRequest(bucket=emulator.bucket, key="r", range_header="bytes=3-6"))
    assert got.status_code == 206
    assert got.content_range == "bytes 3-6/10"
    assert got.body.read() == b"3456"
    clipped = client.get_object(oss.GetObjectRequest(
        bucket=emulator.bucket, key="r", range_header="bytes=8-100", range_behavior="standard"))
    assert clipped.body.read() == b"89"
    with pytest.raises(Exception) as excinfo:
        client.get_object(oss.GetObjectRequest(
            bucket=emulator.bucket, key="r", range_header="bytes=20-30", range_behavior="standard"))
    assert service_error(excinfo).status_code == 416


def test_list_v2_pagination_and_url_encoding(emulator):
    client = make_client(emulator)
    keys = ["p/a b", "p/a+b", "p/ünï", "p/%2F", "p/sub/1", "p/sub/2", "q"]
    for key in keys:
        client.put_object(oss.PutObjectRequest(bucket=emulator.bucket, key=key, body=b"x"))
    paginator = client.list_objects_v2_paginator()
    listed, pages = [], 0
    for page in paginator.iter_page(oss.ListObjectsV2Request(bucket=emulator.bucket, prefix="p/", max_keys=2)):
        pages += 1
        assert page.key_count == len(page.contents or [])
        listed += [o.key for o in page.contents or []]
    assert listed == sorted([k for k in keys if k.startswith("p/")], key=lambda k: k.encode())
    assert pages == 3
    page = client.list_objects_v2(oss.ListObjectsV2Request(bucket=emulator.bucket, prefix="p/", delimiter="/",
                                                           max_keys=100))
    assert [p.prefix for p in page.common_prefixes] == ["p/sub/"]
    assert page.key_count == 5
    after = client.list_objects_v2(oss.ListObjectsV2Request(bucket=emulator.bucket, start_after="p/sub/1"))
    assert [o.key for o in after.contents] == ["p/sub/2", "p/ünï", "q"]


def test_delete(emulator):
    client = make_client(emulator)
    append(client, emulator, "d", 0, b"x")
    assert client.delete_object(oss.DeleteObjectRequest(bucket=emulator.bucket, key="d")).status_code == 204
    assert client.delete_object(oss.DeleteObjectRequest(bucket=emulator.bucket, key="d")).status_code == 204
    assert not client.is_object_exist(emulator.bucket, "d")


def test_wrong_secret(emulator):
    client = make_client(emulator, secret="definitely-wrong")
    with pytest.raises(Exception) as excinfo:
        append(client, emulator, "k", 0, b"x")
    error = service_error(excinfo)
    assert (error.status_code, error.code) == (403, "SignatureDoesNotMatch")
    assert "OSS4-HMAC-SHA256" in error.error_fileds.get("StringToSign", "")
    assert "definitely-wrong" not in str(excinfo.value)


def test_missing_bucket_and_key(emulator):
    client = make_client(emulator)
    with pytest.raises(Exception) as excinfo:
        client.append_object(oss.AppendObjectRequest(bucket="no-such-bucket-here", key="k", position=0, body=b"x"))
    assert service_error(excinfo).code == "NoSuchBucket"
    with pytest.raises(Exception) as excinfo:
        client.get_object(oss.GetObjectRequest(bucket=emulator.bucket, key="missing"))
    assert service_error(excinfo).code == "NoSuchKey"
    with pytest.raises(Exception) as excinfo:
        client.head_object(oss.HeadObjectRequest(bucket=emulator.bucket, key="missing"))
    error = service_error(excinfo)
    # HEAD has no body; the SDK decodes the error from x-oss-err.
    assert (error.status_code, error.code, error.ec) == (404, "NoSuchKey", "0026-00000001")
    info = client.get_bucket_info(oss.GetBucketInfoRequest(bucket=emulator.bucket))
    assert info.bucket_info.name == emulator.bucket
    assert info.bucket_info.location == "oss-cn-hangzhou"


def test_presigned_get_url(emulator):
    import requests
    client = make_client(emulator)
    client.put_object(oss.PutObjectRequest(bucket=emulator.bucket, key="signed/a b+c.txt", body=b"presigned"))
    presigned = client.presign(oss.GetObjectRequest(bucket=emulator.bucket, key="signed/a b+c.txt"))
    response = requests.get(presigned.url, headers=presigned.signed_headers)
    assert response.status_code == 200, response.text
    assert response.content == b"presigned"
