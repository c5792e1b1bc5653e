"""copyguard.records behaves like dataclasses for everything the code base uses.

Each shape below is built twice, once with ``dataclasses.dataclass`` and once with
``copyguard.records.record``; hypothesis then drives both with the same field values
and argument lists and the tests compare what comes out: instances or ``TypeError``
messages, repr, eq, hash, frozen errors, replace(), fields(), asdict(), copy and
pickle.  Every comparison runs with the generic methods and with the specialised
(compiled) ones.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import math
import pickle
import subprocess
import sys
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copyguard import records
from copyguard.records import FrozenInstanceError, record

# --- the shapes ---------------------------------------------------------------------------


def shape_plain(deco: Any, fld: Any) -> type:
    @deco
    class Plain:
        a: Any
        b: Any = "x"
        c: Any = fld(default_factory=list)

    return Plain


def shape_frozen_slots(deco: Any, fld: Any) -> type:
    @deco(frozen=True, slots=True)
    class FrozenSlots:
        a: Any
        b: Any = 0
        c: Any = ()

    return FrozenSlots


def shape_unsafe_hash(deco: Any, fld: Any) -> type:
    @deco(slots=True, unsafe_hash=True)
    class UnsafeHash:
        a: Any
        raw: Any = fld(default=None, compare=False, repr=False)

    return UnsafeHash


def shape_no_eq(deco: Any, fld: Any) -> type:
    @deco(slots=True, eq=False)
    class NoEq:
        a: Any
        text: Any = fld(default=None, repr=False)

    return NoEq


def shape_frozen(deco: Any, fld: Any) -> type:
    @deco(frozen=True)
    class Frozen:
        a: Any
        b: Any = 1
        k: ClassVar[int] = 3

    return Frozen


def shape_post_init(deco: Any, fld: Any) -> type:
    @deco(slots=True)
    class PostInit:
        a: Any
        seen: Any = fld(default_factory=list)

        def __post_init__(self) -> None:
            if self.a == "boom":
                raise ValueError("a must not be boom")
            self.seen = [*self.seen, "post"]

    return PostInit


def shape_inherit(deco: Any, fld: Any) -> type:
    @deco
    class Base:
        a: Any
        b: Any = "x"

    @deco
    class Child(Base):
        c: Any = 0
        b: Any = "y"  # overriding keeps b's place

    return Child


def shape_inherit_frozen_slots(deco: Any, fld: Any) -> type:
    @deco(frozen=True, slots=True)
    class Base:
        a: Any

    @deco(frozen=True, slots=True)
    class Child(Base):
        b: Any = fld(default=None, hash=False)
        c: Any = fld(default=None, compare=False, hash=True)

    return Child


def shape_required(deco: Any, fld: Any) -> type:
    @deco(slots=True)
    class Required:
        a: Any
        b: Any
        c: Any
        d: Any = None

    return Required


def shape_empty(deco: Any, fld: Any) -> type:
    @deco(frozen=True, slots=True)
    class Empty:
        pass

    return Empty


def shape_one_field(deco: Any, fld: Any) -> type:
    @deco(frozen=True)
    class One:
        a: Any

    return One


def shape_no_init_fields(deco: Any, fld: Any) -> type:
    @deco(slots=True)
    class NoInit:
        a: Any
        b: Any = fld(default_factory=dict, init=False)
        c: Any = fld(default=7, init=False)

    return NoInit


def shape_no_init_frozen(deco: Any, fld: Any) -> type:
    @deco(frozen=True)
    class NoInitFrozen:
        a: Any
        b: Any = fld(default_factory=list, init=False, repr=False)

    return NoInitFrozen


SHAPES = [
    shape_plain,
    shape_frozen_slots,
    shape_unsafe_hash,
    shape_no_eq,
    shape_frozen,
    shape_post_init,
    shape_inherit,
    shape_inherit_frozen_slots,
    shape_required,
    shape_empty,
    shape_one_field,
    shape_no_init_fields,
    shape_no_init_frozen,
]


@pytest.fixture(params=["generic", "specialised"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the generic methods, or with methods compiled at the first call."""
    if request.param == "specialised":
        monkeypatch.setattr(records, "SPECIALISE_AFTER", 1)
        monkeypatch.setattr(records, "METHOD_SPECIALISE_AFTER", 1)
    else:
        monkeypatch.setattr(records, "SPECIALISE_AFTER", 10**9)
        monkeypatch.setattr(records, "METHOD_SPECIALISE_AFTER", 10**9)
    return str(request.param)


def pair(shape: Any) -> tuple[type, type]:
    return shape(dataclasses.dataclass, dataclasses.field), shape(record, records.field)


def init_names(cls: type) -> list[str]:
    found = records.fields(cls) if records.is_record(cls) else dataclasses.fields(cls)
    return [f.name for f in found if f.init]


