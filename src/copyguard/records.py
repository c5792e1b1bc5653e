"""Cheap record classes: the part of ``dataclasses.dataclass`` that copyguard uses.

Why this module exists (GitHub issue 11, "quick offline check within 5x of
``python -c pass``"): on Python 3.11 the quick check spent about 126 ms against
12 ms for an empty interpreter.  ``import dataclasses`` alone cost about 21 ms
(it pulls in ``inspect``, ``ast``, ``dis``, ``tokenize`` ...) and building the
64 model classes imported by the quick path cost another 35-55 ms, because
``dataclasses`` writes the source text of every generated method and runs it
through ``exec`` (about 300 compilations), although the quick path creates
instances of only 34 of those classes.

:func:`record` builds the same methods from generic closures instead, so
decorating a class needs no ``dataclasses``, ``inspect`` or ``typing`` at run
time (typing names are imported under ``TYPE_CHECKING`` only, where mypy sees
them; ``typing.dataclass_transform`` on :func:`record` keeps mypy checking
constructor calls) and never compiles anything.  Instances stay as cheap to
build as dataclass instances: ``__init__`` starts out generic and, once a class
has been instantiated :data:`SPECIALISE_AFTER` times, compiles the same
specialised ``__init__`` that ``dataclasses`` would have generated (``__eq__``,
``__hash__`` and ``__repr__`` likewise after :data:`METHOD_SPECIALISE_AFTER`
calls), so classes built a few times never pay for a compilation and hot
classes (evaluation of many copies, ``simulate --batch``) run the straight-line
version.

Measured (Python 3.11, callgrind instruction counts, a 6-field class): decorating
costs 0.23-0.32 M instructions (30-40 us) against 2.6-4.7 M (400-750 us) for
``dataclass``, on top of 0.07 M for the bare class statement; after the switch an
instance costs the same as a dataclass instance (4.3 k instructions slotted, 11.9 k
frozen), the generic ``__init__`` about 18 k.  The quick check builds 42 records in
about 3 ms and compiles 6 ``__init__`` methods; with this module alone its
instruction count fell from 563 M to 326 M (``python -c pass``: 39 M).

Supported (and nothing else): ``init``, ``repr``, ``eq``, ``frozen``,
``unsafe_hash`` and ``slots`` class options; :func:`field` with ``default``,
``default_factory``, ``init``, ``repr``, ``hash``, ``compare``, ``metadata``;
``__post_init__`` (without ``InitVar``); inheritance between records;
``ClassVar`` annotations (recognised from their text: every module uses
``from __future__ import annotations``); pickling and ``copy`` of frozen slotted
records.  Not supported: ``order``, ``kw_only``/``KW_ONLY``, ``InitVar``,
``match_args=False``, ``weakref_slot``.

Semantics follow ``dataclasses`` for everything supported: the ``__init__``
signature and its ``TypeError`` messages, the ``__repr__`` text, ``__eq__``
(same class only, else ``NotImplemented``), the ``__hash__`` rules, frozen
assignment and deletion raising :class:`FrozenInstanceError` (an
``AttributeError``), ``__slots__``, ``__match_args__`` and field order under
inheritance.  The one deliberate difference: setting or deleting an attribute
that is not a field on a frozen slotted instance raises
:class:`FrozenInstanceError`, where ``dataclasses`` 3.11 fails with a
``TypeError`` from ``super()`` (it refers to the class that ``slots=True``
replaced).  ``__signature__`` (for ``help()`` and ``inspect``) is computed, with
``inspect``, only when asked for.  ``tests/test_records.py`` checks this against real dataclasses
for many class shapes with hypothesis-generated values and argument lists,
before and after the specialised ``__init__`` takes over, and checks that
importing this module imports neither ``dataclasses``, ``inspect`` nor
``typing``.

Rule for the code base: models use ``copyguard.records.record``, not
``dataclasses`` (docs/INTERNALS.md).
"""

from __future__ import annotations

import _thread
from operator import attrgetter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, TypeVar, dataclass_transform, overload

    _T = TypeVar("_T")
