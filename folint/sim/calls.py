"""Calls and models: binding parameters, calling a function, modelled and unmodelled calls.

Owns the :class:`Calls` mixin of :class:`folint.sim.run.SimRun`:
``bind_param``/``parse_arg`` (a parameter's value from its type or the
scenario's ``args``), ``call_function`` (a frame, the call depth budget, the
return value), ``eval_call`` (a call expression: a model from the registry
the program was given (``folint.sim.models``), a callee stepped into when the
scenario inlines it, else ``unmodelled_call``: a ``call`` event, or a
``fail`` event when the scenario injects a failure, whose result is a fresh
unknown, and whose pointer arguments to locals are written with unknowns).
"""

from __future__ import annotations

from folint import vocab
from folint.sim.lower import N
from folint.sim.models import NOT_MODELLED, ModelCall
from folint.sim.state import Cut, Event, EventKind, Frame
from folint.sim.statements import Break, Continue, Goto, Return
from folint.sim.values import MODEL_VALUES, Array, Cell, Page, PageArray, Ref, Struct, Sym, Unknown, render

USED_VALUES = MODEL_VALUES + (Sym,)


class Calls:
    """Calls (mixin of :class:`SimRun`)."""

    def bind_param(self, name: str, type_text: str):
        spec = self.scenario.args.get(name)
        if spec is not None:
            return self.parse_arg(name, spec)
        if vocab.is_folio_pointer_type(type_text):
            return self.new_folio(name)
        if vocab.is_page_pointer_type(type_text):
            return Page(self.new_folio("folio" if name == "page" else f"folio of {name}"), 0)
        if vocab.is_swap_entry_type(type_text):
            return self.new_entry()
        if vocab.is_page_array_type(type_text):
            return self.new_page_array(name, "folio" if "folio" in type_text else "page")
        if type_text.replace("const ", "").replace(" ", "") == "swp_entry_t*":
            return Ref(Cell(f"*{name}", self.new_entry(), "swp_entry_t"))
        return self.unknown(name)

    def parse_arg(self, name: str, spec):
        if isinstance(spec, int):
            return spec
        s = str(spec).strip()
        if s == "NULL":
            return 0
        if s == "unknown":
            return self.unknown(name)
        kind, _, num = s.partition(":")
        if kind == "folio" and num.isdigit():
            return self.new_folio(name, int(num))
        if kind == "page" and num.isdigit():
            return Page(self.new_folio(f"folio of {name}"), int(num))
        if kind == "entry" and not num:
            return self.new_entry()
        return int(s, 0)

    def call_function(self, fn, args: list, call_node: N | None):
        if len(self.frames) > self.scenario.max_depth:
            raise Cut(f"call depth limit ({self.scenario.max_depth}) reached in {fn.name}(): recursion?")
        frame = Frame(fn.name, [{}], fn.types)
        for (pname, ptype), value in zip(fn.params, args):
            frame.scopes[0][pname] = Cell(pname, self.coerce(value, ptype, pname), ptype)
        self.frames.append(frame)
        self.return_node = None
        try:
            self.exec_body(fn.body)
        except Return as r:
            self.return_node = r.node
            return r.value
        except Goto as g:
            raise Cut(f"goto {g.label} at line {g.line}: the label is inside a nested statement or missing")
        except (Break, Continue):
            return None
        finally:
            self.frames.pop()
        self.return_node = None  # fell off the end
        return None

    def eval_call(self, n: N):
        fnode = n.f.get("function")
        args_node = n.f.get("arguments")
        name = fnode.text if fnode is not None and fnode.type == "identifier" else \
            fnode.brief() if fnode is not None else "?"
        arg_nodes = args_node.kids if args_node is not None else []
        if name in ("sizeof", "typeof", "__builtin_expect") and arg_nodes:
            return self.eval(arg_nodes[0]) if name == "__builtin_expect" else self.eval_sizeof(n)
        # a folio/page variable handed to a call is taken to be a real one (a model)
        args = []
        for a in arg_nodes:
            v = self.eval(a)
            if isinstance(v, Unknown):  # resolve and as_model leave anything else as it is
                v = self.as_model(self.resolve(v))
            args.append(v)
        for i, (a, a_node) in enumerate(zip(args, arg_nodes)):
            if isinstance(a, USED_VALUES):  # what use() records; the rest it ignores
                self.use(a, a_node, "arg", name, i)
        registry = self.program.registry
        if fnode is not None and fnode.type == "identifier" and name in registry:
            call = ModelCall(name, args, n.line, self, self.scenario, [a.brief() for a in arg_nodes], n)
            out = registry.call(call)
            if out is not NOT_MODELLED:
                self.event(EventKind.MODEL, n, f"{name}({_render_args(args)}) = {render(out)}", name=name,
                           args=tuple([_snapshot(a) for a in args]), result=out)
                return out
        callee = self.program.inlinable(name, self.scenario) if fnode is not None and fnode.type == "identifier" \
            else None
        if callee is not None:
            self.event(EventKind.CALL, n, f"call {name}({_render_args(args)}), stepping into it", name=name,
                       args=tuple([_snapshot(a) for a in args]))
            value = self.call_function(callee, args, n)
            self.event(EventKind.RETURN, n, f"{name}() returns {render(value, status=True)}" if value is not None
                       else f"{name}() returns", name=name, result=value)
            return value
        return self.unmodelled_call(n, name, args)

    def unmodelled_call(self, n: N, name: str, args: list):
        self.calls += 1
        snap = tuple([_snapshot(a) for a in args])
        text = f"call {name}({_render_args(args)})"
        ev = Event(len(self.events) + 1, EventKind.CALL, n.line, n.start, text, name=name, args=snap,
                   depth=len(self.frames) - 1, function=self.frames[-1].name,
                   loops=tuple([(r.start_byte, r.id, r.iterations) for r in self.loop_stack]) if self.loop_stack else (),
                   node=n)
        sc = self.scenario
        fail = not self.failed and (sc.fail_at == self.calls or (sc.fail_when is not None and sc.fail_when(ev)))
        if fail:
            self.failed = True
            ev.kind = EventKind.FAIL
            ev.result = sc.fail_value
            ev.text = f"{text} fails (injected): {render(sc.fail_value, status=True)}"
            self.events.append(ev)
            result = sc.fail_value
        else:
            result = self.unknown(f"{name}()")
            ev.result = result
            self.events.append(ev)
        for a in args:  # the callee may write through pointers to locals (by type: a folio, a page ...)
            if isinstance(a, Ref):
                written = self.unknown(f"{render(a)[1:]} after {name}()")
                a.set(self.coerce(written, a.cell.type, a.cell.name) if not a.path else written)
        return result


SNAPSHOT_ITEMS = 64  # a local array up to this long is kept as it was at the call


def _snapshot(v):
    """What an event keeps of an argument: a struct, a page array or a short local array
    as it was at the call (later stores do not change what the call got)."""
    if isinstance(v, PageArray):
        return v.snapshot()
    if isinstance(v, Array) and len(v.items) <= SNAPSHOT_ITEMS:
        return Array(list(v.items))
    return v.copy() if isinstance(v, Struct) else v


def _render_args(args: list) -> str:
    return ", ".join([render(a) for a in args])
