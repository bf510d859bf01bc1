"""What the patches replaced, so that ``undo_all`` can put Faust's and aiokafka's classes back as shipped.

Every class attribute a patch sets goes through ``replace``, which records, the first time an attribute is
replaced, what the class held: its own attribute, or nothing when it inherited the attribute from a base class
(undoing then deletes the patch, and the inherited attribute shows through again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Replacement", "replace", "replacements", "shipped", "undo_all"]

_MISSING: Any = object()


@dataclass(frozen=True)
class Replacement:
    """One attribute a patch replaced: ``owner.name`` was ``value`` (``inherited`` if not in ``owner``'s own
    namespace)."""

    patch: str
    owner: type
    name: str
    value: Any
    own: Any  # the object in owner.__dict__, or _MISSING

    @property
    def inherited(self) -> bool:
        return self.own is _MISSING

    def restore(self) -> None:
        if self.inherited:
            if self.name in self.owner.__dict__:
                delattr(self.owner, self.name)
        else:
            setattr(self.owner, self.name, self.own)


_replaced: dict[tuple[type, str], Replacement] = {}


def replace(patch: str, owner: type, name: str, new: Any) -> None:
    """Set ``owner.name`` to ``new``, recording what it replaces unless an earlier patch recorded it already."""
    key = (owner, name)
    if key not in _replaced:
        _replaced[key] = Replacement(patch, owner, name, getattr(owner, name), owner.__dict__.get(name, _MISSING))
    setattr(owner, name, new)


def shipped(owner: type, name: str) -> Any:
    """``owner.name`` as the library ships it, whether or not a patch replaced it since."""
    replaced = _replaced.get((owner, name))
    return replaced.value if replaced is not None else getattr(owner, name)


def replacements() -> tuple[Replacement, ...]:
    """The attributes replaced and not undone, in the order they were first replaced."""
    return tuple(_replaced.values())


def undo_all() -> tuple[Replacement, ...]:
    """Put back every replaced attribute, last replaced first; return what was undone."""
    undone = tuple(reversed(_replaced.values()))
    for replaced in undone:
        replaced.restore()
    _replaced.clear()
    return undone