else:  # run-time stand-ins (ruff then sees the overloads below as redefinitions: F811)

    def overload(func):
        return func

    def dataclass_transform(**_kwargs):
        return lambda func: func


__all__ = [
    "METHOD_SPECIALISE_AFTER",
    "MISSING",
    "SPECIALISE_AFTER",
    "Field",
    "FrozenInstanceError",
    "asdict",
    "field",
    "fields",
    "is_record",
    "record",
    "replace",
]

#: Number of instances a class builds with the generic ``__init__`` before it
#: compiles the specialised one.  Measured on Python 3.11: the generic form costs
#: 1-3 us more per call (positional / keyword arguments), compiling costs 80-110 us,
#: so compiling pays off after some 40-80 calls; the quick check builds 14 classes
#: 8 times or more but only 7 of them 32 times or more.
SPECIALISE_AFTER = 32
#: The same for ``__eq__``, ``__hash__`` and ``__repr__``, whose generic forms
#: (``operator.attrgetter``) cost only about 0.15 us more per call.
METHOD_SPECIALISE_AFTER = 256

# A generic method sets its call count to this once it has switched, so it switches
# once only (``>=`` rather than ``==``: threads may increment past the threshold).
_SWITCHED = -(2**62)

_FIELDS = "__record_fields__"
_PARAMS = "__record_params__"


class _MissingType:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


#: Marks "no default" (like ``dataclasses.MISSING``).
MISSING: Any = _MissingType()


class _FactoryMarker:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<factory>"


# The default value an __init__ parameter has when its field has a default_factory.
_HAS_DEFAULT_FACTORY: Any = _FactoryMarker()


class FrozenInstanceError(AttributeError):
    """Assignment to or deletion of a field of a frozen record."""


class Field:
    """One field of a record (the subset of ``dataclasses.Field`` copyguard uses)."""

    __slots__ = (
        "classvar",
        "compare",
        "default",
        "default_factory",
        "hash",
        "init",
        "metadata",
        "name",
        "repr",
        "type",
    )

    def __init__(
        self,
        default: Any,
        default_factory: Any,
        init: bool,
        repr: bool,
        hash: bool | None,
        compare: bool,
        metadata: Mapping[Any, Any] | None,
    ) -> None:
        self.name: str = ""
        self.type: Any = None
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.hash = hash
        self.compare = compare
        self.metadata: Mapping[Any, Any] = {} if metadata is None else metadata
        self.classvar = False

    def __repr__(self) -> str:
        return (
            f"Field(name={self.name!r},type={self.type!r},default={self.default!r},"
            f"default_factory={self.default_factory!r},init={self.init!r},repr={self.repr!r},"
            f"hash={self.hash!r},compare={self.compare!r},metadata={self.metadata!r})"
        )


@overload
def field(
    *,
    default: _T,
    init: bool = ...,
    repr: bool = ...,
    hash: bool | None = ...,
    compare: bool = ...,
    metadata: Mapping[Any, Any] | None = ...,
) -> _T: ...


@overload
def field(  # noqa: F811
    *,
    default_factory: Callable[[], _T],
    init: bool = ...,
    repr: bool = ...,
    hash: bool | None = ...,
    compare: bool = ...,
    metadata: Mapping[Any, Any] | None = ...,
) -> _T: ...


@overload
def field(  # noqa: F811
    *,
    init: bool = ...,
    repr: bool = ...,
    hash: bool | None = ...,
    compare: bool = ...,
    metadata: Mapping[Any, Any] | None = ...,
) -> Any: ...


def field(  # noqa: F811
    *,
    default: Any = MISSING,
    default_factory: Any = MISSING,
    init: bool = True,
    repr: bool = True,
    hash: bool | None = None,
    compare: bool = True,
    metadata: Mapping[Any, Any] | None = None,
) -> Any:
    """Describe a field with options, like ``dataclasses.field``."""
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return Field(default, default_factory, init, repr, hash, compare, metadata)


