"""FOL012 folio-range-wrong-convention

What it does:
    Flags a range helper given a range in the other convention: an *end*
    where it takes a *length*, or a length where it takes an end.
    ``folio_zero_range(folio, start, len)`` takes a length,
    ``folio_zero_segment(folio, start, end)`` and
    ``folio_zero_segments(folio, s1, e1, s2, e2)`` take ends, ``zero_user(page,
    start, len)`` a length, ``zero_user_segment(page, start, end)`` an end;
    ``memcpy_from_folio(to, folio, offset, len)``, ``memcpy_to_folio``,
    ``memzero_page``, ``copy_folio_to_iter``, ``folio_invalidate`` ... take
    lengths; ``bio_add_folio(bio, folio, len, offset)``, ``sg_set_page`` and
    ``bvec_set_folio`` take the length *before* the offset.  The conventions
    are data (``range_table.toml`` beside this rule, checked against 6.1 and
    6.12; some helpers exist only in the newer tree, the conventions are the
    same).

    Reported, when the start is not a literal 0:

    - as a length: the object's end (``folio_size(folio)``, or ``PAGE_SIZE`` for
      a page), ``start + n``, or a variable that is an end (named ``end``/``to``,
      ``end_...`` or ``..._end``, or set to ``a + b``);
    - as an end: ``x - start``, or a variable that is a length (named ``len``,
      ``size``, ``bytes``, ``..._len`` ..., or set to ``x - start``; ``x -
      folio_pos(folio)`` is an offset, not a length);
    - an offset-named argument where the length goes while a length-named one
      is in the offset's place (the two swapped).

Why it is wrong:
    ``folio_zero_range(folio, offset, folio_size(folio))`` zeroes
    ``folio_size(folio)`` bytes from ``offset``: for any non-zero offset that
    runs past the folio (zero_user_segments() BUG()s, or memory after the folio
    is overwritten on configurations without the check).  The other way round,
    ``folio_zero_segment(folio, offset, len)`` stops at byte ``len``, not at
    ``offset + len``, and leaves stale data that should have been cleared.
    Conversions meet this because the page helpers they replace
    (``zero_user_segment``/``zero_user``) sit side by side with opposite
    conventions, and large folios make "to the end of the page" a different
    number from "the rest of the page".

Example:
    folio_zero_range(folio, offset, folio_size(folio));

Use instead:
    folio_zero_segment(folio, offset, folio_size(folio));
    /* or */
    folio_zero_range(folio, offset, folio_size(folio) - offset);
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from folint import callindex, cnodes, kmap
from folint.rule import Rule

ROLES = ("folio", "page", "start", "len", "end", "-")
END_NAME = re.compile(r"^(x?end|to|stop|limit)$|_end$|^end_")
LEN_NAME = re.compile(r"^(len|length|size|count|bytes|nbytes|nr_bytes|copied)$|_(len|length|size|bytes)$|^len_")
OFF_NAME = re.compile(r"^(off|offset|start|from|pos|poff|xstart)$|_(off|offset|start)$|^(off|offset)_")
OBJECT_SIZE = {"folio": ("folio_size",), "page": ("PAGE_SIZE", "page_size", "thp_size")}
COUNTERPART = {"folio_zero_range": "folio_zero_segment", "folio_zero_segment": "folio_zero_range",
               "zero_user": "zero_user_segment", "zero_user_segment": "zero_user"}


@dataclass(frozen=True)
class Helper:
    name: str
    args: tuple[str, ...]

    def pairs(self) -> list[tuple[int, int]]:
        """(start index, len-or-end index) for each range the helper takes."""
        starts = [i for i, r in enumerate(self.args) if r == "start"]
        ranges = [i for i, r in enumerate(self.args) if r in ("len", "end")]
        return list(zip(starts, ranges))

    @property
    def object(self) -> tuple[int, str] | None:
        for i, role in enumerate(self.args):
            if role in ("folio", "page"):
                return i, role
        return None


def range_table(facts) -> dict[str, Helper]:
    """The helpers and their argument roles: the API fact ``range_conventions`` (read
    from the checked tree's headers, else the built-in table of its version)."""
    cached = getattr(facts, "_fol012_table", None)
    if cached is None:
        cached = {name: Helper(name, tuple(roles)) for name, roles in facts.get("range_conventions").items()
                  if all(r in ROLES for r in roles)}
        try:
            facts._fol012_table = cached
        except AttributeError:
            pass
    return cached


@dataclass(frozen=True)
class Kind:
    """What an argument expression is: "end", "len", "size" (the object's size), or None."""

    kind: str | None
    why: str = ""
    other: str | None = None  # the same range in the other convention, when the expression shows it


def _binary(node: Node | None) -> tuple[str, Node, Node] | None:
    node = cnodes.strip_parens(node)
    if node is None or node.type != "binary_expression":
        return None
    return cnodes.text(node.child_by_field_name("operator")), node.child_by_field_name("left"), \
        node.child_by_field_name("right")


def _same(a: Node | None, b: Node | None) -> bool:
    a, b = cnodes.strip_parens(a), cnodes.strip_parens(b)
    return a is not None and b is not None and cnodes.normalise(cnodes.text(a)) == cnodes.normalise(cnodes.text(b))


def kind_of(node: Node | None, fn, object_role: str, start: Node) -> Kind:
    node = cnodes.strip_parens(node)
    if node is None:
        return Kind(None)
    if node.type == "cast_expression":
        return kind_of(node.child_by_field_name("value"), fn, object_role, start)
    b = _binary(node)
    if b is not None:
        op, left, right = b
        if op == "+" and (_same(left, start) or _same(right, start)):
            length = right if _same(left, start) else left
            return Kind("end", f"'{cnodes.text(node)}' is the start plus a length (an end)", cnodes.text(length))
        if op == "-" and _same(right, start):
            return Kind("len", f"'{cnodes.text(node)}' is an end minus the start (a length)", cnodes.text(left))
        return Kind(None)
    name = cnodes.call_name(node)
    text = cnodes.text(node)
    if name in OBJECT_SIZE.get(object_role, ()) or (object_role == "page" and text == "PAGE_SIZE"):
        return Kind("size", f"'{text}' is the {object_role}'s size (its end)")
    if node.type != "identifier":
        return Kind(None)
    value = kmap.single_definition(text, fn)
    if value is not None:
        vb = _binary(value)
        if vb is not None and vb[0] == "+":
            return Kind("end", f"'{text}' is set to {cnodes.normalise(cnodes.text(value))} (an end)")
        if vb is not None and vb[0] == "-" and _same(vb[2], start):
            # (end - folio_pos(folio) is an offset in the folio, not a length: only end - start is)
            return Kind("len", f"'{text}' is set to {cnodes.normalise(cnodes.text(value))} (a length)",
                        cnodes.text(vb[1]))
    if END_NAME.search(text):
        return Kind("end", f"'{text}' is named as an end")
    if LEN_NAME.search(text):
        return Kind("len", f"'{text}' is named as a length")
    return Kind(None)


def _is_zero(node: Node | None) -> bool:
    node = cnodes.strip_parens(node)
    return node is not None and cnodes.text(node).rstrip("uUlL") == "0"


@dataclass(frozen=True)
class Misuse:
    call: Node
    helper: Helper
    start: int  # argument index of the start
    arg: int  # argument index of the len or end that is in the wrong convention
    wanted: str  # "len" | "end" | "swapped"
    why: str
    other: str | None = None  # the argument in the helper's own convention, when known


def find_misuses(fn, table: dict[str, Helper]) -> list[Misuse]:
    out = []
    for call in callindex.calls_to(fn, table):
        helper = table[cnodes.call_name(call)]
        args = cnodes.call_args(call)
        if len(args) != len(helper.args):
            continue
        obj = helper.object
        role = obj[1] if obj else "folio"
        for s, r in helper.pairs():
            start, second = args[s], args[r]
            if _is_zero(start):
                continue
            want = helper.args[r]
            k = kind_of(second, fn, role, start)
            if want == "len" and k.kind in ("end", "size"):
                out.append(Misuse(call, helper, s, r, "len", k.why, k.other))
            elif want == "end" and k.kind == "len":
                out.append(Misuse(call, helper, s, r, "end", k.why, k.other))
            elif want == "len" and s > r:  # the length comes first (bio_add_folio, sg_set_page)
                st, sc = cnodes.strip_parens(start), cnodes.strip_parens(second)
                if st.type == sc.type == "identifier" and LEN_NAME.search(cnodes.text(st)) \
                        and OFF_NAME.search(cnodes.text(sc)):
                    out.append(Misuse(call, helper, s, r, "swapped",
                                      f"'{cnodes.text(sc)}' is named as an offset and '{cnodes.text(st)}' as a length"))
    return out


class FolioRangeWrongConvention(Rule):
    code = "FOL012"
    name = "folio-range-wrong-convention"
    summary = "a range helper is given an end for a length, or a length for an end"
    # every helper of folint.facts.ranges.HELPERS contains one of these
    # the helpers' object is a struct page or a struct folio, named in the file
    gate = (b"page", b"folio")
    needles = (b"zero_user", b"folio_zero_", b"memzero_page", b"memset_page", b"memcpy_from_", b"memcpy_to_",
               b"folio_fill_tail", b"copy_page_", b"copy_folio_", b"bio_add_", b"sg_set_", b"bvec_set_",
               b"invalidate_folio", b"folio_invalidate", b"new_buffers", b"block_commit_write")
    function_local = True  # the helper call and its arguments' definitions are in the function

    def check(self, src):
        table = range_table(self.facts)
        for fn in src.functions:
            if not callindex.calls_any(fn, table):
                continue
            for m in find_misuses(fn, table):
                yield self.finding(src, m.call, self._message(src, m), fn.name, call_byte=m.call.start_byte,
                                   helper=m.helper.name, start_arg=m.start, arg=m.arg, wanted=m.wanted)

    def _message(self, src, m: Misuse) -> str:
        args = cnodes.call_args(m.call)
        start, second = src.text(args[m.start]), src.text(args[m.arg])
        name = m.helper.name
        read = f" (convention from {self.facts.where('range_conventions', name)})"
        ordinal = ("first", "second", "third", "fourth", "fifth", "sixth")[m.arg]
        if m.wanted == "swapped":
            return (f"{name}() takes the length before the offset ({', '.join(m.helper.args)}), but {m.why}: "
                    f"the two look swapped; pass the length, then the offset")
        other = COUNTERPART.get(name)
        same = f"{other}({', '.join(src.text(a) for a in args)})" if other else None
        if m.wanted == "len":
            length = m.other or f"{second} - {start}"
            instead = f"use {same} if the end is meant, or the length {length}" if same else \
                f"pass the length {length}"
            return (f"{name}() takes a length as its {ordinal} argument{read}, but {m.why}; from the non-zero start "
                    f"'{start}' the range runs past that end: {instead}")
        end = m.other or f"{start} + {second}"
        instead = f"use {same} if a length is meant, or the end {end}" if same else f"pass the end {end}"
        return (f"{name}() takes an end as its {ordinal} argument{read}, but {m.why}; the range stops at byte "
                f"{second}, not that many bytes after '{start}': {instead}")

    # -- simulating ------------------------------------------------------
    def oracle(self, finding, sim):
        """Run the function with its integer parameters bound to a plausible range: an
        offset-named one to a quarter of the object (a page in a 4-page folio), a
        length-named one to the rest of the object after it, an end-named one to the
        object's end; locals named so whose initial value is unknown (``pg_offset =
        header->args.pgbase``) get the same values (``Scenario.locals``).  A page taken
        from a page array (``pages[i]``) is a model page.  For a call inside a loop a last
        search looks at the loop's first iteration only (``Scenario.max_iterations``).  Confirmed when the helper is reached with values that show the
        mistake: an end passed as a length that runs past the object
        (``folio_zero_range(folio, 4096, 16384)`` ends at 20480 of 16384), or a length
        passed as an end that makes the range empty or stops exactly the start short
        of the object's end.  Never refuted: other values may still go wrong.  Swapped
        arguments are not judged (which one was meant as the offset is not in the code)."""
        from folint.sim import Scenario
        from folint.sim.oracle import confirmed, inconclusive, trace_of
        from folint.sim.values import Folio, Page

        byte, wanted = finding.data.get("call_byte"), finding.data.get("wanted")
        helper = range_table(self.facts).get(finding.data.get("helper") or "")
        s_i, r_i = finding.data.get("start_arg"), finding.data.get("arg")
        if byte is None or helper is None or s_i is None or r_i is None:
            return None
        if wanted == "swapped":
            return inconclusive("simulation: which argument was meant as the offset and which as the length "
                                "is not in the code")
        obj = helper.object
        nr = 4
        size = nr * 4096 if obj is None or obj[1] == "folio" else 4096
        def value_for(name, t, fraction):
            if "*" in t or "struct" in t or "[" in t:
                return None
            if OFF_NAME.search(name):
                return int(size * fraction)
            if END_NAME.search(name):
                return size
            if LEN_NAME.search(name):
                return size - int(size * fraction)
            return None

        call = next((c for c in sim.function.calls if c.start_byte == byte), None)
        call_args = cnodes.call_args(call) if call is not None else []
        used = _names_reaching(sim.function, [call_args[i] for i in (s_i, r_i) if i < len(call_args)])

        def bindings(fraction):
            """(parameters, locals the range's start or length/end is computed from, whose
            initial value the simulator cannot know) -> ints."""
            params = {name for name, _t in sim.function.params}
            args, local = {}, {}
            for name, t in sim.function.var_types.items():
                v = value_for(name, t, fraction)
                if v is None:
                    continue
                if name in params:
                    args[name] = v
                elif name in used:
                    local[name] = v
            return args, local

        def bound(e):
            o = e.args[obj[0]] if obj is not None and obj[0] < len(e.args) else None
            if isinstance(o, Folio):
                return o.nr * 4096, f"the {o.nr}-page folio's {o.nr * 4096} bytes"
            if isinstance(o, Page):  # a page helper is given one page (its caller's head page is not assumed)
                return 4096, "the page's 4096 bytes"
            return None

        def witness(path):
            for e in path.events:
                if e.byte != byte or e.kind not in ("call", "model") or e.depth:
                    continue
                b = bound(e)
                if b is None or max(s_i, r_i) >= len(e.args):
                    continue
                start, second = e.args[s_i], e.args[r_i]
                if not (isinstance(start, int) and isinstance(second, int)) or start <= 0:
                    continue
                call = e.text.removeprefix("call ")
                if wanted == "len" and start + second > b[0]:
                    return f"{call}: from {start} a length of {second} ends at {start + second}, past {b[1]}"
                if wanted == "end" and second <= start:
                    return f"{call}: the end {second} is not after the start {start}: the range is empty"
                if wanted == "end" and start + second == b[0]:
                    return (f"{call}: {second} is the length from {start} to the end of {b[1]}; as an end the "
                            f"range stops {b[0] - second} bytes short")
            return None

        tried = []
        # (fraction, loop bound): the call in any of a loop's iterations; then, with a loop
        # around the call whose later iterations fork on unknowns (a page walk), only its
        # first iteration (where a start read from a field is still the unaligned one), so the
        # 64 paths are not spent on the later ones
        attempts = [(0.25, None), (0.75, None)]
        if sim.in_loop(byte):
            attempts.append((0.25, 1))
        for fraction, iterations in attempts:
            args, local = bindings(fraction)
            ex = sim.search(witness, Scenario(nr=nr, args=args, locals=local, max_iterations=iterations),
                            stop_after=byte)
            for path in ex.paths:
                if path.status != "infeasible" and (evidence := witness(path)):
                    chosen = _chosen(path, args)
                    return confirmed(f"with {chosen}: {evidence}" if chosen else evidence, trace_of(path))
            if iterations is None:
                chosen = sorted({c for path in ex.paths for c in _chosen(path, args).split(", ") if c})
                tried.append(", ".join(chosen) or "no integer parameter or local bound")
                if not ex.feasible and ex.paths:
                    stopped = next((p.reason for p in ex.paths if p.status == "infeasible"), "")
                    tried[-1] += f" (every path stops before the call: {stopped})"
            if not args and not local:
                break
        return inconclusive(f"simulation: with {' and with '.join(tried)} no explored path reaches the call with "
                            f"values that show the range wrong (other values may)")


def _names_reaching(fn, nodes, depth: int = 4) -> set[str]:
    """The variables ``nodes`` are computed from: their identifiers, and those of every
    value assigned to them, a few assignments deep."""
    seen: set[str] = set()
    todo = [n for n in nodes if n is not None]
    for _ in range(depth + 1):
        names = set().union(*(cnodes.identifiers(n) for n in todo)) - seen if todo else set()
        if not names:
            break
        seen |= names
        todo = [v for name in names for w in fn.writes.get(name, ())
                if (v := cnodes.written_value(w) or w.child_by_field_name("right")) is not None]
    return seen


def _chosen(path, args: dict) -> str:
    """The values a confirming path was given: the bound parameters, and the locals the
    scenario chose (its "assume NAME = V (it is ...)" events)."""
    picked = [f"{k} = {v}" for k, v in args.items()]
    for e in path.events:
        if e.kind == "assume" and e.depth == 0 and e.text.startswith("assume ") and " (it is " in e.text:
            picked.append(e.text.removeprefix("assume ").split(" (it is ", 1)[0])
    return ", ".join(picked)
