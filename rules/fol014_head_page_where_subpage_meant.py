"""FOL014 head-page-where-subpage-meant

What it does:
    Flags a page consumer (``sg_set_page``, ``bio_add_page``, ``bvec_set_page``,
    ``skb_fill_page_desc``, ``copy_page_to_iter``, ``memcpy_to_page``,
    ``memcpy_from_page``, ``memzero_page``, ``kmap_local_page(..) + off`` ...)
    given a fixed page of a folio (``&folio->page``, ``folio_page(folio, 0)``,
    ``folio_page(folio, 2)``, or a variable set once from one) together with an
    offset into the folio that selects another page:

    - the offset was reduced to the page (``offset_in_page(off)``,
      ``off & ~PAGE_MASK``, ``off % PAGE_SIZE``): the page index it dropped is
      lost, and the bytes come from page 0 of the folio;
    - a consumer that works inside one page (``memcpy_to_page``,
      ``memcpy_from_page``, ``memzero_page``, ``kmap_local_page``) is given the
      whole folio offset (``offset_in_folio()``, ``pos - folio_pos()``): it runs
      past the page.

    Also a fixed page of a folio stored into a page array (``pages[0] =
    &folio->page;``, ``*pages++ = folio_page(folio, 0);``: what ``vmap()``,
    ``bio_add_page()`` loops or a scatterlist are then built from) after the
    function computed an offset into that folio (``offset_in_folio(folio, ..)``,
    ``pos - folio_pos(folio)``): the array holds page 0 where the page the offset
    selects is meant.  Outside loops too: inside per-page loops FOL005 judges it.

    Consumers that accept the page plus a large offset (scatterlists, bios,
    skb fragments, ``copy_page_to_iter``) given the unreduced folio offset are
    right and not flagged; so are a folio the code shows to be small and an
    offset known to be below PAGE_SIZE.  It generalises FOL005 (the same page
    on every iteration of a per-page loop) to code outside loops.

Why it is wrong:
    For a large folio, byte ``off`` of the folio is in page ``off / PAGE_SIZE``.
    Passing the head page with ``offset_in_page(off)`` reads or writes the same
    place in page 0 instead; passing the head page with ``off`` to a one-page
    helper overruns that page (``VM_BUG_ON(offset + len > PAGE_SIZE)``).  With
    small folios both are the same thing, so the conversion looked right.

Example:
    size_t off = offset_in_folio(folio, pos);

    sg_set_page(sg, &folio->page, len, offset_in_page(off));

Use instead:
    size_t off = offset_in_folio(folio, pos);

    sg_set_page(sg, folio_page(folio, off >> PAGE_SHIFT), len, offset_in_page(off));

    (or the folio API that takes the folio and its offset: ``sg_set_folio()``,
    ``bio_add_folio()``, ``memcpy_from_folio()`` where the tree has it.)

Fix:
    ``&folio->page`` / ``folio_page(folio, 0)`` becomes
    ``folio_page(folio, off >> PAGE_SHIFT)`` when the consumer's offset is
    ``offset_in_page(off)`` written in the call and ``off`` is known to be an
    offset into that folio (set once from ``offset_in_folio(folio, ..)`` or
    ``pos - folio_pos(folio)``, or written as one of those).
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from folint import callindex, cnodes, kmap, small_folio
from folint.enums import Verdict
from folint.fixes import Edit, Fix
from folint.kmap import Extent, Span
from folint.rule import Rule
from folint.sim.kinds import EventKind, PathStatus

FOLIO_APIS = {"sg_set_page": "sg_set_folio", "bio_add_page": "bio_add_folio", "__bio_add_page": "bio_add_folio_nofail",
              "bvec_set_page": "bvec_set_folio", "copy_page_to_iter": "copy_folio_to_iter",
              "copy_page_from_iter": "copy_folio_from_iter", "memcpy_to_page": "memcpy_to_folio",
              "memcpy_from_page": "memcpy_from_folio", "memzero_page": "folio_zero_range",
              "zero_user": "folio_zero_range", "kmap_local_page": "kmap_local_folio"}


@dataclass(frozen=True)
class Offset:
    """How an offset argument relates to the folio: ``reduced`` (offset_in_page of
    ``inner``) or ``folio`` (a whole folio offset); ``inner`` is the folio offset
    expression when known to be one, for the fix."""

    kind: str
    node: Node
    inner: Node | None
    folio_offset: bool


def _unwrap(node: Node | None) -> Node | None:
    node = cnodes.strip_parens(node)
    while node is not None and node.type == "cast_expression":
        node = cnodes.strip_parens(node.child_by_field_name("value"))
    return node


def _reduced_of(node: Node) -> Node | None:
    """``X`` when ``node`` is ``offset_in_page(X)``, ``X & ~PAGE_MASK``, ``X & (PAGE_SIZE - 1)``
    or ``X % PAGE_SIZE``."""
    if cnodes.call_name(node) == "offset_in_page":
        args = cnodes.call_args(node)
        return args[0] if args else None
    if node.type == "binary_expression":
        op = cnodes.text(node.child_by_field_name("operator"))
        right = cnodes.normalise(cnodes.text(_unwrap(node.child_by_field_name("right"))))
        if (op == "&" and right in ("~PAGE_MASK", "PAGE_SIZE - 1", "(PAGE_SIZE - 1)")) or \
                (op == "%" and right == "PAGE_SIZE"):
            return node.child_by_field_name("left")
    return None


def _is_folio_offset(node: Node | None, folio: str, fn, depth: int = 0) -> bool:
    """``node`` is an offset into ``folio``: ``offset_in_folio(folio, ..)``, ``pos - folio_pos(folio)``,
    ``pos & (folio_size(folio) - 1)``, or a variable set once from one of those."""
    node = _unwrap(node)
    if node is None or depth > 3:
        return False
    if node.type == "identifier":
        return _is_folio_offset(kmap.single_definition(cnodes.text(node), fn), folio, fn, depth + 1)
    name = cnodes.call_name(node)
    args = cnodes.call_args(node) if name else []
    if name == "offset_in_folio" and args and cnodes.text(args[0]) == folio:
        return True
    if node.type == "binary_expression":
        op = cnodes.text(node.child_by_field_name("operator"))
        right = _unwrap(node.child_by_field_name("right"))
        if op == "-" and cnodes.call_name(right) == "folio_pos" and cnodes.call_args(right) and \
                cnodes.text(cnodes.call_args(right)[0]) == folio:
            return True
        if op == "&" and right is not None and "folio_size(" + folio + ")" in cnodes.text(right).replace(" ", ""):
            return True
    return False


def classify_offset(node: Node | None, folio: str, fn, before: int) -> Offset | None:
    arg = _unwrap(node)
    if arg is None:
        return None
    value = arg
    if arg.type == "identifier":
        value = _unwrap(kmap.single_definition(cnodes.text(arg), fn))
        if value is None:
            return None
    inner = _reduced_of(value)
    if inner is not None:
        if kmap.extent(inner, fn, before).extent is Extent.PAGE:
            return None  # already below PAGE_SIZE: nothing was dropped
        return Offset("reduced", node, inner, _is_folio_offset(inner, folio, fn))
    if _is_folio_offset(value, folio, fn):
        return Offset("folio", node, None, True)
    return None


def _offset_into(call: Node, folio: str) -> bool:
    """``call`` is ``offset_in_folio(folio, ..)``, or the ``folio_pos(folio)`` of ``x - folio_pos(folio)``."""
    args = cnodes.call_args(call)
    if not args or cnodes.normalise(cnodes.text(args[0])) != folio:
        return False
    if cnodes.call_name(call) == "offset_in_folio":
        return True
    child, p = call, call.parent
    while p is not None and p.type == "parenthesized_expression":
        child, p = p, p.parent
    return p is not None and p.type == "binary_expression" and cnodes.text(p.child_by_field_name("operator")) == "-" \
        and p.child_by_field_name("right").id == child.id


# The calls check() judges: a page consumer (sg_set_page ...) or a mapping whose address
# gets an offset added.
_JUDGED = kmap.CONSUMERS.keys() | kmap.ADDRESS_CALLS.keys()


class HeadPageWhereSubpageMeant(Rule):
    code = "FOL014"
    name = "head-page-where-subpage-meant"
    summary = "a fixed page of a folio is passed with an offset that selects another page of it"
    gate = (b"folio",)  # the page handed on is &folio->page or folio_page(folio, 0)
    needles = (b"->page", b"folio_page")
    function_local = False  # small_folio.small_at reads the callers and callees in the file
    neighbours = frozenset({"callers", "callees"})  # what it reads of them (folint.blanking)

    def check(self, src):
        for fn in src.functions:
            yield from self._array_stores(src, fn)
            for call in callindex.calls_to(fn, _JUDGED):
                name = cnodes.call_name(call)
                for consumer in kmap.CONSUMERS.get(name, ()):
                    args = cnodes.call_args(call)
                    if len(args) > max(consumer.page, consumer.offset):
                        yield from self._judge(src, fn, call, name, args[consumer.page], args[consumer.offset],
                                               consumer.span)
                if name in kmap.ADDRESS_CALLS:
                    offset = self._added_offset(call)
                    args = cnodes.call_args(call)
                    if offset is not None and args:
                        yield from self._judge(src, fn, call, name, args[0], offset, kmap.ADDRESS_CALLS[name])

    def _array_stores(self, src, fn):
        """``pages[i] = <fixed page of folio>`` / ``*p++ = ..`` after an offset into that folio."""
        offsets = callindex.calls_to(fn, ("offset_in_folio", "folio_pos"))
        if not offsets:
            return
        # (walked only in the few functions that compute an offset into a folio; fn.writes
        # does not key `*pages++ = ..`)
        for w in cnodes.of_type(fn.body, "assignment_expression"):
            value = cnodes.written_value(w)
            left = cnodes.strip_parens(w.child_by_field_name("left"))
            if value is None or left is None or left.type not in ("subscript_expression", "pointer_expression"):
                continue
            if any(a.type in cnodes.LOOP_TYPES for a in cnodes.ancestors(w) if cnodes.is_inside(a, fn.body)):
                continue  # a per-page loop's store: FOL005's
            page = kmap.head_page(value, fn)
            if page is None or page.folio is None:
                continue
            off = next((c for c in offsets if c.start_byte < w.start_byte and _offset_into(c, page.folio)), None)
            if off is None or small_folio.small_at(fn, page.folio, w, src):
                continue
            expr = off if cnodes.call_name(off) == "offset_in_folio" else off.parent
            line = src.position(expr.start_byte)[0]
            array = cnodes.normalise(cnodes.text(left))
            yield self.finding(
                src, value,
                f"page {page.index} of '{page.folio}' ('{cnodes.text(value)}') is stored in {array} after "
                f"{cnodes.normalise(cnodes.text(expr))} (line {line}) gave an offset into the folio: for a large "
                f"folio the bytes at that offset are in page offset >> PAGE_SHIFT, not page {page.index}, and "
                f"what is built from the array (vmap(), a bio, a scatterlist) starts at the wrong page; store "
                f"folio_page({page.folio}, offset >> PAGE_SHIFT)", fn.name,
                form="array", call=None, page_byte=value.start_byte, offset_byte=expr.start_byte,
                folio=page.folio, page_index=page.index, offset_kind="array", fix_index=None)

    @staticmethod
    def _added_offset(call: Node) -> Node | None:
        """``off`` in ``kmap_local_page(p) + off`` (also through a cast)."""
        child, p = call, call.parent
        while p is not None and p.type in ("parenthesized_expression", "cast_expression"):
            child, p = p, p.parent
        if p is None or p.type != "binary_expression" or cnodes.text(p.child_by_field_name("operator")) != "+":
            return None
        if p.child_by_field_name("left").id != child.id:
            return None
        return p.child_by_field_name("right")

    def _judge(self, src, fn, call, name, page_arg, offset_arg, span):
        page = kmap.head_page(page_arg, fn)
        if page is None or page.folio is None:
            return
        off = classify_offset(offset_arg, page.folio, fn, call.start_byte)
        if off is None or (off.kind == "folio" and span is Span.CONTIGUOUS):
            return
        if small_folio.small_at(fn, page.folio, call, src):
            return
        folio, page_text = page.folio, cnodes.text(page_arg)
        where = cnodes.text(off.inner if off.inner is not None else offset_arg)
        if not off.folio_offset:
            where = f"offset_in_folio({folio}, {where})"
        index = f"{where} >> PAGE_SHIFT"
        if off.kind == "reduced":
            what = (f"{name}() gets page {page.index} of '{folio}' ('{page_text}') with offset "
                    f"'{cnodes.text(offset_arg)}', which drops the page index: for a large folio that byte is in "
                    f"page {where} / PAGE_SIZE")
        else:
            what = (f"{name}() works inside one page but gets page {page.index} of '{folio}' ('{page_text}') "
                    f"with the folio offset '{cnodes.text(offset_arg)}', which can be past that page")
        instead = f"pass folio_page({folio}, {index}) with offset_in_page() of the offset"
        folio_api = FOLIO_APIS.get(name)
        if folio_api and folio_api in set(self.facts.get("kmap_helpers") or ()):
            instead += f", or use {folio_api}() ({self.facts.where('kmap_helpers', folio_api)})"
        yield self.finding(
            src, page_arg, f"{what} in {fn.name}(); {instead}", fn.name,
            call=name, call_byte=call.start_byte, page_byte=page_arg.start_byte, offset_byte=offset_arg.start_byte,
            folio=folio, page_index=page.index, offset_kind=off.kind,
            fix_index=index if off.kind == "reduced" and off.folio_offset and off.inner is not None
            and _unwrap(offset_arg) is not None and _reduced_of(_unwrap(offset_arg)) is not None else None,
        )

    def fixes(self, src, finding):
        index = finding.data.get("fix_index")
        byte = finding.data.get("page_byte")
        if not index or byte is None:
            return []
        node = src.root.descendant_for_byte_range(byte, byte)
        want = finding.data.get("folio")
        while node is not None and node.start_byte == byte and kmap.head_page(node, src.function_at(node)) is None:
            node = node.parent
        if node is None or node.start_byte != byte:
            return []
        new = f"folio_page({want}, {index})"
        return [Fix(self.code, f"{cnodes.text(node)} -> {new}", (Edit.replace(src, node, new),))]

    def oracle(self, finding, sim):
        """Bind the integer parameters the offset depends on so that it selects byte 512 of
        page 2 (a model folio sits at file position 0): confirmed when the call gets page 0
        (or the fixed page) with the reduced offset, or a one-page helper gets an offset past
        its page; refuted when every path passes the page the offset selects."""
        from folint.sim import Scenario
        from folint.sim.models_kmap import int_params, mapping_of
        from folint.sim.oracle import inconclusive, judge
        from folint.sim.values import Page, render

        if finding.data.get("form") == "array":
            return self._array_oracle(finding, sim)
        fn = sim.function
        call = next((c for c in fn.calls if c.start_byte == finding.data.get("call_byte")), None)
        if call is None:
            return None
        nr = Scenario().nr
        target = 2 * kmap.PAGE_SIZE + 512
        offset = next((a for a in cnodes.call_args(call) if a.start_byte == finding.data.get("offset_byte")), None)
        if offset is None:
            offset = call.parent.child_by_field_name("right") if call.parent is not None else None
        params = int_params(fn, offset)
        if not params:
            return inconclusive(_no_parameter(sim.src, fn, offset, call))
        given = ", ".join(f"{p} = {target}" for p in sorted(params))
        setting = f"{nr}-page folio, {given} (byte 512 of page 2)"
        name, kind = finding.data["call"], finding.data["offset_kind"]
        call_text = cnodes.normalise(cnodes.text(call))
        spec = kmap.CONSUMERS.get(name, [])
        undecided: list[str] = []

        def witness(path):
            for e in path.events:
                if e.byte == call.start_byte and spec:
                    for c in spec:
                        page = e.args[c.page] if len(e.args) > c.page else None
                        off = e.args[c.offset] if len(e.args) > c.offset else None
                        if not isinstance(page, Page) or not isinstance(page.index, int) or not isinstance(off, int):
                            undecided.append(f"line {e.line}: {e.text}")
                            continue
                        if kind == "reduced" and page.index != 2 and off < kmap.PAGE_SIZE:
                            return (f"{setting}: {name}() got {render(page)} with offset {off}, "
                                    f"byte {off} of page {page.index} instead of page 2")
                        if kind == "folio" and off >= kmap.PAGE_SIZE:
                            return (f"{setting}: {name}() got {render(page)} with offset {off}, past that page "
                                    f"(it works inside one page)")
                if not spec and e.kind == EventKind.CALL:
                    got = wrong_page(e.args)
                    if got:
                        return f"{setting}: {got}, given to {e.name}()"
            if not spec and path.status == PathStatus.RETURNED:
                got = wrong_page([path.returned])
                if got:
                    return f"{setting}: {got}, returned"
            return None

        def wrong_page(values):
            for v in values:
                m = mapping_of(v)
                if m is None or m[0].index is None or cnodes.normalise(m[0].call) != call_text:
                    continue
                mapping, at = m
                page_of_byte = mapping.index + (at // kmap.PAGE_SIZE if mapping.avail is None else 0)
                if mapping.avail is not None and at >= mapping.avail:
                    return f"{mapping.describe()}; the address is byte {at} of that one-page mapping"
                if page_of_byte != 2:
                    return (f"{mapping.call} starts at page {mapping.index}; the address is byte "
                            f"{at % kmap.PAGE_SIZE} of page {page_of_byte} instead of page 2")
            return None

        # a consumer is judged at its call; an address by the calls and return after it
        ex = sim.search(witness, Scenario(args={p: target for p in params}),
                        stop_after=call.start_byte if spec else None)
        verdict = judge(ex, witness, refute_evidence=f"with a {setting}, {name}() always got the page the "
                                                     f"offset selects ({len(ex.feasible)} paths explored)")
        if verdict.verdict == Verdict.REFUTED and (undecided or not spec):
            return inconclusive(f"the simulator cannot tell the page or the offset "
                                f"({undecided[0] if undecided else 'no call used the address'})")
        return verdict

    def _array_oracle(self, finding, sim):
        """The array form: bind the integer parameters the offset depends on to byte 512 of
        page 2, and follow the array the fixed page is stored into to the calls that get it
        (``vmap(pages, ..)``, ``submit(pages, ..)``, ``bio_add_page(bio, pages[k], ..)``):
        confirmed when a call gets the stored page (page 0) while the offset the function
        computed is in page 2; refuted when every path hands on the array with the page the
        offset selects in that slot (the fixed page was replaced); inconclusive when no call
        in the function gets the array (its caller builds from it)."""
        from folint.sim import Scenario
        from folint.sim.models_kmap import int_params
        from folint.sim.oracle import inconclusive, judge, pages_handed_on, paths_text
        from folint.sim.values import Page, render

        fn = sim.function
        off_byte, page_byte = finding.data.get("offset_byte"), finding.data.get("page_byte")
        offset = sim.src.root.descendant_for_byte_range(off_byte, off_byte + 1) if off_byte is not None else None
        while offset is not None and offset.start_byte == off_byte and offset.type not in \
                ("call_expression", "binary_expression"):
            offset = offset.parent
        if offset is None or offset.start_byte != off_byte or page_byte is None:
            return None
        params = int_params(fn, offset)
        if not params:
            return inconclusive(_no_parameter(sim.src, fn, offset, offset))
        target = 2 * kmap.PAGE_SIZE + 512
        setting = f"{Scenario().nr}-page folio, {', '.join(f'{p} = {target}' for p in sorted(params))}"
        try:
            index = int(str(finding.data.get("page_index")).rstrip("uUlL"), 0)  # the index as written: "0"
        except ValueError:
            return None
        handed: list[int] = []

        def folio_offset(path):
            """(folio, offset) the function computed at the finding's offset expression."""
            for e in path.events:
                if e.depth or e.kind != EventKind.MODEL or not e.args:
                    continue
                if e.name == "offset_in_folio" and e.byte == off_byte and isinstance(e.result, int):
                    return e.args[0], e.result
                if e.name == "folio_pos" and off_byte <= e.byte < offset.end_byte and isinstance(e.result, int):
                    left = cnodes.strip_parens(offset.child_by_field_name("left"))
                    if left is not None and cnodes.text(left) in params:
                        return e.args[0], target - e.result
            return None

        def witness(path):
            at = folio_offset(path)
            if at is None:
                return None
            folio, off = at
            want = off // kmap.PAGE_SIZE
            for e, where, page in pages_handed_on(path):
                if page.folio is not folio or not isinstance(page.index, int):
                    continue
                handed.append(page.index)
                if page.index == index and index != want:
                    view = where.find(" (")
                    slot, note = (where, "") if view < 0 else (where[:view], where[view:])
                    return (f"{setting}: the offset into {render(folio)} is {off}, byte {off % kmap.PAGE_SIZE} of "
                            f"page {want}, but {slot} is {render(page)} when {e.name}() is called{note}")
            return None

        ex = sim.search(witness, Scenario(args={p: target for p in params}))
        verdict = judge(ex, witness, refute_evidence=f"with a {setting}, every call given the array got the page "
                                                     f"the offset selects ({paths_text(len(ex.feasible))} explored)")
        if verdict.verdict == Verdict.REFUTED and not handed:
            return inconclusive("no call in the function gets the array with a page of the folio in it (its "
                                "caller builds from it, or the simulator cannot tell the page)")
        return verdict


def _no_parameter(src, fn, offset: Node | None, at: Node) -> str:
    """Why the simulator cannot judge an offset no parameter sets: it cannot choose it, and
    when it is a loop's counter, reaching another page takes more iterations than it follows."""
    from folint.sim.explore import DEFAULT_NR
    from folint.sim.statements import LOOP_BOUND_EXTRA

    why = "the offset does not come from a parameter of the function, so the simulator cannot choose one that " \
          "selects another page"
    names = cnodes.identifiers(offset) if offset is not None else set()
    for loop in cnodes.ancestors(at):
        if loop.id == fn.node.id:
            break
        if loop.type != "for_statement" or loop.child_by_field_name("update") is None:
            continue
        update = loop.child_by_field_name("update")
        counter = sorted(names & cnodes.identifiers(update))
        if counter:
            line = src.position(loop.start_byte)[0]
            why += f": it comes from '{counter[0]}', the counter of the loop at line {line}"
            if update.type == "update_expression":  # i++: one step per iteration
                why += (f", which steps by one, and the simulator follows a loop whose course depends on unknown "
                        f"values for at most {DEFAULT_NR + LOOP_BOUND_EXTRA} iterations, too few to reach another "
                        f"page")
            return why
    return why
