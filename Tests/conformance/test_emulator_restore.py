"""RestoreObject of an Archive appendable object (what the sink does before it reads a cold segment's tail): the
official `alibabacloud-oss-v2` SDK against the emulator CLI, signed with V4 and V1. The emulator restores at once."""
import alibabacloud_oss_v2 as oss
import pytest

from test_emulator_seal import append, make_client, service_error


def restore(client, emulator, key, days=1):
    return client.restore_object(oss.RestoreObjectRequest(
        bucket=emulator.bucket, key=key, restore_request=oss.RestoreRequest(days=days)))


@pytest.mark.parametrize("signature_version", ["v4", "v1"])
def test_archive_append_object_is_read_after_a_restore(emulator, signature_version):
    client = make_client(emulator, signature_version)
    key = "topics/events/0/seg 1+é.jsonl"
    append(client, emulator, key, 0, b"a" * 10, storage_class="Archive")
    # The storage class is set by the first append only; later appends keep it.
    append(client, emulator, key, 10, b"b" * 5, storage_class="Standard")
    head = client.head_object(oss.HeadObjectRequest(bucket=emulator.bucket, key=key))
    assert (head.storage_class, head.object_type, head.content_length) == ("Archive", "Appendable", 15)
    assert head.restore is None

    with pytest.raises(Exception) as excinfo:
        client.get_object(oss.GetObjectRequest(bucket=emulator.bucket, key=key, range_header="bytes=10-14"))
    error = service_error(excinfo)
    assert (error.status_code, error.code) == (403, "InvalidObjectState")

    assert restore(client, emulator, key).status_code == 202
    head = client.head_object(oss.HeadObjectRequest(bucket=emulator.bucket, key=key))
    assert head.restore.startswith('ongoing-request="false", expiry-date="')
    got = client.get_object(oss.GetObjectRequest(bucket=emulator.bucket, key=key, range_header="bytes=10-14"))
    assert got.body.read() == b"b" * 5
    # A restored copy exists: a second restore moves its expiry (200).
    assert restore(client, emulator, key, days=2).status_code == 200
    # Appends go on while the copy is restored.
    assert append(client, emulator, key, 15, b"c").next_position == 16


def test_restore_of_an_object_not_in_cold_storage_or_missing(emulator):
    client = make_client(emulator)
    append(client, emulator, "hot", 0, b"x")
    with pytest.raises(Exception) as excinfo:
        restore(client, emulator, "hot")
    assert (service_error(excinfo).status_code, service_error(excinfo).code) == (400, "OperationNotSupported")
    with pytest.raises(Exception) as excinfo:
        restore(client, emulator, "missing")
    assert service_error(excinfo).code == "NoSuchKey"