def _is_classvar(annotation: Any) -> bool:
    if isinstance(annotation, str):
        head = annotation.split("[", 1)[0].strip()
        return head == "ClassVar" or head.endswith(".ClassVar")
    import sys

    typing = sys.modules.get("typing")
    if typing is None:  # nothing can be a typing.ClassVar before typing is imported
        return False
    classvar = typing.ClassVar
    return annotation is classvar or getattr(annotation, "__origin__", None) is classvar


def _tuple_getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """A function returning the tuple of the named attributes (also for 0 or 1 name)."""
    if len(names) >= 2:
        return attrgetter(*names)
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


def _compile(cls: type, name: str, params: str, body: list[str], env: dict[str, Any]) -> Any:
    """Compile one method from its text, as dataclasses does for every method up front."""
    text = (
        f"def __record_create__({', '.join(env)}):\n"
        f" def {name}({params}):\n" + "".join(f"  {line}\n" for line in body) + f" return {name}\n"
    )
    namespace: dict[str, Any] = {}
    exec(text, {"__builtins__": __builtins__}, namespace)
    method = namespace["__record_create__"](*env.values())
    method.__qualname__ = f"{cls.__qualname__}.{name}"
    return method


def _install(owner: list[Any], name: str, generic: Any, compiled: Callable[[], Any]) -> None:
    """Replace a generic method by its compiled form, unless the class was changed meanwhile."""
    cls = owner[0]
    if cls is not None and cls.__dict__.get(name) is generic:
        setattr(cls, name, compiled())


def _make_repr(names: tuple[str, ...]) -> Callable[[Any], str]:
    getter = _tuple_getter(names)
    template = "(" + ", ".join([f"{n}={{!r}}" for n in names]) + ")"
    running: set[tuple[int, int]] = set()
    get_ident = _thread.get_ident
    calls = 0

    def generic(self: Any) -> str:
        name: str = self.__class__.__qualname__
        return name + template.format(*getter(self))

    text = generic

    def __repr__(self: Any) -> str:
        nonlocal calls, text
        key = (id(self), get_ident())
        if key in running:
            return "..."
        running.add(key)
        try:
            calls += 1
            if calls >= METHOD_SPECIALISE_AFTER:
                calls = _SWITCHED
                inner = ", ".join([f"{n}={{self.{n}!r}}" for n in names])
                body = [f'return f"{{self.__class__.__qualname__}}({inner})"']
                text = _compile(type(self), "__repr__", "self", body, {})
            return text(self)
        finally:
            running.discard(key)

    return __repr__


def _make_eq(names: tuple[str, ...], owner: list[Any]) -> Callable[[Any, Any], Any]:
    getter = _tuple_getter(names)
    calls = 0

    def compiled() -> Any:
        mine = "".join(f"self.{n}," for n in names)
        theirs = "".join(f"other.{n}," for n in names)
        body = [
            "if other.__class__ is self.__class__:",
            f" return ({mine}) == ({theirs})",
            "return NotImplemented",
        ]
        return _compile(owner[0], "__eq__", "self, other", body, {})

    def __eq__(self: Any, other: Any) -> Any:
        nonlocal calls
        if other.__class__ is self.__class__:
            calls += 1
            if calls >= METHOD_SPECIALISE_AFTER:
                calls = _SWITCHED
                _install(owner, "__eq__", __eq__, compiled)
            return getter(self) == getter(other)
        return NotImplemented

    return __eq__


def _make_hash(names: tuple[str, ...], owner: list[Any]) -> Callable[[Any], int]:
    getter = _tuple_getter(names)
    calls = 0

    def compiled() -> Any:
        mine = "".join(f"self.{n}," for n in names)
        return _compile(owner[0], "__hash__", "self", [f"return hash(({mine}))"], {})

    def __hash__(self: Any) -> int:
        nonlocal calls
        calls += 1
        if calls >= METHOD_SPECIALISE_AFTER:
            calls = _SWITCHED
            _install(owner, "__hash__", __hash__, compiled)
        return hash(getter(self))

    return __hash__


def _make_frozen(owner: list[Any], names: tuple[str, ...]) -> tuple[Any, Any]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        cls = owner[0]
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        cls = owner[0]
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __setattr__, __delattr__


