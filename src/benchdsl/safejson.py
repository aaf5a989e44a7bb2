"""JSON that keeps Python's shapes and can build only the classes it is given.

What benchdsl keeps between runs (`cache`) and ships precomputed (`lalr`) is
written with this instead of pickle: loading JSON runs no code, and decoding
can construct only the attrs classes in an explicit allowlist, through their
ordinary `__init__`.  On top of plain JSON it keeps

- tuples as tuples:                   {"^t": [...]}
- dicts whose keys are not all plain strings (or clash with a tag): {"^d": [[key, value], ...]}
- inf, -inf and nan, which JSON lacks: {"^f": "inf"}
- an allowed attrs instance:          {"^c": "ClassName", "field": value, ...}

Floats round-trip exactly (json writes `repr`), ints stay ints, strings keep
lone surrogates (everything outside ASCII is escaped).  Anything else --
another type on the way in, an unknown class, a missing or extra field, a
malformed tag on the way out -- raises `ValueError` or `TypeError`.
"""

from __future__ import annotations

import enum
import json
import math

import attrs

_TAGS = ("^c", "^t", "^d", "^f", "^e")
_SPECIAL = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


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
            if any(not a.init or a.alias != a.name for a in attrs.fields(cls)):
                raise TypeError(f"{cls.__name__}: every field must be an __init__ argument of its own name")
        self.fields = {name: frozenset(a.name for a in attrs.fields(cls)) for name, cls in self.classes.items()}
        if set(self.enums) & set(self.classes):
            raise ValueError("an enum and a class share a name")

    # --- writing

    def dumps(self, value) -> str:
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
            if all(type(k) is str and k not in _TAGS for k in o):
                return {k: self._encode(v) for k, v in o.items()}
            return {"^d": [[self._encode(k), self._encode(v)] for k, v in o.items()]}
        name = t.__name__
        if self.enums.get(name) is t:
            return {"^e": [name, self._encode(o.value)]}
        if self.classes.get(name) is t:
            out = {"^c": name}
            for a in attrs.fields(t):
                out[a.name] = self._encode(getattr(o, a.name))
            return out
        raise TypeError(f"cannot keep a {t.__module__}.{t.__qualname__} between runs")

    # --- reading

    def loads(self, text: str | bytes):
        return json.loads(text, object_hook=self._hook, parse_constant=_no_constant)

    def _hook(self, d: dict):
        name = d.pop("^c", None)
        if name is not None:
            cls = self.classes.get(name)  # an unhashable name raises TypeError
            if cls is None:
                raise ValueError(f"class {name!r} is not allowed")
            if d.keys() != self.fields[name]:
                raise ValueError(f"wrong fields for {name}")
            return cls(**d)
        if len(d) == 1:
            if "^t" in d:
                items = d["^t"]
                if type(items) is not list:
                    raise ValueError("malformed tuple")
                return tuple(items)
            if "^d" in d:
                pairs = d["^d"]
                if type(pairs) is not list or not all(type(p) is list and len(p) == 2 for p in pairs):
                    raise ValueError("malformed dict")
                return {k: v for k, v in pairs}  # an unhashable key raises TypeError
            if "^e" in d:
                pair = d["^e"]
                if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str or pair[0] not in self.enums:
                    raise ValueError("malformed or unknown enum")
                return self.enums[pair[0]](pair[1])  # a value the enum lacks raises ValueError
            if "^f" in d:
                if d["^f"] not in _SPECIAL:
                    raise ValueError("malformed float")
                return _SPECIAL[d["^f"]]
        if any(tag in d for tag in _TAGS):
            raise ValueError("malformed tagged object")
        return d


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


PLAIN = Codec()
