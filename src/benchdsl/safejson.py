"""JSON that keeps Python's shapes and can build only the classes it is given.

What benchdsl keeps between runs (`cache`) and ships precomputed (`lalr`) is
written with this instead of pickle: loading JSON runs no code, and decoding
can construct only the attrs classes in an explicit allowlist, through their
ordinary `__init__`.  On top of plain JSON it keeps

- tuples as tuples:                   {"^t": [...]}
- dicts whose keys are not all plain strings (or start like a tag): {"^d": [[key, value], ...]}
- inf, -inf and nan, which JSON lacks: {"^f": "inf"}
- an allowed attrs instance:          {"!ClassName": [field values in the order of attrs.fields]}
- a member of an allowed enum:        {"!EnumName": value}

An instance is its field values in order, without their names: a checked
program is mostly spans and small nodes, and their field names were half of a
cache entry and most of the time spent decoding it.

Floats round-trip exactly (json writes `repr`), ints stay ints, strings keep
lone surrogates (everything outside ASCII is escaped).  Anything else --
another type on the way in, an unknown class, a missing or extra field, a
malformed tag on the way out -- raises `ValueError` or `TypeError`.
"""

from __future__ import annotations

import contextlib
import enum
import gc
import json
import math

import attrs

_SPECIAL = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}
_TAG_STARTS = ("^", "!")  # a plain dict never has a key that starts like a tag: it is kept as {"^d": ...}


class Codec:
    """Encode and decode values built of JSON types, tuples, dicts and the given attrs classes."""

    def __init__(self, classes=()):
        self.classes = {}
        self.enums = {}  # the allowed enum types, by name: a member is kept as its value
        for cls in classes:
            if isinstance(cls, type) and issubclass(cls, enum.Enum):
                if self.enums.setdefault(cls.__name__, cls) is not cls:
                    raise ValueError(f"two allowed enums are called {cls.__name__}")
                continue
            if not attrs.has(cls):
                raise TypeError(f"{cls!r} is not an attrs class")
            if self.classes.setdefault(cls.__name__, cls) is not cls:
                raise ValueError(f"two allowed classes are called {cls.__name__}")
            if any(not a.init or a.alias != a.name or a.kw_only for a in attrs.fields(cls)):
                raise TypeError(f"{cls.__name__}: every field must be a positional __init__ argument of its own name")
        if set(self.enums) & set(self.classes):
            raise ValueError("an enum and a class share a name")
        self.fields = {name: tuple(a.name for a in attrs.fields(cls)) for name, cls in self.classes.items()}
        # what a one-key object {tag: payload} becomes, by its tag
        self._makers = {"^t": _tuple, "^d": _dict, "^f": _float}
        for name, cls in self.classes.items():
            self._makers["!" + name] = _instance_maker(cls, len(self.fields[name]))
        for name, e in self.enums.items():
            self._makers["!" + name] = e  # a value the enum lacks raises ValueError

    # --- writing

    def dumps(self, value) -> str:
        with _no_collection():
            return json.dumps(self._encode(value), ensure_ascii=True, allow_nan=False, separators=(",", ":"))

    def _encode(self, o):
        t = type(o)
        if t is str or t is int or t is bool or o is None:
            return o
        if t is float:
            return o if math.isfinite(o) else {"^f": repr(o)}
        if t is tuple:
            return {"^t": [self._encode(x) for x in o]}
        if t is list:
            return [self._encode(x) for x in o]
        if t is dict:
            if all(type(k) is str and not k.startswith(_TAG_STARTS) for k in o):
                return {k: self._encode(v) for k, v in o.items()}
            return {"^d": [[self._encode(k), self._encode(v)] for k, v in o.items()]}
        name = t.__name__
        if self.classes.get(name) is t:
            return {"!" + name: [self._encode(getattr(o, f)) for f in self.fields[name]]}
        if self.enums.get(name) is t:
            return {"!" + name: self._encode(o.value)}
        raise TypeError(f"cannot keep a {t.__module__}.{t.__qualname__} between runs")

    # --- reading

    def loads(self, text: str | bytes):
        with _no_collection():
            return json.loads(text, object_hook=self._hook, parse_constant=_no_constant)

    def _hook(self, d: dict):
        if len(d) == 1:
            ((tag, payload),) = d.items()
            make = self._makers.get(tag)
            if make is not None:
                return make(payload)
        for k in d:
            if k.startswith(_TAG_STARTS):
                raise ValueError(f"malformed or unknown tag {k[:40]!r}")
        return d


@contextlib.contextmanager
def _no_collection():
    """Python's cycle collector paused: what is built here is a tree, with no cycle to collect, and
    the collector, set off by the many containers, would walk every object again and again (in a
    10 000-measure program, half the time of writing or reading it)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _instance_maker(cls, n: int):
    def make(values):
        if type(values) is not list or len(values) != n:
            raise ValueError(f"wrong fields for {cls.__name__}")
        return cls(*values)

    return make


def _tuple(items):
    if type(items) is not list:
        raise ValueError("malformed tuple")
    return tuple(items)


def _dict(pairs):
    if type(pairs) is not list or not all(type(p) is list and len(p) == 2 for p in pairs):
        raise ValueError("malformed dict")
    return {k: v for k, v in pairs}  # an unhashable key raises TypeError


def _float(text):
    if type(text) is not str or text not in _SPECIAL:
        raise ValueError("malformed float")
    return _SPECIAL[text]


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


PLAIN = Codec()