def _frozen_getstate(self: Any) -> list[Any]:
    return [getattr(self, f.name) for f in fields(self)]


def _frozen_setstate(self: Any, state: list[Any]) -> None:
    for f, value in zip(fields(self), state, strict=False):
        object.__setattr__(self, f.name, value)


def _plural_names(names: list[str]) -> str:
    quoted = [repr(n) for n in names]
    if len(quoted) == 1:
        return quoted[0]
    if len(quoted) == 2:
        return f"{quoted[0]} and {quoted[1]}"
    return ", ".join(quoted[:-1]) + ", and " + quoted[-1]


class _InitPlan:
    """What ``__init__`` does for one class; shared by the generic and compiled forms."""

    __slots__ = (
        "factories",
        "frozen",
        "has_post_init",
        "index",
        "init_defaults",
        "init_names",
        "init_required",
        "noinit",
        "owner",
        "qualname",
        "slots",
    )

    def __init__(
        self, cls: type, owner: list[Any], all_fields: list[Field], frozen: bool, slots: bool
    ) -> None:
        self.owner = owner
        self.frozen = frozen
        self.slots = slots
        self.qualname = f"{cls.__qualname__}.__init__"
        init_fields = [f for f in all_fields if f.init]
        self.init_names = tuple(f.name for f in init_fields)
        self.index = {name: i for i, name in enumerate(self.init_names)}
        # Per init parameter: MISSING (required), the default, or the factory marker.
        self.init_defaults = tuple(
            _HAS_DEFAULT_FACTORY if f.default_factory is not MISSING else f.default
            for f in init_fields
        )
        self.init_required = sum(1 for d in self.init_defaults if d is MISSING)
        self.factories = {
            i: f.default_factory
            for i, f in enumerate(init_fields)
            if f.default_factory is not MISSING
        }
        # Fields set without a parameter: (name, factory or None, default).
        self.noinit = tuple(
            (f.name, None if f.default_factory is MISSING else f.default_factory, f.default)
            for f in all_fields
            if not f.init
            and (f.default_factory is not MISSING or (slots and f.default is not MISSING))
        )
        self.has_post_init = hasattr(cls, "__post_init__")

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
        """The parameter values, with the errors CPython raises for a real signature.

        Parameters left to a default_factory hold the factory marker.
        """
        names = self.init_names
        count = len(names)
        given = len(args)
        values = list(self.init_defaults)
        values[:given] = args[:count]
        index = self.index
        for key, value in kwargs.items():
            i = index.get(key)
            if i is None:
                raise TypeError(f"{self.qualname}() got an unexpected keyword argument '{key}'")
            if i < given:
                raise TypeError(f"{self.qualname}() got multiple values for argument '{key}'")
            values[i] = value
        if given > count:
            self._too_many(given)
        if given < self.init_required:  # required parameters come first
            missing = [names[i] for i in range(given, self.init_required) if values[i] is MISSING]
            if missing:
                s = "" if len(missing) == 1 else "s"
                raise TypeError(
                    f"{self.qualname}() missing {len(missing)} required positional "
                    f"argument{s}: {_plural_names(missing)}"
                )
        return values

    def _too_many(self, given: int) -> None:
        count = len(self.init_names) + 1
        required = self.init_required + 1
        if required < count:
            takes = f"from {required} to {count} positional arguments"
        else:
            takes = f"{count} positional argument{'' if count == 1 else 's'}"
        was = "was" if given + 1 == 1 else "were"
        raise TypeError(f"{self.qualname}() takes {takes} but {given + 1} {was} given")

    def compile(self) -> Callable[..., None]:
        """The specialised ``__init__`` (the text dataclasses generates, less annotations)."""
        names = self.init_names
        self_name = "__record_self__" if "self" in names else "self"
        params = [self_name]
        env: dict[str, Any] = {"__record_factory_marker__": _HAS_DEFAULT_FACTORY}
        body: list[str] = []

        def store(name: str, value: str) -> None:
            if self.frozen:
                body.append(f"__record_object__.__setattr__({self_name}, {name!r}, {value})")
            else:
                body.append(f"{self_name}.{name} = {value}")

        for i, name in enumerate(names):
            default = self.init_defaults[i]
            if default is MISSING:
                params.append(name)
                store(name, name)
            elif default is _HAS_DEFAULT_FACTORY:
                params.append(f"{name}=__record_factory_marker__")
                env[f"__record_factory_{i}__"] = self.factories[i]
                store(
                    name,
                    f"__record_factory_{i}__() if {name} is __record_factory_marker__ else {name}",
                )
            else:
                params.append(f"{name}=__record_default_{i}__")
                env[f"__record_default_{i}__"] = default
                store(name, name)
        for j, (name, factory, default) in enumerate(self.noinit):
            if factory is not None:
                env[f"__record_noinit_{j}__"] = factory
                store(name, f"__record_noinit_{j}__()")
            else:
                env[f"__record_noinit_{j}__"] = default
                store(name, f"__record_noinit_{j}__")
        if self.has_post_init:
            body.append(f"{self_name}.__post_init__()")
        if not body:
            body.append("pass")
        env["__record_object__"] = object
        init: Callable[..., None] = _compile(
            self.owner[0], "__init__", ", ".join(params), body, env
        )
        return init


