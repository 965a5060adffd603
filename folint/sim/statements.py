"""Statements and control flow: blocks, declarations, if, loops, switch, goto, #if.

Owns the :class:`Statements` mixin of :class:`folint.sim.run.SimRun`:
``exec`` (one statement: the dispatch on its node type, the focus-loop stop),
blocks and their labels, declarations, ``return``/``break``/``continue``/
``goto`` (raised as the control-flow signals :class:`Return`, :class:`Break`,
:class:`Continue`, :class:`Goto`), ``if``, the loops (their :class:`LoopRun`
records, the bound on loops that fork on unknowns, iterator macros), ``switch``
and ``#if``/``#ifdef`` inside a function (a branch on the configuration).
"""

from __future__ import annotations

from folint.sim.conditions import Range
from folint.sim.expressions import EXPRESSION_TYPES, c_int
from folint.sim.lower import N
from folint.sim.state import Bounded, Cut, EventKind, LoopExit, LoopRun, Stop
from folint.sim.values import Cell, Struct, Unknown, render

# An iterator macro loop (list_for_each_entry ...) visits at most this many elements:
# every element is a fresh unknown, so a third one behaves like the second.
ITERATOR_ELEMENTS = 2
# A loop that forks on unknowns is explored up to nr + this many iterations (a bound,
# as in bounded model checking: enough to see every page of an nr-page folio).
LOOP_BOUND_EXTRA = 2
# With a focus loop, the other loops (retry loops before it ...) that fork get this bound.
OTHER_LOOP_BOUND = 2


# -- control-flow signals -------------------------------------------------------------

class Return(Exception):
    def __init__(self, value, node):
        self.value = value
        self.node = node
        self.line = node.line


class Break(Exception):
    def __init__(self, line: int):
        self.line = line


class Continue(Exception):
    pass


class Goto(Exception):
    def __init__(self, label: str, line: int):
        self.label = label
        self.line = line


