"""Memory locations: variables, struct fields, pointees, array elements, addresses.

Owns the location classes (a location is something that can be read and
assigned: a variable's cell, a field of a struct value, a model folio's or
page's field, a local reached through a :class:`~folint.sim.values.Ref`, an
array element, or heap memory the simulator knows nothing about, keyed so
that reads are stable) and the :class:`Memory` mixin of
:class:`folint.sim.run.SimRun`: ``lookup`` (scopes, globals, constants),
``lvalue``, ``address_of``, the reads of identifiers, fields, subscripts and
``*p``, arrays and initialisers, and ``coerce`` (type-directed binding: an
unknown stored in a folio/page/entry variable becomes a model).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from folint import vocab
from folint.sim.lower import N
from folint.sim.state import Infeasible
from folint.sim.values import Array, Cell, Folio, Page, PageArray, Ref, Struct, Unknown, ident, render
from folint.sim.widths import fit

if TYPE_CHECKING:
    from folint.sim.run import SimRun

_CONSTANT_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


# -- locations (things that can be assigned) ----------------------------------

class _Loc:
    def get(self):
        raise NotImplementedError

    def set(self, value) -> None:
        raise NotImplementedError

    type_text = ""


class _CellLoc(_Loc):
    def __init__(self, cell: Cell):
        self.cell = cell
        self.type_text = cell.type

    def get(self):
        return self.cell.value

    def set(self, value) -> None:
        self.cell.value = value


class _FieldLoc(_Loc):
    """``s.f`` where ``s`` is a struct held in another location."""

    def __init__(self, path: SimRun, base: _Loc, name: str, desc: str):
        self.path, self.base, self.name, self.desc = path, base, name, desc

    def get(self):
        s = self.base.get()
        if isinstance(s, Struct):
            if self.name not in s.fields:
                s.fields[self.name] = self.path.unknown(self.desc)
            return s.fields[self.name]
        return self.path.heap_get(("field", ident(s), self.name), self.desc)

    def set(self, value) -> None:
        s = self.base.get()
        if not isinstance(s, Struct):
            s = Struct("")
            self.base.set(s)
        s.fields[self.name] = value


class _RefLoc(_Loc):
    def __init__(self, ref: Ref):
        self.ref = ref

    def get(self):
        return self.ref.get()

    def set(self, value) -> None:
        self.ref.set(value)


class _FolioFieldLoc(_Loc):
    def __init__(self, path: SimRun, folio: Folio, name: str):
        self.path, self.folio, self.name = path, folio, name

    def get(self):
        if self.name == "page":
            return Page(self.folio, 0)
        if self.name == "swap":
            return self.path.folio_swap(self.folio)
        if self.name not in self.folio.fields:
            self.folio.fields[self.name] = self.path.unknown(f"{self.folio.label}->{self.name}")
        return self.folio.fields[self.name]

    def set(self, value) -> None:
        self.folio.fields[self.name] = value


class _PageFieldLoc(_Loc):
    def __init__(self, path: SimRun, page: Page, name: str):
        self.path, self.page, self.name = path, page, name

    def get(self):
        key = (self.page.key[1], self.name)
        if key not in self.page.folio.page_fields:
            self.page.folio.page_fields[key] = self.path.unknown(f"({render(self.page)})->{self.name}")
        return self.page.folio.page_fields[key]

    def set(self, value) -> None:
        self.page.folio.page_fields[(self.page.key[1], self.name)] = value


class _HeapLoc(_Loc):
    """Memory the simulator knows nothing about, keyed so reads are stable."""

    def __init__(self, path: SimRun, key, desc: str):
        self.path, self.key, self.desc = path, key, desc

    def get(self):
        return self.path.heap_get(self.key, self.desc)

    def set(self, value) -> None:
        self.path.heap[self.key] = value


class _IndexLoc(_Loc):
    def __init__(self, array: Array, index: int):
        self.array, self.index = array, index

    def get(self):
        return self.array.items[self.index]

    def set(self, value) -> None:
        self.array.items[self.index] = value


class _SlotLoc(_Loc):
    """``pages[k]`` of a :class:`PageArray`: what was stored there, else (first read) an
    unknown that is a page (a folio) where it is used as one, and may still be NULL."""

    def __init__(self, path: SimRun, array: PageArray, key, name: str):
        self.path, self.array, self.key, self.name = path, array, key, name
        self.type_text = "struct page *" if array.kind == "page" else "struct folio *"

    def get(self):
        slots = self.array.slots
        if self.key not in slots:
            u = self.path.unknown(self.name)
            self.path.pointer_kinds[u.uid] = (self.array.kind, self.name)
            slots[self.key] = u
        return slots[self.key]

    def set(self, value) -> None:
        self.array.slots[self.key] = value


class _TempLoc(_Loc):
    def __init__(self, value):
        self.value = value

    def get(self):
        return self.value

    def set(self, value) -> None:
        pass


class Memory:
    """Reading and writing memory (mixin of :class:`SimRun`)."""

    def make_array(self, length, init: N | None, type_text: str, name: str) -> Array:
        items = []
        if init is not None and init.type == "initializer_list":
            items = [self.eval(k) for k in init.kids if k.type != "initializer_pair"]
        n = length if isinstance(length, int) and 0 < length <= 4096 else len(items)
        if isinstance(length, N):
            size = self.resolve(self.eval(length))
            n = size if isinstance(size, int) and 0 < size <= 4096 else max(len(items), 1)
        items = items + [0 if init is not None else self.unknown(f"{name}[]") for _ in range(n - len(items))]
        return Array(items)

    def build_initializer(self, n: N, type_text: str):
        t = type_text.replace("const ", "").strip()
        s = Struct(t)
        positional = 0
        for k in n.kids:
            if k.type == "initializer_pair":
                desig = k.fl.get("designator", [])
                value_node = k.f.get("value")
                if desig and desig[0].type == "field_designator" and desig[0].kids and value_node is not None:
                    fname = desig[0].kids[0].text
                    s.fields[fname] = self.eval(value_node) if value_node.type != "initializer_list" \
                        else self.build_initializer(value_node, "")
            else:
                value = self.eval(k) if k.type != "initializer_list" else self.build_initializer(k, "")
                if t == "swp_entry_t" and positional == 0:
                    s.fields["val"] = value
                else:
                    s.fields[f"#{positional}"] = value
                positional += 1
        if t == "swp_entry_t" and "val" not in s.fields:
            s.fields["val"] = 0
        return s

    def coerce(self, value, type_text: str, name: str):
        """Type-directed binding: an unknown stored in a folio/page/entry variable becomes a
        model; an integer is brought to the location's C type (``folint.sim.widths``)."""
        if isinstance(value, int):
            v = fit(value, type_text)
            return v if v is not None else self.unknown(f"{name or 'value'} (overflows {type_text or '64 bits'})")
        if isinstance(value, Struct):
            return value.copy()
        if isinstance(value, Unknown) and type_text:
            v = self.resolve(value)
            if not isinstance(v, Unknown):
                return v
            # A pointer may still be NULL: it stays unknown (a branch on it forks) and
            # becomes a model folio or page where it is used as one.
            if vocab.is_folio_pointer_type(type_text):
                self.name_pointer(value, "folio", name)
                return value
            if vocab.is_page_pointer_type(type_text):
                self.name_pointer(value, "page", name)
                return value
            if vocab.is_page_array_type(type_text):
                self.pointer_kinds.setdefault(value.uid, ("folios" if "folio" in type_text else "pages", name))
                return value
            if vocab.is_swap_entry_type(type_text):
                e = self.new_entry()
                self.materialised[value.uid] = e
                return e
        return value

    def name_pointer(self, value: Unknown, kind: str, name: str) -> None:
        """``value`` is held by a ``struct folio *`` / ``struct page *`` variable ``name``: the
        first variable names it, and a variable's name wins over an array element's
        ("pages[i]") for the model it becomes."""
        had = self.pointer_kinds.get(value.uid)
        if had is None or (name and "[" in (had[1] or "") and had[0] == kind):
            self.pointer_kinds[value.uid] = (kind, name)

    def eval_identifier(self, n: N):
        v = self.lookup(n.text, n).value
        return self.resolve(v) if isinstance(v, Unknown) else v

    def lookup(self, name: str, n: N | None = None) -> Cell:
        frame = self.frames[-1]
        for scope in reversed(frame.scopes):
            c = scope.get(name)
            if c is not None:
                return c
        c = self.globals.get(name)
        if c is not None:
            return c
        const = self.program.constant(name)
        if const is not None:
            c = Cell(name, const)
        else:
            c = Cell(name, self.unknown(name))
            if _CONSTANT_NAME.match(name):
                self.named_constants.add(c.value.uid)
        self.globals[name] = c
        return c

    def eval_field(self, n: N):
        return self.resolve(self.lvalue(n).get())

    def eval_subscript(self, n: N):
        base = self.resolve(self.eval(n.f["argument"]))
        idx = self.resolve(self.eval(n.f["index"]))
        if isinstance(base, Page) and isinstance(idx, int) and isinstance(base.index, int):
            self.use(base, n, "index")
            return Page(base.folio, base.index + idx)  # page[i]: the i-th struct page after it
        return self.resolve(self.index_loc(base, idx, n).get())

    def eval_pointer(self, n: N):
        arg = n.f.get("argument") or (n.kids[0] if n.kids else None)
        if n.op == "&":
            return self.address_of(arg)
        return self.resolve(self.lvalue(n).get())

    def address_of(self, arg: N):
        while arg is not None and arg.type == "parenthesized_expression" and len(arg.kids) == 1:
            arg = arg.kids[0]
        if arg is None:
            return self.unknown("&?")
        if arg.type == "identifier":
            cell = self.lookup(arg.text, arg)
            if isinstance(cell.value, Array):
                return cell.value
            return Ref(cell)
        if arg.type == "field_expression":
            base_node = arg.f.get("argument")
            fname = arg.f["field"].text if arg.f.get("field") is not None else ""
            if arg.op == "->":
                base = self.as_model(self.resolve(self.eval(base_node)))
                if isinstance(base, Folio) and fname == "page":
                    return Page(base, 0)
                if isinstance(base, Ref):
                    return Ref(base.cell, base.path + (fname,))
            else:
                inner = self.address_of(base_node)
                if isinstance(inner, Ref):
                    return Ref(inner.cell, inner.path + (fname,))
            return self.heap_get(("addr", arg.start, ident(self.resolve(self.eval(base_node)))),
                                 "&" + arg.brief())
        if arg.type == "subscript_expression":
            base_node = arg.f.get("argument")
            idx = self.resolve(self.eval(arg.f["index"]))
            if base_node is not None and base_node.type == "field_expression" and base_node.op == "->" \
                    and base_node.f.get("field") is not None and base_node.f["field"].text == "page":
                folio = self.resolve(self.eval(base_node.f["argument"]))
                if isinstance(folio, Folio) and isinstance(idx, (int, Unknown)):
                    return Page(folio, idx)
            base = self.resolve(self.eval(base_node))
            if isinstance(base, Page) and isinstance(idx, int) and isinstance(base.index, int):
                return Page(base.folio, base.index + idx)
            return self.unknown("&" + arg.brief())
        if arg.type == "pointer_expression" and arg.op == "*":
            return self.eval(arg.f.get("argument") or arg.kids[0])
        return self.unknown("&" + arg.brief())

    def lvalue(self, n: N | None) -> _Loc:
        while n is not None and n.type == "parenthesized_expression" and len(n.kids) == 1:
            n = n.kids[0]
        if n is None:
            return _TempLoc(self.unknown("?"))
        t = n.type
        if t == "identifier":
            return _CellLoc(self.lookup(n.text, n))
        if t == "field_expression":
            base_node = n.f.get("argument")
            fname = n.f["field"].text if n.f.get("field") is not None else "?"
            desc = n.brief()
            if n.op == "->":
                base = self.resolve(self.eval(base_node))
                return self.pointee_field(base, fname, desc, n)
            base_loc = self.lvalue(base_node)
            return _FieldLoc(self, base_loc, fname, desc)
        if t == "pointer_expression" and n.op == "*":
            ptr = self.resolve(self.eval(n.f.get("argument") or n.kids[0]))
            if isinstance(ptr, Ref):
                return _RefLoc(ptr)
            if isinstance(ptr, Array):
                return _IndexLoc(ptr, 0) if ptr.items else _TempLoc(self.unknown(n.brief()))
            ptr = self.as_model(ptr)
            if isinstance(ptr, PageArray):
                return _SlotLoc(self, ptr, ptr.key(0), f"*{render(ptr)}" if ptr.base else f"{ptr.label}[0]")
            if isinstance(ptr, int) and ptr == 0:
                raise Infeasible(f"line {n.line}: NULL dereference")
            self.use(ptr, n, "deref")
            return _HeapLoc(self, ("deref", ident(ptr)), n.brief())
        if t == "subscript_expression":
            base = self.resolve(self.eval(n.f["argument"]))
            return self.index_loc(base, self.resolve(self.eval(n.f["index"])), n)
        return _TempLoc(self.eval(n))

    def index_loc(self, base, idx, n: N) -> _Loc:
        """``base[idx]`` (both evaluated) as a location."""
        if isinstance(base, Array) and isinstance(idx, int) and 0 <= idx < len(base.items):
            return _IndexLoc(base, idx)
        if isinstance(base, Unknown) and base.uid not in self.pointer_kinds:
            self.array_by_name(base, n.f.get("argument"))
        base = self.as_model(base)
        if isinstance(base, PageArray):
            key = base.key(idx)
            if key is not None:
                return _SlotLoc(self, base, key, n.brief())
        self.use(base, n, "index", subscript=idx)
        return _HeapLoc(self, ("index", ident(base), ident(idx)), n.brief())

    def array_by_name(self, value: Unknown, node: N | None) -> None:
        """A field the simulator has no type for, indexed: ``req->pages[i]``, ``eb->folios[k]``
        hold pages or folios by the field's name (as ``folint.vocab.is_page_array_name``)."""
        if node is None or node.type != "field_expression" or node.f.get("field") is None:
            return
        fname = node.f["field"].text.lstrip("_")
        if fname.endswith(("pages", "folios")) and not fname.startswith("nr"):
            self.pointer_kinds[value.uid] = ("folios" if fname.endswith("folios") else "pages", node.brief())

    def pointee_field(self, base, fname: str, desc: str, n: N) -> _Loc:
        base = self.as_model(base)
        self.use(base, n, "field", fname)
        if isinstance(base, Folio):
            return _FolioFieldLoc(self, base, fname)
        if isinstance(base, Page):
            return _PageFieldLoc(self, base, fname)
        if isinstance(base, Ref):
            loc = _RefLoc(base)
            return _FieldLoc(self, loc, fname, desc)
        if isinstance(base, Struct):
            return _FieldLoc(self, _TempLoc(base), fname, desc)
        if isinstance(base, int) and base == 0:
            raise Infeasible(f"line {n.line}: NULL dereference")
        return _HeapLoc(self, ("field", ident(base), fname), desc)