def _fields_of(cls: Any) -> dict[str, Field]:
    found: dict[str, Field] | None = getattr(cls, _FIELDS, None)
    if found is None:
        raise TypeError("must be called with a record type or instance")
    return found


def _make_init(plan: _InitPlan) -> Callable[..., None]:
    """The generic ``__init__``: binds its arguments like the specialised one would."""
    names = plan.init_names
    count = len(names)
    noinit = plan.noinit
    setter = object.__setattr__ if plan.frozen else setattr
    post_init = plan.has_post_init
    factory_marker = _HAS_DEFAULT_FACTORY
    factories = tuple(plan.factories.items())
    bind = plan.bind
    calls = 0

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls >= SPECIALISE_AFTER:
            calls = _SWITCHED
            _install(plan.owner, "__init__", __init__, plan.compile)
        if kwargs or len(args) != count:
            values: Any = bind(args, kwargs)
            for i, make in factories:
                if values[i] is factory_marker:
                    values[i] = make()
        else:
            values = args
        for name, value in zip(names, values, strict=False):
            setter(self, name, value)
        for name, factory, default in noinit:
            setter(self, name, default if factory is None else factory())
        if post_init:
            self.__post_init__()

    __init__.__qualname__ = plan.qualname
    return __init__


class _LazySignature:
    """``__signature__`` for help() and inspect, computed (with inspect) only on demand."""

    __slots__ = ()

    def __get__(self, obj: Any, owner: type) -> Any:
        import inspect

        params = [
            inspect.Parameter(
                f.name,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=(
                    inspect.Parameter.empty
                    if f.default is MISSING and f.default_factory is MISSING
                    else (_HAS_DEFAULT_FACTORY if f.default_factory is not MISSING else f.default)
                ),
                annotation=f.type,
            )
            for f in _fields_of(owner).values()
            if f.init
        ]
        return inspect.Signature(params, return_annotation=None)


_SIGNATURE = _LazySignature()


def _doc(name: str, all_fields: list[Field]) -> str:
    params = []
    for f in all_fields:
        if not f.init:
            continue
        text = f"{f.name}: {f.type!r}"
        if f.default_factory is not MISSING:
            text += " = <factory>"
        elif f.default is not MISSING:
            text += f" = {f.default!r}"
        params.append(text)
    return f"{name}({', '.join(params)})"


def _slot_names(cls: type) -> set[str]:
    names: set[str] = set()
    for base in cls.__mro__[1:-1]:
        slots = base.__dict__.get("__slots__")
        if slots is None:
            continue
        if isinstance(slots, str):
            names.add(slots)
        else:
            names.update(slots)
    return names