VALUES = st.one_of(
    st.integers(-3, 3),
    st.text(max_size=3),
    st.none(),
    st.just("boom"),
    st.just(math.nan),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.integers(0, 2), max_size=2),
    st.tuples(st.integers(0, 2)),
)


@st.composite
def calls(draw: st.DrawFn, names: list[str]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """An argument list: positional prefix, keywords (maybe repeating one), maybe junk."""
    n_pos = draw(st.integers(0, len(names) + 1))
    args = tuple(draw(VALUES) for _ in range(n_pos))
    kw_names = draw(st.lists(st.sampled_from([*names, "zz"]), unique=True, max_size=len(names) + 1))
    kwargs = {name: draw(VALUES) for name in kw_names}
    return args, kwargs


def outcome(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "ok", cls(*args, **kwargs)
    except (TypeError, ValueError) as exc:
        return type(exc).__name__, str(exc)


def attr_outcome(action: Any, *args: Any) -> tuple[str, Any]:
    try:
        return "ok", action(*args)
    except Exception as exc:
        return type(exc).__name__, str(exc)


def state(obj: Any, names: list[str]) -> list[tuple[str, Any]]:
    return [attr_outcome(getattr, obj, n) for n in names]


SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


# --- instances: init, repr, eq, hash, frozen ------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.__name__)
@SETTINGS
@given(data=st.data())
def test_instances_match_dataclasses(shape: Any, mode: str, data: st.DataObject) -> None:
    dc, rc = pair(shape)
    all_names = [f.name for f in dataclasses.fields(dc)]
    names = init_names(dc)
    call_a = data.draw(calls(names))
    call_b = data.draw(st.one_of(st.just(call_a), calls(names)))
    for _ in range(3):  # repeated calls agree too
        da, ra = outcome(dc, *call_a), outcome(rc, *call_a)
        assert da[0] == ra[0]
        if da[0] != "ok":
            assert da[1] == ra[1]
            return
        d, r = da[1], ra[1]
        assert repr(d) == repr(r)
        assert state(d, all_names) == state(r, all_names)
        db, rb = outcome(dc, *call_b), outcome(rc, *call_b)
        assert db[0] == rb[0]
        if db[0] != "ok":
            assert db[1] == rb[1]
            continue
        assert (d == db[1]) == (r == rb[1])
        assert (d != db[1]) == (r != rb[1])
        if type(d).__hash__ is object.__hash__:  # identity hash: eq=False
            assert type(r).__hash__ is object.__hash__
        else:
            assert attr_outcome(hash, d) == attr_outcome(hash, r)
        assert (d == object()) is (r == object()) is False
        # A plain subclass's instance is never equal (eq compares exact classes).
        d_sub, r_sub = type("Sub", (dc,), {}), type("Sub", (rc,), {})
        d_other, r_other = outcome(d_sub, *call_a), outcome(r_sub, *call_a)
        assert (d_other[0], d_other[0] == "ok" and repr(d_other[1])) == (
            r_other[0],
            r_other[0] == "ok" and repr(r_other[1]),
        )
        if d_other[0] == "ok":
            assert (d == d_other[1], d_other[1] == d) == (r == r_other[1], r_other[1] == r)
        assert type(d).__eq__(d, 1) is type(r).__eq__(r, 1)
        value = data.draw(VALUES)
        frozen_slots = dc.__dataclass_params__.frozen and "__slots__" in dc.__dict__  # type: ignore[attr-defined]
        for name in [*all_names, "other"]:
            got_set = attr_outcome(setattr, r, name, value)
            got_del = attr_outcome(delattr, r, name)
            if frozen_slots and name not in all_names:
                # dataclasses (3.11) calls super() with the class that slots=True replaced,
                # so this raises "TypeError: super(type, obj): ..." there: records raise
                # the FrozenInstanceError that frozen classes without slots raise.
                assert got_set == ("FrozenInstanceError", f"cannot assign to field {name!r}")
                assert got_del == ("FrozenInstanceError", f"cannot delete field {name!r}")
                continue
            assert got_set == attr_outcome(setattr, d, name, value)
            assert got_del == attr_outcome(delattr, d, name)
        assert state(d, all_names) == state(r, all_names)


@pytest.mark.parametrize("shape", [s for s in SHAPES if "frozen" in s.__name__])
def test_frozen_error_is_an_attribute_error(shape: Any) -> None:
    _, rc = pair(shape)
    obj = rc(*[1] * len(init_names(rc))) if init_names(rc) else rc()
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'a'") as info:
        obj.a = 2  # type: ignore[attr-defined]
    assert isinstance(info.value, AttributeError)
    with pytest.raises(FrozenInstanceError, match="cannot delete field 'a'"):
        del obj.a  # type: ignore[attr-defined]


# --- class attributes ------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.__name__)
def test_class_attributes_match_dataclasses(shape: Any) -> None:
    dc, rc = pair(shape)
    assert rc.__qualname__ == dc.__qualname__
    assert rc.__match_args__ == dc.__match_args__  # type: ignore[attr-defined]
    assert rc.__doc__ == dc.__doc__
    assert str(inspect.signature(rc)) == str(inspect.signature(dc))
    assert ("__slots__" in rc.__dict__) == ("__slots__" in dc.__dict__)
    if "__slots__" in dc.__dict__:
        assert rc.__slots__ == dc.__slots__  # type: ignore[attr-defined]
        assert "__dict__" not in rc.__dict__
    assert (rc.__hash__ is None) == (dc.__hash__ is None)
    if "__slots__" not in dc.__dict__:  # class attributes hold the plain defaults
        assert [getattr(rc, n, "-") for n in init_names(dc)] == [
            getattr(dc, n, "-") for n in init_names(dc)
        ]
    assert getattr(rc, "k", None) == getattr(dc, "k", None)
    rf, df = records.fields(rc), dataclasses.fields(dc)
    assert [f.name for f in rf] == [f.name for f in df]
    for r, d in zip(rf, df, strict=True):
        assert (r.type, r.init, r.repr, r.hash, r.compare) == (
            d.type,
            d.init,
            d.repr,
            d.hash,
            d.compare,
        )
        assert (r.default is records.MISSING) == (d.default is dataclasses.MISSING)
        if d.default is not dataclasses.MISSING:
            assert r.default == d.default
        assert (r.default_factory is records.MISSING) == (d.default_factory is dataclasses.MISSING)
    assert records.is_record(rc)
    assert not records.is_record(dc)


def test_class_creation_errors_match_dataclasses() -> None:
    def non_default_after_default(deco: Any, fld: Any) -> None:
        @deco
        class C:
            a: int = 1
            b: int

    def mutable_default(deco: Any, fld: Any) -> None:
        @deco
        class C:
            a: list[int] = []  # noqa: RUF012

    def field_without_annotation(deco: Any, fld: Any) -> None:
        @deco
        class C:
            a = fld(default=1)

    def default_and_factory(deco: Any, fld: Any) -> None:
        fld(default=1, default_factory=list)

    def frozen_from_mutable(deco: Any, fld: Any) -> None:
        @deco
        class B:
            a: int

        @deco(frozen=True)
        class C(B):
            b: int

    def mutable_from_frozen(deco: Any, fld: Any) -> None:
        @deco(frozen=True)
        class B:
            a: int

        @deco
        class C(B):
            b: int

    def slots_twice(deco: Any, fld: Any) -> None:
        @deco(slots=True)
        class C:
            __slots__ = ("a",)
            a: int

    def explicit_hash(deco: Any, fld: Any) -> None:
        @deco(unsafe_hash=True)
        class C:
            a: int

            def __hash__(self) -> int:
                return 1

    for build in (
        non_default_after_default,
        mutable_default,
        field_without_annotation,
        default_and_factory,
        frozen_from_mutable,
        mutable_from_frozen,
        slots_twice,
        explicit_hash,
    ):
        expected = attr_outcome(build, dataclasses.dataclass, dataclasses.field)
        got = attr_outcome(build, record, records.field)
        assert expected[0] != "ok", build.__name__
        assert got == expected, build.__name__


def test_methods_defined_in_the_body_are_kept() -> None:
    @record(frozen=True, slots=True)
    class C:
        a: int

        def __repr__(self) -> str:
            return "mine"

        def __eq__(self, other: object) -> bool:
            return True

        def __hash__(self) -> int:
            return 7

    assert repr(C(1)) == "mine"
    assert C(1) == C(2)
    assert hash(C(1)) == 7


def test_recursive_repr_matches_dataclasses() -> None:
    dc, rc = pair(shape_plain)
    d, r = dc(1), rc(1)
    d.c.append(d)
    r.c.append(r)
    assert repr(d) == repr(r)
    assert "..." in repr(r)


# --- helpers: replace, fields, asdict, copy, pickle --------------------------------------------


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.__name__)
@SETTINGS
@given(data=st.data())
def test_replace_and_asdict_match_dataclasses(shape: Any, mode: str, data: st.DataObject) -> None:
    dc, rc = pair(shape)
    names = init_names(dc)
    args = tuple(data.draw(VALUES.filter(lambda v: v != "boom")) for _ in names)
    (dk, d), (rk, r) = outcome(dc, args, {}), outcome(rc, args, {})
    assert (dk, str(d)) == (rk, str(r))
    if dk != "ok":  # __post_init__ refused the values
        return
    assert dataclasses.asdict(d) == records.asdict(r) or repr(dataclasses.asdict(d)) == repr(
        records.asdict(r)
    )
    changes = data.draw(
        st.dictionaries(st.sampled_from([*[f.name for f in dataclasses.fields(dc)], "zz"]), VALUES)
    )
    expected = attr_outcome(lambda: repr(dataclasses.replace(d, **changes)))
    got = attr_outcome(lambda: repr(records.replace(r, **changes)))
    assert got == expected
    assert repr(copy.copy(r)) == repr(copy.copy(d))
    assert repr(copy.deepcopy(r)) == repr(copy.deepcopy(d))


def test_helpers_reject_other_objects() -> None:
    dc, rc = pair(shape_plain)
    for helper in (records.replace, records.asdict):
        with pytest.raises(TypeError):
            helper(dc(1))
        with pytest.raises(TypeError):
            helper(rc)
    with pytest.raises(TypeError):
        records.fields(dc)
    assert records.fields(rc(1)) == records.fields(rc)


def test_asdict_recurses_like_dataclasses() -> None:
    inner_d, inner_r = pair(shape_frozen_slots)
    outer_d, outer_r = pair(shape_plain)
    d = outer_d(inner_d(1, (2,)), {"k": [inner_d(3)]}, [(inner_d(4),)])
    r = outer_r(inner_r(1, (2,)), {"k": [inner_r(3)]}, [(inner_r(4),)])
    assert dataclasses.asdict(d) == records.asdict(r)


@record(frozen=True, slots=True)
class PickledFrozen:
    a: int
    b: tuple[str, ...] = ()


@record(slots=True)
class PickledSlots:
    a: int
    b: list[int] = records.field(default_factory=list)


@record
class PickledPlain:
    a: int
    b: str = "x"


@pytest.mark.parametrize("obj", [PickledFrozen(1, ("x",)), PickledSlots(2, [3]), PickledPlain(4)])
def test_pickle_and_copy_round_trip(obj: Any) -> None:
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(obj, protocol))
        assert back == obj
        assert type(back) is type(obj)
    assert copy.copy(obj) == obj
    assert copy.deepcopy(obj) == obj