class Statements:
    """Running statements (mixin of :class:`SimRun`)."""

    def exec_body(self, body: N) -> None:
        self.exec_seq(body.kids, 0, self.block_labels(body), None)

    def exec(self, n: N) -> None:
        s = self.steps = self.steps + 1  # self.step(), inlined
        if s > self._step_limit or not s & 255:
            self._step_check()
        if self.focus is not None and n.start >= self.focus[1] and len(self.frames) == 1 and not self.loop_stack:
            raise Stop()
        if n.has_error and n.type in _SIMPLE_STMTS:
            self.approximate(n, "partly unparsed statement")
        h = _STMT.get(n.type)
        if h is not None:
            h(self, n)
            return
        if n.type.endswith("_expression") or n.type in EXPRESSION_TYPES:
            self.eval(n)
            return
        if n.type in _IGNORED_STMTS:
            return
        self.approximate(n, "unparsed code skipped" if n.is_error else f"{n.type} not simulated")

    def block_labels(self, n: N) -> dict:
        if n.info is None:
            n.info = _labels_of(n.kids)
        return n.info

    def exec_compound(self, n: N) -> None:
        frame = self.frames[-1]
        frame.scopes.append({})
        try:
            self.exec_seq(n.kids, 0, self.block_labels(n), None)
        finally:
            frame.scopes.pop()

    def exec_seq(self, seq: list, start: int, labels: dict, enter: str | None) -> None:
        i = start
        while i < len(seq):
            try:
                if enter is not None:
                    label, enter = enter, None
                    self.exec_at(seq[i], label)
                else:
                    self.exec(seq[i])
                i += 1
            except Goto as g:
                j = labels.get(g.label)
                if j is None:
                    raise
                self.step()
                if j <= i:  # backwards: a retry cycle, bounded like a loop once it depends on unknowns
                    key = (id(seq), g.label)
                    self.gotos_back[key] = self.gotos_back.get(key, 0) + 1
                    bound = self.loop_bound()
                    if self.choices and self.gotos_back[key] > bound:
                        raise Bounded(f"line {g.line}: a goto cycle on unknown values followed up to {bound} times")
                i, enter = j, g.label

    def loop_bound(self) -> int:
        """Iterations (or backward gotos) a cycle that forks on unknowns may run on one path:
        enough to see every page of the model folio, or ``Scenario.max_iterations``."""
        bound = self.scenario.nr + LOOP_BOUND_EXTRA
        cap = self.scenario.max_iterations
        return bound if cap is None else min(bound, cap)

    def exec_at(self, n: N, label: str) -> None:
        """Run ``n`` starting at ``label`` somewhere inside it (a goto target)."""
        if n.type == "labeled_statement":
            inner = n.kids[1] if len(n.kids) > 1 else None
            if n.kids and n.kids[0].text == label:
                if inner is not None:
                    self.exec(inner)
            elif inner is not None:
                self.exec_at(inner, label)
            return
        if n.type == "compound_statement":
            frame = self.frames[-1]
            frame.scopes.append({})
            try:
                labels = self.block_labels(n)
                self.exec_seq(n.kids, labels[label], labels, label)
            finally:
                frame.scopes.pop()
            return
        if n.type == "if_statement":  # a label in one branch: enter it, the condition is not evaluated
            alt = n.f.get("alternative")
            if alt is not None and alt.type == "else_clause":
                alt = alt.kids[0] if alt.kids else None
            for part in (n.f.get("consequence"), alt):
                if part is not None and label in _labels_of([part]):
                    self.exec_at(part, label)
                    return
        if n.type in _PREPROC:
            for idx, (what, stmts, labels) in enumerate(self.preproc_branches(n)):
                if label in labels:
                    key = ("preproc", n.start)
                    if self.memo.setdefault(key, idx) != idx:
                        raise Cut(f"goto {label}: the label is in a configuration branch (`{what}`) "
                                  f"this path did not take")
                    self.exec_seq(stmts, labels[label], labels, label)
                    return
        self.exec(n)

    def exec_labeled(self, n: N) -> None:
        if len(n.kids) > 1:
            self.exec(n.kids[1])

    def exec_expression_statement(self, n: N) -> None:
        if n.kids:
            self.eval(n.kids[0])

    def exec_declaration(self, n: N) -> None:
        tnode = n.f.get("type")
        base = tnode.words() if tnode is not None else ""
        frame = self.frames[-1]
        for d in n.fl.get("declarator", ()):
            value_node = None
            if d.type == "init_declarator":
                value_node = d.f.get("value")
                d = d.f.get("declarator")
            name, stars, array_len, is_fn = _declarator(d)
            if name is None or is_fn:
                continue
            type_text = base + (" " + "*" * stars if stars else "")
            if array_len is not None or (value_node is not None and value_node.type == "initializer_list"
                                         and d is not None and d.type == "array_declarator"):
                value = self.make_array(array_len, value_node, type_text, name)
            elif value_node is not None:
                if value_node.type == "initializer_list":
                    value = self.build_initializer(value_node, type_text)
                else:
                    value = self.coerce(self.eval(value_node), type_text, name)
                    if name in self.scenario.locals and len(self.frames) == 1:
                        value = self.choose_local(d, name, value, type_text)
            elif base == "swp_entry_t" or (base.startswith("struct ") and not stars):
                value = Struct(base)
            else:
                value = self.unknown(f"uninitialised {name}")
            frame.scopes[-1][name] = Cell(name, value, type_text)

    def choose_local(self, n: N, name: str, value, type_text: str):
        """``Scenario.locals``: a local of the function itself whose initial value is unknown
        (read from a field, returned by a call) takes the scenario's integer, as a parameter
        takes ``Scenario.args``; an "assume" event says so.  A value the code computes is kept."""
        if not isinstance(self.resolve(value), Unknown):
            return value
        chosen = self.coerce(int(self.scenario.locals[name]), type_text, name)
        self.event(EventKind.ASSUME, n, f"assume {name} = {render(chosen)} (it is {render(value)})")
        return chosen

    def exec_return(self, n: N) -> None:
        value = self.eval(n.kids[0]) if n.kids else None
        if isinstance(value, Struct):
            value = value.copy()
        raise Return(self.resolve(value), n)

    def exec_break(self, n: N) -> None:
        raise Break(n.line)

    def exec_continue(self, n: N) -> None:
        raise Continue()

    def exec_goto(self, n: N) -> None:
        raise Goto(n.kids[0].text if n.kids else "", n.line)

    def exec_if(self, n: N) -> None:
        cond = n.f.get("condition")
        if cond is not None and self.truth(cond):
            body = n.f.get("consequence")
            if body is not None:
                self.exec(body)
        else:
            alt = n.f.get("alternative")
            if alt is not None:
                if alt.type == "else_clause":
                    if alt.kids:
                        self.exec(alt.kids[0])
                else:
                    self.exec(alt)

    def exec_loop(self, n: N) -> None:
        kind = n.type
        frame = self.frames[-1]
        frame.scopes.append({})
        self.loop_runs.append(run := LoopRun(len(self.loop_runs) + 1, n.start, n.line, frame.name,
                                             len(self.frames) - 1, first_event=len(self.events)))
        self.loop_stack.append(run)
        cond = n.f.get("condition")
        body = n.f.get("body")
        bound = self.loop_bound()
        if self.focus is not None and len(self.frames) == 1 and not self.focus[0] <= n.start < self.focus[1]:
            bound = OTHER_LOOP_BOUND
        try:
            if kind == "for_statement":
                init = n.f.get("initializer")
                if init is not None:
                    self.exec(init) if init.type == "declaration" else self.eval(init)
            while True:
                if n.macro is not None:
                    if not self.next_element(n, cond, run):
                        run.exit, run.exit_line = LoopExit.CONDITION, n.line
                        break
                elif kind != "do_statement" or run.iterations:
                    if cond is not None and not self.truth(cond):
                        run.exit, run.exit_line = LoopExit.CONDITION, n.line
                        break
                if run.forked and run.iterations >= bound:
                    raise Bounded(f"line {n.line}: a loop on unknown values explored up to {bound} iterations")
                run.iterations += 1
                try:
                    if body is not None:
                        self.exec(body)
                except Break as b:
                    run.exit, run.exit_line = LoopExit.BREAK, b.line
                    break
                except Continue:
                    pass
                if kind == "for_statement":
                    upd = n.f.get("update")
                    if upd is not None:
                        self.eval(upd)
        except Return as r:
            run.exit, run.exit_line = LoopExit.RETURN, r.line
            raise
        except Goto as g:
            run.exit, run.exit_line = LoopExit.GOTO, g.line
            raise
        finally:
            frame.scopes.pop()
            if self.loop_stack and self.loop_stack[-1] is run:
                self.loop_stack.pop()
                run.last_event = len(self.events)
                if not run.exit:
                    run.exit = LoopExit.CUT  # a budget ran out, or the path ended inside the loop
                else:
                    self.event(EventKind.LOOP, n, f"leave the loop at line {n.line} after {run.iterations} "
                                                  f"iteration{'s' * (run.iterations != 1)} ({_EXIT_TEXT[run.exit]})")
        if self.focus is not None and self.focus[0] == n.start and not self.loop_stack:
            raise Stop()

    def next_element(self, n: N, cond: N | None, run: LoopRun) -> bool:
        """An iterator macro (``list_for_each_entry(pos, ...)``): is there another element?
        Forks, up to ``ITERATOR_ELEMENTS`` elements; each one is a fresh unknown in ``pos``
        (a fresh model folio or page when ``pos`` has that type)."""
        if run.iterations >= ITERATOR_ELEMENTS:
            return False
        what = f"{n.macro}(...)"
        if self.choose(2) == 0:
            self.event(EventKind.ASSUME, n, f"assume {what} has no {'more ' if run.iterations else ''}elements")
            return False
        self.event(EventKind.ASSUME, n, f"assume {what} gives element {run.iterations + 1}")
        args = cond.kids[0] if cond is not None and cond.kids else None
        first = args
        while first is not None and first.type == "comma_expression":
            first = first.f.get("left")
        if first is not None and first.type == "identifier":
            cell = self.lookup(first.text, first)
            cell.value = self.coerce(self.unknown(f"element {run.iterations + 1} of {n.macro}()"), cell.type,
                                     first.text + f"#{run.iterations + 1}" if run.iterations else first.text)
        return True

    def exec_switch(self, n: N) -> None:
        cond = n.f.get("condition")
        body = n.f.get("body")
        if body is None:
            return
        if body.info is None:
            flat, cases = [], []
            for k in body.kids:
                if k.type == "case_statement":
                    value = k.f.get("value")
                    cases.append((value, len(flat)))
                    flat.extend(c for c in k.kids if c is not value)
                else:
                    flat.append(k)
            body.info = (flat, cases, _labels_of(flat))
        flat, cases, labels = body.info
        value = self.resolve(self.eval(cond)) if cond is not None else self.unknown("switch")
        start = self.pick_case(value, cases, cond)
        if start is None:
            return
        frame = self.frames[-1]
        frame.scopes.append({})
        try:
            self.exec_seq(flat, start, labels, None)
        except Break:
            pass
        finally:
            frame.scopes.pop()

    def pick_case(self, value, cases, cond: N | None) -> int | None:
        concrete = []
        default = None
        for vnode, idx in cases:
            if vnode is None:
                default = idx
                continue
            cv = self.resolve(self.eval(vnode))
            concrete.append((cv, idx))
        if isinstance(value, int):
            for cv, idx in concrete:
                if cv == value:
                    return idx
            return default
        options = [(cv, idx) for cv, idx in concrete if isinstance(cv, int)]
        seen, uniq = set(), []
        for cv, idx in options:
            if cv not in seen:
                seen.add(cv)
                uniq.append((cv, idx))
        if isinstance(value, Unknown):
            r = self.ranges.get(value.uid, Range())
            uniq = [(cv, idx) for cv, idx in uniq if r.decide("==", cv) is not False]
        choice = self.choose(len(uniq) + 1)
        what = cond.brief() if cond is not None else "switch"
        if choice < len(uniq):
            cv, idx = uniq[choice]
            if isinstance(value, Unknown):
                self.ranges[value.uid] = Range(cv, cv)
            self.event(EventKind.ASSUME, cond, f"assume {what} == {cv}")
            return idx
        if isinstance(value, Unknown):
            r = self.ranges.get(value.uid, Range())
            for cv, _ in uniq:
                r = r.narrow("==", cv, False)
            self.ranges[value.uid] = r
        self.event(EventKind.ASSUME, cond, f"assume {what} matches no case" if default is None
                   else f"assume {what} takes the default case")
        return default

    def preproc_branches(self, n: N) -> list:
        """[(what, statements, their labels)] of an ``#if``/``#ifdef`` chain; the last
        is an empty ``#else`` when the chain has none."""
        if n.info is None:
            branches = []
            node = n
            while node is not None:
                cond = node.f.get("condition") or node.f.get("name")
                alt = node.f.get("alternative")
                stmts = [k for k in node.kids if k is not cond and k is not alt]
                what = f"#{'else' if node.type == 'preproc_else' else node.op or 'if'} " + \
                       (cond.brief() if cond is not None else "")
                branches.append((what.strip(), stmts, _labels_of(stmts)))
                node = alt
            if not any(b[0].startswith("#else") for b in branches):
                branches.append(("#else (none of the branches)", [], {}))
            n.info = branches
        return n.info

    def exec_preproc(self, n: N) -> None:
        """``#if``/``#ifdef`` inside a function: a branch on the configuration (forks once
        per path: the same ``#if`` reached again takes the same branch)."""
        branches = self.preproc_branches(n)
        key = ("preproc", n.start)
        choice = self.memo.get(key)
        if choice is None:
            choice = self.choose(len(branches))
            self.memo[key] = choice
        what, stmts, labels = branches[choice]
        self.event(EventKind.ASSUME, n, f"assume the configuration takes `{what}`")
        self.exec_seq(stmts, 0, labels, None)

    def exec_attributed(self, n: N) -> None:
        if n.kids:
            self.exec(n.kids[-1])