def _process(
    cls: Any,
    init: bool,
    repr: bool,
    eq: bool,
    frozen: bool,
    unsafe_hash: bool,
    slots: bool,
) -> Any:
    own = cls.__dict__
    all_fields: dict[str, Field] = {}
    has_record_bases = False
    any_frozen_base = False
    for base in cls.__mro__[-1:0:-1]:
        base_fields = getattr(base, _FIELDS, None)
        if base_fields is not None:
            has_record_bases = True
            all_fields.update(base_fields)
            any_frozen_base = any_frozen_base or getattr(base, _PARAMS)[0]

    annotations = own.get("__annotations__", {})
    for name, annotation in annotations.items():
        value = own.get(name, MISSING)
        if isinstance(value, Field):
            f = value
        else:
            f = Field(value, MISSING, True, True, None, True, None)
        f.name = name
        f.type = annotation
        if _is_classvar(annotation):
            if f.default_factory is not MISSING:
                raise TypeError(f"field {name} cannot have a default factory")
            f.classvar = True
            if isinstance(value, Field):  # a ClassVar keeps its plain default
                if f.default is MISSING:
                    delattr(cls, name)
                else:
                    setattr(cls, name, f.default)
            all_fields.pop(name, None)
            continue
        if f.default is not MISSING and f.default.__class__.__hash__ is None:
            raise ValueError(
                f"mutable default {type(f.default)} for field {name} is not allowed: "
                "use default_factory"
            )
        if isinstance(value, Field):
            if f.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, f.default)
        all_fields[name] = f

    for name, value in own.items():
        if isinstance(value, Field) and name not in annotations:
            raise TypeError(f"{name!r} is a field but has no type annotation")

    if has_record_bases:
        if any_frozen_base and not frozen:
            raise TypeError("cannot inherit non-frozen dataclass from a frozen one")
        if not any_frozen_base and frozen:
            raise TypeError("cannot inherit frozen dataclass from a non-frozen one")

    field_list = list(all_fields.values())
    names = tuple(all_fields)

    # Attributes to add (never overwriting what the class body defines, like dataclasses).
    new: dict[str, Any] = {
        _FIELDS: all_fields,
        _PARAMS: (frozen, eq, init, repr, unsafe_hash, slots),
    }

    if init:
        seen_default = False
        for f in field_list:
            if f.init:
                if f.default is MISSING and f.default_factory is MISSING:
                    if seen_default:
                        raise TypeError(f"non-default argument {f.name!r} follows default argument")
                else:
                    seen_default = True
    owner: list[Any] = [None]  # the final class, once built
    if repr and "__repr__" not in own:
        new["__repr__"] = _make_repr(tuple(f.name for f in field_list if f.repr))
    if eq and "__eq__" not in own:
        new["__eq__"] = _make_eq(tuple(f.name for f in field_list if f.compare), owner)
    if frozen:
        for attr in ("__setattr__", "__delattr__"):
            if attr in own:
                raise TypeError(f"Cannot overwrite attribute {attr} in class {cls.__name__}")
        new["__setattr__"], new["__delattr__"] = _make_frozen(owner, names)
        if slots:  # like dataclasses: pickling a frozen slotted class needs these
            if "__getstate__" not in own:
                new["__getstate__"] = _frozen_getstate
            if "__setstate__" not in own:
                new["__setstate__"] = _frozen_setstate

    class_hash = own.get("__hash__", MISSING)
    has_explicit_hash = not (class_hash is MISSING or (class_hash is None and "__eq__" in own))
    hash_names = tuple(f.name for f in field_list if (f.compare if f.hash is None else f.hash))
    if unsafe_hash:
        if has_explicit_hash:
            raise TypeError(f"Cannot overwrite attribute __hash__ in class {cls.__name__}")
        new["__hash__"] = _make_hash(hash_names, owner)
    elif eq and not has_explicit_hash:
        # frozen: hashable by its fields; mutable: unhashable.
        new["__hash__"] = _make_hash(hash_names, owner) if frozen else None

    if init and "__init__" not in own:
        new["__init__"] = _make_init(_InitPlan(cls, owner, field_list, frozen, slots))
    if "__match_args__" not in own:
        new["__match_args__"] = tuple(f.name for f in field_list if f.init)
    if not own.get("__doc__"):
        new["__doc__"] = _doc(cls.__name__, field_list)
    if "__signature__" not in own:
        new["__signature__"] = _SIGNATURE

    if slots:
        if "__slots__" in own:
            raise TypeError(f"{cls.__name__} already specifies __slots__")
        cls_dict = dict(own)
        inherited = _slot_names(cls)
        cls_dict["__slots__"] = tuple(n for n in names if n not in inherited)
        for name in names:
            cls_dict.pop(name, None)
        cls_dict.pop("__dict__", None)
        cls_dict.pop("__weakref__", None)
        cls_dict.update(new)
        qualname = getattr(cls, "__qualname__", None)
        cls = type(cls)(cls.__name__, cls.__bases__, cls_dict)
        if qualname is not None:
            cls.__qualname__ = qualname
    else:
        for key, value in new.items():
            setattr(cls, key, value)
    owner[0] = cls
    if type(cls) is not type:  # an ABC: recompute its abstract methods
        import abc

        abc.update_abstractmethods(cls)
    return cls


