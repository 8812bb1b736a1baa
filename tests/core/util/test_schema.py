"""Typed JSON records (core.util.schema): what the model files and the worker rely on."""
import typing
from dataclasses import dataclass, field

import numpy as np
import pytest

from hazard_susceptibility.core.util import schema
from hazard_susceptibility.core.util.errors import InputError


@dataclass
class Inner:
    n: int
    x: float = 0.0

    def validate(self, where):
        if self.n < 0:
            raise InputError(f"{where}: n must not be negative.")


@dataclass
class Outer:
    name: str
    inner: Inner
    items: list[Inner] = field(default_factory=list)
    pair: tuple[float, ...] = ()
    table: dict[str, list[int]] = field(default_factory=dict)
    maybe: typing.Optional[int] = None
    free: typing.Any = None
    flag: bool = False


def test_round_trip_with_numpy_values():
    rec = Outer("a", Inner(np.int64(2), np.float32(0.5)), [Inner(1)], (1.0, 2.0),
                {"k": [1, 2]}, None, {"any": [1, "x"]}, np.bool_(True))
    obj = schema.to_json(rec)
    assert obj["inner"] == {"n": 2, "x": 0.5} and type(obj["inner"]["n"]) is int
    back = schema.from_json(Outer, obj, "rec")
    assert back.pair == (1.0, 2.0) and back.items == [Inner(1, 0.0)] and back.flag is True
    assert back.inner == Inner(2, 0.5) and back.free == {"any": [1, "x"]}


@pytest.mark.parametrize("obj, match", [
    ([], "rec: expected a JSON object, found a list"),
    ({"inner": {"n": 1}}, "rec: the field 'name' is missing"),
    ({"name": "a", "inner": {"n": 1}, "extra": 1}, "unknown field\\(s\\) extra"),
    ({"name": 3, "inner": {"n": 1}}, "field 'name': expected text, found a number"),
    ({"name": "a", "inner": {"n": True}}, "field 'inner', field 'n': expected an integer, found "
                                         "true/false"),
    ({"name": "a", "inner": {"n": 1.5}}, "expected an integer, found a number"),
    ({"name": "a", "inner": {"n": -1}}, "n must not be negative"),
    ({"name": "a", "inner": {"n": 1}, "items": [{"n": 1}, {"n": "2"}]},
     "field 'items'\\[1\\], field 'n': expected an integer"),
    ({"name": "a", "inner": {"n": 1}, "table": {"k": [1, None]}},
     "field 'table'\\['k'\\]\\[1\\]: expected an integer, found null"),
    ({"name": "a", "inner": {"n": 1}, "maybe": "3"}, "field 'maybe': expected an integer"),
    ({"name": "a", "inner": {"n": 1}, "flag": 1}, "field 'flag': expected true or false"),
    ({"name": "a", "inner": {"n": 1}, "pair": {"a": 1}}, "field 'pair': expected a list"),
])
def test_every_wrong_type_is_named(obj, match):
    with pytest.raises(InputError, match=match):
        schema.from_json(Outer, obj, "rec")


def test_the_error_class_is_the_callers():
    class Mine(InputError):
        pass
    with pytest.raises(Mine):
        schema.from_json(Inner, {"n": "x"}, "rec", Mine)
    # ints are accepted where floats are declared, and become floats
    assert schema.from_json(Inner, {"n": 1, "x": 2}, "rec").x == 2.0
