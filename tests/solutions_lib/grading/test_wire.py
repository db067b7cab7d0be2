"""The byte encoding between kernel and verifier: round trips, no pickle."""
import numpy as np
import pytest

from checker import wire


def test_round_trip_of_nested_values():
    value = {"a": (np.arange(6.0).reshape(2, 3), None, 3, 2.5, "s", True),
             "b": [np.int64(7), np.float64(1.5), {"c": np.zeros((0, 2))}], 4: float("nan")}
    back = wire.decode(wire.encode(value))
    assert back["a"][0].shape == (2, 3) and (back["a"][0] == value["a"][0]).all()
    assert back["a"][1:] == (None, 3, 2.5, "s", True)
    assert back["b"][0] == 7 and isinstance(back["b"][0], np.integer)
    assert back["b"][2]["c"].shape == (0, 2)
    assert np.isnan(back[4])


def test_objects_are_not_pickled_but_described():
    back = wire.decode(wire.encode([object(), np.array([object()], dtype=object)]))
    assert all(isinstance(v, wire.Opaque) for v in back)


def test_pickled_npy_payload_is_refused():
    import io
    import json
    import struct
    buf = io.BytesIO()
    np.save(buf, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    blob = buf.getvalue()
    header = json.dumps({"v": {"__nd__": 0, "scalar": False}, "sizes": [len(blob)]}).encode()
    with pytest.raises(ValueError):
        wire.decode(struct.pack(">I", len(header)) + header + blob)


def test_truncated_message_is_refused():
    data = wire.encode(np.arange(10.0))
    with pytest.raises(ValueError):
        wire.decode(data[:-5])