@overload
def record(cls: type[_T], /) -> type[_T]: ...


@overload
def record(  # noqa: F811
    *,
    init: bool = ...,
    repr: bool = ...,
    eq: bool = ...,
    frozen: bool = ...,
    unsafe_hash: bool = ...,
    slots: bool = ...,
) -> Callable[[type[_T]], type[_T]]: ...


@dataclass_transform(field_specifiers=(field, Field))
def record(  # noqa: F811
    cls: Any = None,
    /,
    *,
    init: bool = True,
    repr: bool = True,
    eq: bool = True,
    frozen: bool = False,
    unsafe_hash: bool = False,
    slots: bool = False,
) -> Any:
    """Turn a class into a record: ``@record`` or ``@record(frozen=True, slots=True)``."""

    def wrap(klass: Any) -> Any:
        return _process(klass, init, repr, eq, frozen, unsafe_hash, slots)

    if cls is None:
        return wrap
    return wrap(cls)


def is_record(obj: Any) -> bool:
    """True for a record class or instance (like ``dataclasses.is_dataclass``)."""
    cls = obj if isinstance(obj, type) else type(obj)
    return hasattr(cls, _FIELDS)


def fields(class_or_instance: Any) -> tuple[Field, ...]:
    """The fields of a record class or instance, in order (like ``dataclasses.fields``)."""
    return tuple(_fields_of(class_or_instance).values())


def replace(obj: _T, /, **changes: Any) -> _T:
    """A copy of a record instance with some fields changed (like ``dataclasses.replace``)."""
    if isinstance(obj, type) or not hasattr(obj, _FIELDS):
        raise TypeError("replace() should be called on record instances")
    for f in getattr(obj, _FIELDS).values():
        if not f.init:
            if f.name in changes:
                raise ValueError(
                    f"field {f.name} is declared with init=False, it cannot be specified with replace()"
                )
            continue
        if f.name not in changes:
            changes[f.name] = getattr(obj, f.name)
    return obj.__class__(**changes)


def asdict(obj: Any, *, dict_factory: Callable[[list[tuple[str, Any]]], Any] = dict) -> Any:
    """A record instance as a dict, recursively (like ``dataclasses.asdict``)."""
    if isinstance(obj, type) or not hasattr(obj, _FIELDS):
        raise TypeError("asdict() should be called on record instances")
    return _asdict_inner(obj, dict_factory)


def _asdict_inner(obj: Any, dict_factory: Callable[[list[tuple[str, Any]]], Any]) -> Any:
    if not isinstance(obj, type) and hasattr(obj, _FIELDS):
        return dict_factory(
            [(f.name, _asdict_inner(getattr(obj, f.name), dict_factory)) for f in fields(obj)]
        )
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*[_asdict_inner(v, dict_factory) for v in obj])
    if isinstance(obj, (list, tuple)):
        return type(obj)(_asdict_inner(v, dict_factory) for v in obj)
    if isinstance(obj, dict):
        return type(obj)(
            (_asdict_inner(k, dict_factory), _asdict_inner(v, dict_factory)) for k, v in obj.items()
        )
    import copy

    return copy.deepcopy(obj)