_EXIT_TEXT = {LoopExit.CONDITION: "its condition is false", LoopExit.BREAK: "break", LoopExit.RETURN: "return",
              LoopExit.GOTO: "goto", LoopExit.CUT: "cut short"}


def _declarator(d: N | None):
    """(name, pointer stars, array length node/int or None, is a function declarator)."""
    stars, array_len, is_fn = 0, None, False
    while d is not None and d.type != "identifier":
        if d.type == "pointer_declarator":
            stars += 1
        elif d.type == "array_declarator":
            size = d.f.get("size")
            array_len = size if size is not None else 0
        elif d.type == "function_declarator":
            is_fn = True
        nxt = d.f.get("declarator")
        if nxt is None:
            nxt = next((k for k in d.kids if k.type.endswith("declarator") or k.type == "identifier"), None)
        d = nxt
    if isinstance(array_len, N) and array_len.type == "number_literal":
        array_len = c_int(array_len.text or "")
    return (d.text if d is not None else None), stars, array_len, is_fn


def _labels_of(seq: list) -> dict:
    """label -> index in ``seq`` of the statement that holds it (through labels, blocks,
    if/else branches and #if branches)."""
    out = {}
    for i, s in enumerate(seq):
        stack = [s]
        while stack:
            x = stack.pop()
            if x.type == "labeled_statement":
                if x.kids and x.kids[0].type == "statement_identifier":
                    out.setdefault(x.kids[0].text, i)
                stack.extend(x.kids[1:])
            elif x.type in _LABEL_CONTAINERS:
                stack.extend(x.kids)
    return out


