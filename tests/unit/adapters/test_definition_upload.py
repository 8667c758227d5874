"""A definition upload streams the JSON body `json.dumps` would give, a part at a time, with its length known
before; the upload window bounds the bytes being sent at once, first come first served."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable

import pytest

from fabctl.adapters.fabric.http.uploads import CHUNK_BYTES, DefinitionUpload, UploadWindow
from fabctl.domain.definition import DefinitionPart, ItemDefinition

# Not a multiple of 3 or of the chunk: the last base64 piece is padded, the others must not be.
BIG = bytes(range(256)) * (3 * CHUNK_BYTES // 256 + 7)
NOTEBOOK = "# Fabric notebook source\nprint('héllo')\n".encode()


def expected_body(definition: ItemDefinition, fields: dict[str, str]) -> dict[str, object]:
    parts = [
        {"path": p.path, "payload": base64.b64encode(p.payload).decode(), "payloadType": "InlineBase64"}
        for p in definition.parts
    ]
    return {**fields, "definition": {"parts": parts}}


DEFINITION = ItemDefinition.of(
    [
        DefinitionPart("notebook-content.py", NOTEBOOK),
        DefinitionPart("Files/données.bin", BIG),
        DefinitionPart("empty.txt", b""),
        DefinitionPart(".platform", b'{"metadata": {}}'),
    ]
)


@pytest.mark.parametrize(
    "fields",
    [{}, {"displayName": 'Sales "daily"', "type": "Notebook", "description": "", "folderId": "f-1"}],
    ids=["update (definition only)", "create (item fields first)"],
)
def test_the_stream_is_the_json_body_with_every_part_in_base64(fields: dict[str, str]) -> None:
    upload = DefinitionUpload(DEFINITION, fields)

    body = b"".join(upload)

    assert json.loads(body) == expected_body(DEFINITION, fields)
    assert len(upload) == len(body)


def test_it_can_be_sent_again_for_a_retry() -> None:
    fields = {"displayName": "Sales", "type": "Notebook"}
    upload = DefinitionUpload(DEFINITION, fields)

    first, second = b"".join(upload), b"".join(upload)

    for sent in (first, second):  # a one-shot stream would send nothing the second time
        assert json.loads(sent) == expected_body(DEFINITION, fields)
        assert len(sent) == len(upload)


def test_no_piece_of_the_stream_holds_more_than_a_chunk_of_a_payload() -> None:
    pieces = list(DefinitionUpload(ItemDefinition.of([DefinitionPart("big.bin", BIG * 4)])))

    assert max(len(piece) for piece in pieces) == len(base64.b64encode(bytes(CHUNK_BYTES)))
    assert len(pieces) > 4 * 3  # the payload came in many pieces, not one


def test_a_part_read_from_a_file_is_read_once_to_count_and_once_to_send() -> None:
    reads: list[str] = []

    def notebook() -> bytes:
        reads.append("notebook")
        return NOTEBOOK

    upload = DefinitionUpload(ItemDefinition.of([DefinitionPart("notebook-content.py", notebook)]))
    assert reads == ["notebook"]

    b"".join(upload)
    assert reads == ["notebook", "notebook"]


def hold_in_thread(window: UploadWindow, size: int, held: list[int], release: threading.Event) -> threading.Thread:
    def hold() -> None:
        with window.holding(size):
            held.append(size)
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    return thread


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert condition(), f"still not true after {timeout}s"


def test_the_window_admits_uploads_until_it_is_full_then_the_next_waits() -> None:
    window, held, release = UploadWindow(100), [], threading.Event()
    first, second = hold_in_thread(window, 60, held, release), hold_in_thread(window, 40, held, release)
    wait_until(lambda: len(held) == 2)
    third = hold_in_thread(window, 1, held, release)
    wait_until(lambda: window.waiting == 1)  # it is in the window's queue, not merely not there yet

    assert sorted(held) == [40, 60] and window.used == 100  # the third waits for room
    release.set()
    for thread in (first, second, third):
        thread.join(5)
    assert sorted(held) == [1, 40, 60] and window.used == 0


def test_an_upload_bigger_than_the_window_waits_for_it_to_empty_and_then_fills_it() -> None:
    window, held, release = UploadWindow(100), [], threading.Event()
    small = hold_in_thread(window, 10, held, release)
    wait_until(lambda: held == [10])
    big = hold_in_thread(window, 250, held, release)
    wait_until(lambda: window.waiting == 1)
    assert held == [10]

    release.set()
    small.join(5)
    big.join(5)
    assert held == [10, 250] and window.used == 0


def test_a_waiting_upload_is_not_overtaken_by_smaller_ones_that_come_after_it() -> None:
    window, held = UploadWindow(100), []
    release_first, release_rest = threading.Event(), threading.Event()
    first = hold_in_thread(window, 70, held, release_first)
    wait_until(lambda: held == [70])
    big = hold_in_thread(window, 90, held, release_rest)
    wait_until(lambda: window.waiting == 1)
    small = hold_in_thread(window, 10, held, release_rest)  # would fit now, beside the first
    wait_until(lambda: window.waiting == 2)  # queued behind the big one, not admitted
    assert held == [70]

    release_first.set()
    wait_until(lambda: len(held) == 3)
    release_rest.set()
    for thread in (first, big, small):
        thread.join(5)
    assert held == [70, 90, 10]