# --- the switch from generic to compiled methods -------------------------------------------------


def test_no_compilation_before_the_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any) -> Any:
        raise AssertionError("compiled too early")

    monkeypatch.setattr(records, "_compile", refuse)
    for shape in SHAPES:
        rc = shape(record, records.field)
        n = len(init_names(rc))
        for i in range(records.SPECIALISE_AFTER - 1):
            obj = rc(*[i] * n) if shape is not shape_post_init else rc(i)
            assert obj == obj
            assert repr(obj).startswith(rc.__qualname__)


def test_specialised_init_takes_over_and_behaves_the_same() -> None:
    @record(slots=True)
    class C:
        a: int
        b: str = "x"
        c: list[int] = records.field(default_factory=list)

    generic = C.__init__
    before = [C(i, b=str(i)) for i in range(records.SPECIALISE_AFTER - 1)]
    assert C.__init__ is generic
    assert generic.__code__.co_flags & inspect.CO_VARARGS
    C(0)  # the threshold call
    compiled = C.__init__
    assert compiled is not generic
    assert compiled.__code__.co_varnames[:4] == ("self", "a", "b", "c")
    assert compiled.__qualname__ == generic.__qualname__ == f"{C.__qualname__}.__init__"
    after = [C(i, b=str(i)) for i in range(records.SPECIALISE_AFTER - 1)]
    assert before == after
    assert [x.c for x in after] == [[]] * len(after)
    assert after[0].c is not after[1].c  # the factory runs per instance
    with pytest.raises(
        TypeError, match=r"C\.__init__\(\) missing 1 required positional argument: 'a'"
    ):
        C()


def test_specialised_eq_hash_repr_take_over() -> None:
    @record(frozen=True, slots=True)
    class C:
        a: int
        b: str = "x"

    generic = (C.__eq__, C.__hash__)
    x, y = C(1), C(1)
    for _ in range(records.METHOD_SPECIALISE_AFTER + 1):
        assert x == y
        assert hash(x) == hash((1, "x"))
        assert repr(x) == f"{C.__qualname__}(a=1, b='x')"
    assert C.__eq__ is not generic[0]
    assert C.__hash__ is not generic[1]
    assert x != C(2)
    assert (x == 1) is False


# --- no heavy imports ------------------------------------------------------------------------------


def test_import_does_not_load_dataclasses_inspect_or_typing() -> None:
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import copyguard.records\n"
        "from copyguard.records import record, field\n"
        "@record(frozen=True, slots=True)\n"
        "class C:\n"
        "    a: int\n"
        "    b: list = field(default_factory=list)\n"
        "for i in range(100): C(i)\n"
        "print(sorted(m for m in ('dataclasses', 'inspect', 'typing') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_models_do_not_load_dataclasses() -> None:
    code = "import sys, copyguard.api\nprint('dataclasses' in sys.modules)\n"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"
