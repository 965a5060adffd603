"""The values the simulator computes with, and how they read in a trace.

Integers are Python ``int``.  Model objects stand for what the rules reason
about: a :class:`Folio` of ``nr`` pages, a :class:`Page` (page ``index`` of a
folio), a swap entry (a :class:`Struct` of type ``swp_entry_t`` whose ``val``
is a :class:`Sym`, "base + delta"), an error pointer (:class:`ErrPtr`,
``ERR_PTR(errno)``).  Anything the simulator cannot know is an
:class:`Unknown`.  Every object is created by one path and never shared with
another path, so mutation (a folio's fields, a local's cell) is safe.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SWAP_ENTRY_TYPE = "swp_entry_t"

ERRNO = {
    "EPERM": 1, "ENOENT": 2, "ESRCH": 3, "EINTR": 4, "EIO": 5, "ENXIO": 6, "E2BIG": 7, "ENOEXEC": 8,
    "EBADF": 9, "ECHILD": 10, "EAGAIN": 11, "ENOMEM": 12, "EACCES": 13, "EFAULT": 14, "ENOTBLK": 15,
    "EBUSY": 16, "EEXIST": 17, "EXDEV": 18, "ENODEV": 19, "ENOTDIR": 20, "EISDIR": 21, "EINVAL": 22,
    "ENFILE": 23, "EMFILE": 24, "ENOTTY": 25, "ETXTBSY": 26, "EFBIG": 27, "ENOSPC": 28, "ESPIPE": 29,
    "EROFS": 30, "EMLINK": 31, "EPIPE": 32, "EDOM": 33, "ERANGE": 34, "EDEADLK": 35, "ENAMETOOLONG": 36,
    "ENOLCK": 37, "ENOSYS": 38, "ENOTEMPTY": 39, "ELOOP": 40, "ENOMSG": 42, "ENODATA": 61, "ETIME": 62,
    "EOVERFLOW": 75, "EILSEQ": 84, "EOPNOTSUPP": 95, "ENOBUFS": 105, "ETIMEDOUT": 110, "EALREADY": 114,
    "EINPROGRESS": 115, "ECANCELED": 125, "EHWPOISON": 133, "ERESTARTSYS": 512, "ENOTSUPP": 524,
}
ERRNO_NAME = {v: k for k, v in reversed(list(ERRNO.items()))}


class Unknown:
    """A value the simulator cannot know (a call's result, a parameter ...).

    ``uid`` is unique within a path and identical across replays of the same
    prefix; what a path learns about it (a range) lives in the path.
    """

    __slots__ = ("uid", "desc")

    def __init__(self, uid: int, desc: str):
        self.uid = uid
        self.desc = desc

    def __repr__(self) -> str:
        return f"Unknown({self.uid}, {self.desc!r})"


@dataclass(eq=False)
class Folio:
    """A folio of ``nr`` pages.  Pointers to it are the object itself."""

    fid: int
    nr: int
    label: str
    fields: dict = field(default_factory=dict)  # folio->x = v
    page_fields: dict = field(default_factory=dict)  # (index, field) -> v

    def __repr__(self) -> str:
        return f"Folio({self.label!r}, nr={self.nr})"


@dataclass(frozen=True, eq=False)
class Page:
    """Page ``index`` of ``folio`` (a ``struct page *``); ``index`` may be an Unknown."""

    folio: Folio
    index: object

    @property
    def key(self):
        return (self.folio.fid, self.index.uid if isinstance(self.index, Unknown) else self.index)

    def __eq__(self, other):
        return isinstance(other, Page) and self.key == other.key

    def __hash__(self):
        return hash(self.key)


@dataclass(frozen=True)
class Sym:
    """A symbolic integer ``base + delta`` (a swap entry's val, a pfn, a swap offset).

    ``base`` is any hashable identity; ``label`` is how it reads.
    """

    base: object
    delta: int
    label: str

    def plus(self, n: int) -> Sym:
        return Sym(self.base, self.delta + n, self.label)


@dataclass(eq=False)
class Struct:
    """A C struct held by value: assignment and argument passing copy it."""

    type: str
    fields: dict = field(default_factory=dict)

    def copy(self) -> Struct:
        return Struct(self.type, {k: (v.copy() if isinstance(v, (Struct, Array)) else v)
                                  for k, v in self.fields.items()})

    @property
    def is_swap_entry(self) -> bool:
        return self.type == SWAP_ENTRY_TYPE


@dataclass(eq=False)
class Array:
    """A local array: a list of cells (held by reference, as arrays decay to pointers)."""

    items: list

    def copy(self) -> Array:
        """A copy, for an array held inside a struct that is copied by value."""
        return Array([v.copy() if isinstance(v, (Struct, Array)) else v for v in self.items])


@dataclass(eq=False)
class PageArray:
    """A ``struct page **`` (or ``struct folio **``) the function was given or read: an
    array of pages it cannot see.  Element ``k`` is what the function stored there, else
    (when first read) a page of a model folio of its own, "folio of pages[k]" (a folio,
    "pages[k]", for ``kind == "folio"``).  ``pages + n`` is a view of the same ``slots``
    from ``base + n``; ``aid`` tells arrays apart (a view keeps it, so does
    :meth:`snapshot`, the copy an event keeps of what the array held at the call).
    Elements at different indexes, or at an unknown index (``pages[i]``) and a known one,
    are taken to be different pages: the simulator does not alias them."""

    aid: int
    label: str
    kind: str = "page"  # what the elements are: "page" or "folio"
    slots: dict = field(default_factory=dict)  # element key -> value (shared by views)
    base: int = 0

    def key(self, index):
        """The slot of ``self[index]``: an int, or (unknown's uid, base) for an unknown index."""
        if isinstance(index, int):
            return self.base + index
        return ("u", index.uid, self.base) if isinstance(index, Unknown) else None

    def view(self, delta: int) -> PageArray:
        return PageArray(self.aid, self.label, self.kind, self.slots, self.base + delta)

    def snapshot(self) -> PageArray:
        return PageArray(self.aid, self.label, self.kind, dict(self.slots), self.base)

    def stored(self) -> dict:
        """The elements the function has set or read, by integer index from this view."""
        return {k - self.base: v for k, v in self.slots.items() if isinstance(k, int)}


class Cell:
    """Storage for one local variable, so ``&x`` can point at it."""

    __slots__ = ("name", "value", "type")

    def __init__(self, name: str, value, type_text: str = ""):
        self.name = name
        self.value = value
        self.type = type_text


@dataclass(frozen=True, eq=False)
class Ref:
    """``&x`` or ``&x.f.g``: the address of a local (or a field inside it)."""

    cell: Cell
    path: tuple = ()

    def get(self):
        v = self.cell.value
        for f in self.path:
            if not isinstance(v, Struct):
                return None
            v = v.fields.get(f)
        return v

    def set(self, value) -> None:
        if not self.path:
            self.cell.value = value
            return
        v = self.cell.value
        for f in self.path[:-1]:
            if not isinstance(v, Struct):
                return
            v = v.fields.setdefault(f, Struct(""))
        if isinstance(v, Struct):
            v.fields[self.path[-1]] = value

    def __eq__(self, other):
        return isinstance(other, Ref) and other.cell is self.cell and other.path == self.path

    def __hash__(self):
        return hash((id(self.cell), self.path))


@dataclass(frozen=True, eq=False)
class ErrPtr:
    """An error pointer, ``ERR_PTR(errno)``: ``errno`` is a negative int or an Unknown.

    Not NULL (``!p`` is false), not a folio or page; ``IS_ERR()`` is true of it
    and ``PTR_ERR()`` gives ``errno`` back.  A model may return one
    (``return ErrPtr(-ERRNO["ENOENT"])``)."""

    errno: object


# What the simulator tracks as objects of the kernel's (folios, pages, error
# pointers): dereferencing one, or passing one to a call, records a "use" event.
MODEL_VALUES = (Folio, Page, ErrPtr)


@dataclass(frozen=True)
class Str:
    """A string literal (only ever passed along or printed)."""

    text: str


def swap_entry(val) -> Struct:
    return Struct(SWAP_ENTRY_TYPE, {"val": val})


def entry_val(v):
    """The ``val`` of a swap entry value (or of a pointer to one), else None."""
    if isinstance(v, Ref):
        v = v.get()
    if isinstance(v, Struct) and v.is_swap_entry:
        return v.fields.get("val")
    return None


def value_key(v):
    """A hashable identity for comparing values across events (same key = same value)."""
    if isinstance(v, Unknown):
        return ("unknown", v.uid)
    if isinstance(v, Folio):
        return ("folio", v.fid)
    if isinstance(v, Page):
        return ("page",) + v.key
    if isinstance(v, Sym):
        return ("sym", v.base, v.delta)
    if isinstance(v, Struct):
        return ("struct", v.type, tuple(sorted((k, value_key(x)) for k, x in v.fields.items())))
    if isinstance(v, Ref):
        return ("ref", id(v.cell), v.path)
    if isinstance(v, (int, str)):
        return v
    if isinstance(v, Str):
        return ("str", v.text)
    if isinstance(v, ErrPtr):
        return ("errptr", value_key(v.errno))
    if isinstance(v, PageArray):
        return ("pages", v.aid, v.base)
    return ("obj", id(v))


def render(v, *, status: bool = False) -> str:
    """How a value reads in a trace: "page 2 of folio", "entry base+1", "<mte_save_tags()>".

    ``status``: the value is a return value, so a negative errno reads "-12 (-ENOMEM)".
    """
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        if status and v < 0 and -v in ERRNO_NAME and v != -1:
            return f"{v} (-{ERRNO_NAME[-v]})"
        return str(v)
    if v is None:
        return "(nothing)"
    if isinstance(v, Unknown):
        return f"<{v.desc}>"
    if isinstance(v, Folio):
        return v.label
    if isinstance(v, Page):
        idx = v.index
        where = f"page {render(idx)} of {v.folio.label}"
        if isinstance(idx, int) and not 0 <= idx < v.folio.nr:
            where += f" (outside its {v.folio.nr} pages)"
        return where
    if isinstance(v, Sym):
        return _sym_text(v)
    if isinstance(v, Struct):
        if v.is_swap_entry:
            val = v.fields.get("val")
            if isinstance(val, Sym):
                return f"entry {_sym_text(val)}"
            return f"entry {render(val)}"
        inner = ", ".join(f".{k} = {render(x)}" for k, x in v.fields.items())
        return f"{{{inner}}}"
    if isinstance(v, Ref):
        return "&" + v.cell.name + "".join("." + p for p in v.path)
    if isinstance(v, Array):
        return f"array[{len(v.items)}]"
    if isinstance(v, PageArray):
        return v.label if not v.base else f"{v.label} + {v.base}"
    if isinstance(v, Str):
        return v.text
    if isinstance(v, ErrPtr):
        return f"ERR_PTR({render(v.errno, status=True)})"
    return repr(v)


def _sym_text(s: Sym) -> str:
    return f"{s.label}{'+' if s.delta >= 0 else '-'}{abs(s.delta)}"


def ident(v):
    """A hashable identity of a value for keying heap memory and memoised comparisons."""
    if isinstance(v, Unknown):
        return ("u", v.uid)
    if isinstance(v, Ref):
        return ("ref", id(v.cell), v.path)
    if isinstance(v, Page):
        return ("page",) + v.key
    if isinstance(v, Folio):
        return ("folio", v.fid)
    if isinstance(v, (int, str)):
        return v
    if isinstance(v, ErrPtr):
        return ("errptr", ident(v.errno))
    if isinstance(v, PageArray):
        return ("pages", v.aid, v.base)
    return ("obj", id(v))


def short(text: str, limit: int = 80) -> str:
    """Source text on one line, at most ``limit`` characters (a description of an unknown)."""
    s = " ".join(text.split())
    if s.startswith("(") and s.endswith(")") and s.count("(") == 1:
        s = s[1:-1]
    return s if len(s) <= limit else s[: limit - 3] + "..."
