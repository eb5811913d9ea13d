"""Directory store durability through the CLI: restart, SIGKILL during appends, and fault injection."""
import threading
import time

import oss2
import pytest


def bucket_for(emulator):
    return oss2.Bucket(oss2.Auth(emulator.access_key_id, emulator.access_key_secret), emulator.endpoint,
                       emulator.bucket)


def crc64(data):
    crc = oss2.utils.Crc64(0)
    crc.update(data)
    return crc.crc


def test_restart_keeps_bytes_crc_and_metadata(emulator_factory, tmp_path):
    emulator = emulator_factory(data_dir=str(tmp_path / "data"))
    bucket = bucket_for(emulator)
    bucket.append_object("logs/a.log", 0, b"hello ", headers={"x-oss-meta-owner": "sink"})
    bucket.append_object("logs/a.log", 6, b"world")
    bucket.put_object("normal.txt", b"normal")
    before = bucket.head_object("logs/a.log")

    emulator.restart()
    bucket = bucket_for(emulator)
    after = bucket.head_object("logs/a.log")
    assert after.content_length == 11
    assert after.server_crc == before.server_crc == crc64(b"hello world")
    assert after.object_type == "Appendable"
    assert after.headers["x-oss-meta-owner"] == "sink"
    assert after.etag == before.etag
    assert bucket.get_object("logs/a.log").read() == b"hello world"
    assert bucket.head_object("normal.txt").object_type == "Normal"
    # Appending continues where it stopped.
    assert bucket.append_object("logs/a.log", 11, b"!").next_position == 12


def chunk(key, index):
    return (f"{key}#{index};" * (1 + index % 7)).encode()


def test_sigkill_during_appends_never_exposes_partial_append(emulator_factory, tmp_path):
    emulator = emulator_factory(data_dir=str(tmp_path / "data"))
    keys = [f"stream/{n}.log" for n in range(4)]
    acked = {key: 0 for key in keys}          # length a successful response reported
    in_flight = {key: None for key in keys}   # size of the append that may or may not have landed
    stop = threading.Event()

    def writer(key):
        bucket = bucket_for(emulator)
        index, position = 0, 0
        while not stop.is_set():
            data = chunk(key, index)
            in_flight[key] = len(data)
            try:
                result = bucket.append_object(key, position, data)
            except Exception:
                return
            position = result.next_position
            acked[key] = position
            in_flight[key] = None
            index += 1

    threads = [threading.Thread(target=writer, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    emulator.kill()
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    assert all(length > 0 for length in acked.values()), acked

    emulator.start()
    bucket = bucket_for(emulator)
    for key in keys:
        expected = b"".join(chunk(key, i) for i in range(2000))
        head = bucket.head_object(key)
        allowed = {acked[key]}
        if in_flight[key] is not None:
            allowed.add(acked[key] + in_flight[key])
        assert head.content_length in allowed, (key, head.content_length, allowed)
        content = bucket.get_object(key).read()
        assert content == expected[:head.content_length]
        assert head.server_crc == crc64(content)
        # The object is appendable at exactly its published length.
        assert bucket.append_object(key, head.content_length, b"more").next_position == head.content_length + 4


def test_fault_admin_fail_and_foreign_writer(emulator):
    bucket = bucket_for(emulator)
    bucket.append_object("f", 0, b"abc")
    emulator.admin({"action": "fail", "count": 1, "status": 503, "code": "ServiceUnavailable",
                    "method": "POST", "key_prefix": "f"})
    with pytest.raises(oss2.exceptions.ServerError) as error:
        bucket.append_object("f", 3, b"d")
    assert error.value.status == 503
    assert bucket.head_object("f").content_length == 3
    reply = emulator.admin({"action": "foreign-append", "bucket": emulator.bucket, "key": "f", "data": "zz"})
    assert reply["length"] == "5"
    with pytest.raises(oss2.exceptions.PositionNotEqualToLength) as mismatch:
        bucket.append_object("f", 3, b"d")
    assert mismatch.value.next_position == 5
    assert emulator.reset_faults()["failed"] == "1"


def test_fault_admin_drop_after_apply(emulator):
    bucket = bucket_for(emulator)
    bucket.append_object("lost", 0, b"abc")
    emulator.admin({"action": "drop-after-apply", "count": 1, "method": "POST"})
    with pytest.raises(oss2.exceptions.RequestError):
        bucket.append_object("lost", 3, b"def")
    # The append landed although no response arrived.
    head = bucket.head_object("lost")
    assert head.content_length == 6
    assert head.server_crc == crc64(b"abcdef")