_PREPROC = frozenset({"preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif", "preproc_elifdef"})
# Statements a goto can enter at a label inside them (loops and switches are not entered).
_LABEL_CONTAINERS = frozenset({"compound_statement", "if_statement", "else_clause"}) | _PREPROC

_STMT = {
    "compound_statement": Statements.exec_compound,
    "expression_statement": Statements.exec_expression_statement,
    "declaration": Statements.exec_declaration,
    "return_statement": Statements.exec_return,
    "break_statement": Statements.exec_break,
    "continue_statement": Statements.exec_continue,
    "goto_statement": Statements.exec_goto,
    "labeled_statement": Statements.exec_labeled,
    "if_statement": Statements.exec_if,
    "for_statement": Statements.exec_loop,
    "while_statement": Statements.exec_loop,
    "do_statement": Statements.exec_loop,
    "switch_statement": Statements.exec_switch,
    "preproc_if": Statements.exec_preproc,
    "preproc_ifdef": Statements.exec_preproc,
    "attributed_statement": Statements.exec_attributed,
}

_SIMPLE_STMTS = frozenset({"expression_statement", "declaration", "return_statement"})

_IGNORED_STMTS = frozenset({
    "type_definition", "struct_specifier", "union_specifier", "enum_specifier", "preproc_call", "preproc_def",
    "preproc_function_def", "preproc_include", "empty_statement", "attribute_specifier", "function_definition",
})
