"""FOL013 kmap-one-page-copy-more

What it does:
    Flags memory reached through a temporary mapping of one page for more than
    that page:

    - a ``memcpy``/``memset``/``memcmp``/``copy_to_user``/``copy_from_iter`` ...
      through the address ``kmap_local_folio(folio, off)``, ``kmap_local_page()``,
      ``kmap_atomic()`` or ``kmap()`` returned, whose length can be the folio's
      size (``folio_size()``, ``folio_nr_pages() << PAGE_SHIFT``, a length
      clamped only by the folio: ``min(len, folio_size(folio) - off)``) and is
      never clamped to the page (``min(.., PAGE_SIZE - offset_in_page(off))``,
      ``if (len > PAGE_SIZE)``);
    - a one-page helper (``memcpy_to_page``, ``memcpy_from_page``,
      ``memzero_page``, ``memset_page``, ``memcpy_page``) given such a length;
    - a loop over the folio's bytes (or pages) that walks that one mapping
      without mapping again;
    - a "does this page need mapping again" test that checks only
      ``PageHighMem()`` / ``folio_test_highmem()`` in code whose other path
      keeps using a ``kmap_local``/``kmap_atomic`` mapping.

    A folio the code shows to be small (allocated with order 0, or
    ``folio_test_large()`` tested first) and functions that test
    ``folio_test_partial_kmap()`` or ``CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP``
    are not flagged.

Why it is wrong:
    ``kmap_local_folio()`` maps only the page that holds ``off``; the other
    ``kmap`` calls map only the page they are given.  On a HIGHMEM kernel a
    large folio in high memory, and under ``CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP``
    every folio, gets a one-page mapping: the bytes after it belong to some
    other mapping, and the copy reads or corrupts them.  Without HIGHMEM the
    mapping is the linear map, so the bug stays hidden on most machines.
    ``folio_test_partial_kmap()`` (6.12 and later) is true in both cases;
    ``PageHighMem()`` alone is not.

Example:
    void *kaddr = kmap_local_folio(folio, 0);

    memset(kaddr + dsize, 0, folio_size(folio) - dsize);
    kunmap_local(kaddr);

Use instead:
    folio_zero_range(folio, dsize, folio_size(folio) - dsize);

    (``memcpy_from_folio()``, ``memcpy_to_folio()``, ``folio_zero_tail()`` in
    newer trees; in older ones map and copy one page at a time, with
    ``chunk = min(len, PAGE_SIZE - offset_in_page(off))``.)
"""

from __future__ import annotations

from tree_sitter import Node

from folint import callindex, cnodes, kmap, small_folio
from folint.enums import Verdict
from folint.kmap import Extent
from folint.rule import Rule
from folint.sim.kinds import EventKind


def _map_target(call: Node) -> str | None:
    """The variable a mapping call's result is stored in."""
    p = call.parent
    while p is not None and p.type in ("parenthesized_expression", "cast_expression"):
        p = p.parent
    if p is None:
        return None
    if p.type == "assignment_expression" and cnodes.text(p.child_by_field_name("operator")) == "=":
        left = p.child_by_field_name("left")
        return cnodes.text(left) if left is not None and left.type == "identifier" else None
    if p.type == "init_declarator":
        return cnodes.base_identifier(p.child_by_field_name("declarator"))
    return None


_ELEMENT_SIZES = {"u8": 1, "char": 1, "unsigned char": 1, "u16": 2, "__le16": 2, "__be16": 2, "u32": 4,
                  "__le32": 4, "__be32": 4, "int": 4, "unsigned int": 4, "u64": 8, "__le64": 8, "__be64": 8,
                  "unsigned long": 8, "long": 8}


class KmapOnePageCopyMore(Rule):
    code = "FOL013"
    name = "kmap-one-page-copy-more"
    summary = "one page is mapped (kmap_local_folio/kmap_local_page/kmap_atomic) and more than that page is accessed"
    # the folio-sized lengths name a folio, the remap-test form a highmem test (a page-only file with
    # neither had no finding on all of 6.1 and 6.12: 394 + 397 files checked without the prefilter)
    gate = (b"folio", b"HighMem", b"highmem")
    # a mapping, or a page helper with a length that must stay in the page (_page_helpers)
    needles = (b"kmap", *sorted({c.name.encode() for cs in kmap.CONSUMERS.values() for c in cs
                                 if c.span is kmap.Span.PAGE and c.length is not None}))
    function_local = False  # small_folio.small_at reads the callers and callees in the file
    neighbours = frozenset({"callers", "callees"})  # what it reads of them (folint.blanking)

    def check(self, src):
        for fn in src.functions:
            yield from self._page_helpers(src, fn)
            maps = callindex.calls_to(fn, kmap.MAP_CALLS)
            if not maps:
                continue
            yield from self._remap_tests(src, fn, maps)
            if kmap.knows_force_map(fn.body):
                continue
            mapped = [(c, _map_target(c)) for c in maps]
            mapped = [(c, v) for c, v in mapped if v]
            if not mapped:
                continue
            yield from self._accesses(src, fn, mapped)
            yield from self._loops(src, fn, mapped)

    # -- a copy through the mapping ------------------------------------------------
    def _mapping_at(self, mapped, fn, byte: int):
        """The mapping call (and the names that hold its address) in force at ``byte``."""
        out = {}
        for call, var in mapped:
            if call.end_byte <= byte:
                out[var] = call  # a later mapping into the same variable replaces the earlier one
        names = {}
        for var, call in out.items():
            names[var] = call
            for alias, writes in fn.writes.items():
                if alias in out or len(writes) != 1 or not (call.end_byte <= writes[0].start_byte < byte):
                    continue
                value = kmap.single_definition(alias, fn)
                if value is not None and cnodes.mentions(value, var) and cnodes.call_name(value) is None:
                    names[alias] = call
        return names

    def _accesses(self, src, fn, mapped):
        for call in callindex.calls_to(fn, kmap.ACCESSES):
            access = kmap.ACCESSES[cnodes.call_name(call)]
            args = cnodes.call_args(call)
            if len(args) <= max(access.length, *access.pointers):
                continue
            names = self._mapping_at(mapped, fn, call.start_byte)
            via = next(((args[i], v, m) for i in access.pointers for v, m in names.items()
                        if cnodes.mentions(args[i], v)), None)
            if via is None:
                continue
            ptr, var, map_call = via
            size = kmap.extent(args[access.length], fn, call.start_byte)
            if size.extent is not Extent.FOLIO:
                continue
            if any(f and small_folio.small_at(fn, f, call, src)
                   for f in (size.folio, self._mapped_folio(map_call, fn))):
                continue
            map_text = cnodes.normalise(src.text(map_call))
            yield self.finding(
                src, args[access.length],
                f"{access.name}() {access.verb} up to {size.why} bytes through '{var}', but {map_text} "
                f"maps one page (at most PAGE_SIZE bytes; with HIGHMEM or CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP the "
                f"rest is not mapped) in {fn.name}(); {self._instead(access, args, ptr)}",
                fn.name, form="copy", call=access.name, call_byte=call.start_byte, map_byte=map_call.start_byte,
                map_call=cnodes.call_name(map_call), mapping=var, length=cnodes.text(args[access.length]),
                pointer=cnodes.text(ptr), folio=size.folio,
            )

    # -- a one-page helper given a folio's length ------------------------------------
    def _page_helpers(self, src, fn):
        for call in callindex.calls_to(fn, kmap.CONSUMERS):
            name = cnodes.call_name(call)
            for helper in kmap.CONSUMERS[name]:
                args = cnodes.call_args(call)
                if helper.span is not kmap.Span.PAGE or helper.length is None or len(args) <= helper.length:
                    continue
                size = kmap.extent(args[helper.length], fn, call.start_byte)
                if size.extent is not Extent.FOLIO or (size.folio and small_folio.small_at(fn, size.folio, call, src)):
                    continue
                folio_api = {"memcpy_to_page": "memcpy_to_folio", "memcpy_from_page": "memcpy_from_folio",
                             "memzero_page": "folio_zero_range"}.get(name)
                helpers = self._helpers()
                instead = f"use {folio_api}() ({self._where(folio_api)})" if folio_api in helpers else \
                    "call it once per page, each with at most PAGE_SIZE - offset_in_page(offset) bytes"
                yield self.finding(
                    src, args[helper.length],
                    f"{name}() maps one page (kmap_local_page) but is given up to {size.why} bytes in {fn.name}(); "
                    f"{instead}",
                    fn.name, form="helper", call=name, call_byte=call.start_byte, folio=size.folio,
                    page_arg=helper.page, offset_arg=helper.offset, length_arg=helper.length,
                )
                break

    @staticmethod
    def _mapped_folio(map_call: Node, fn) -> str | None:
        spec = kmap.MAP_CALLS[cnodes.call_name(map_call)]
        args = cnodes.call_args(map_call)
        if len(args) <= spec.page:
            return None
        if spec.folio:
            return cnodes.text(args[spec.page])
        pe = kmap.head_page(args[spec.page], fn)
        return pe.folio if pe is not None else None

    def _helpers(self) -> set:
        """The kmap/folio helpers the checked tree declares (API facts ``kmap_helpers``)."""
        return set(self.facts.get("kmap_helpers") or ())

    def _where(self, helper: str) -> str:
        """Where the checked tree declares ``helper`` (or that the built-in table says so)."""
        return self.facts.where("kmap_helpers", helper)

    def _instead(self, access, args, ptr) -> str:
        """What to use instead, from the helpers the tree has (API facts)."""
        helpers = self._helpers()
        to_mapping = ptr is args[access.pointers[0]]
        wanted = {"memset": ["folio_zero_range"], "memzero_explicit": ["folio_zero_range"],
                  "memcpy": ["memcpy_to_folio" if to_mapping else "memcpy_from_folio"],
                  "memmove": ["memcpy_to_folio" if to_mapping else "memcpy_from_folio"],
                  "copy_to_iter": ["copy_folio_to_iter"],
                  "copy_from_iter": ["copy_folio_from_iter"]}.get(access.name, [])
        have = [h for h in wanted if h in helpers]
        step = "map and access one page at a time, each step at most PAGE_SIZE - offset_in_page(offset) bytes"
        if have:
            return f"use {' / '.join(have)}() ({self._where(have[0])}), or {step}"
        return step

    def _full_test(self, test: Node, tested: str | None) -> str:
        helpers = self._helpers()
        if cnodes.call_name(test) == "folio_test_highmem" and "folio_test_partial_kmap" in helpers:
            return f"folio_test_partial_kmap({tested}) instead ({self._where('folio_test_partial_kmap')})"
        return f"IS_ENABLED(CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP) || {cnodes.text(test)}"

    # -- a loop walking the mapping ------------------------------------------------
    def _loops(self, src, fn, mapped):
        for loop in fn.loops:
            names = self._mapping_at(mapped, fn, loop.start_byte)
            if not names or any(cnodes.call_name(c) in kmap.MAP_CALLS for c in cnodes.of_type(loop, "call_expression")):
                continue
            cond = loop.child_by_field_name("condition")
            bound = self._folio_bound(cond, fn, loop.start_byte)
            if bound is None:
                continue
            body = loop.child_by_field_name("body")
            walked = next((v for v in names if body is not None and self._walks(body, v)), None)
            if walked is None or (bound.folio and small_folio.small_at(fn, bound.folio, loop, src)):
                continue
            map_call = names[walked]
            yield self.finding(
                src, cond,
                f"the loop runs to {bound.why} through '{walked}', but {cnodes.normalise(src.text(map_call))} "
                f"maps one page (with HIGHMEM or CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP the rest is not mapped) in "
                f"{fn.name}(); map each page inside the loop (kmap_local_folio(folio, offset)) or use a folio helper",
                fn.name, statement=loop.child_by_field_name("condition") or loop, form="loop",
                loop_start=loop.start_byte, map_byte=map_call.start_byte, map_call=cnodes.call_name(map_call),
                mapping=walked, folio=bound.folio,
            )

    @staticmethod
    def _folio_bound(cond: Node | None, fn, before: int):
        if cond is None:
            return None
        for n in cnodes.walk(cond):
            if n.type != "binary_expression" or cnodes.text(n.child_by_field_name("operator")) not in ("<", "<=", "!="):
                continue
            right = cnodes.strip_parens(n.child_by_field_name("right"))
            while right is not None and right.type == "binary_expression" and \
                    cnodes.text(right.child_by_field_name("operator")) in ("/", ">>") and \
                    not kmap.is_page_bound(right.child_by_field_name("right")):
                right = cnodes.strip_parens(right.child_by_field_name("left"))  # elements of the folio
            size = kmap.extent(right, fn, before)
            if size.extent is Extent.FOLIO:
                return size
            folio = kmap.nr_pages(right, fn)
            if folio is not None:
                return kmap.Size(Extent.FOLIO, f"{cnodes.text(right)} pages", folio)
        return None

    @staticmethod
    def _walks(body: Node, var: str) -> bool:
        """``body`` indexes or advances the pointer ``var``."""
        for n in cnodes.walk(body):
            if n.type == "subscript_expression" and cnodes.text(n.child_by_field_name("argument")) == var:
                return True
            if n.type in ("update_expression", "assignment_expression"):
                target = n.child_by_field_name("argument") or n.child_by_field_name("left")
                if cnodes.text(target) == var and (n.type == "update_expression" or
                                                    cnodes.text(n.child_by_field_name("operator")) == "+="):
                    return True
        return False

    # -- a remap test without the force-map option ---------------------------------
    def _remap_tests(self, src, fn, maps):
        local = [c for c in maps if kmap.MAP_CALLS[cnodes.call_name(c)].local]
        if not local:
            return
        tests = []
        for stmt in cnodes.of_type(fn.body, "if_statement"):
            cond = stmt.child_by_field_name("condition")
            test = kmap.highmem_test(cond) if cond is not None else None
            if test is None or kmap.knows_force_map(cond):
                continue
            negated = test.parent is not None and test.parent.type == "unary_expression"
            branch = stmt.child_by_field_name("alternative") if negated else stmt.child_by_field_name("consequence")
            if branch is not None:
                tests.append((test, branch))
        for test, branch in tests:
            tested = cnodes.text(cnodes.call_args(test)[0]) if cnodes.call_args(test) else None
            limits = [c for c in local if cnodes.is_inside(c, branch)] or \
                [n for n in cnodes.of_type(branch, "assignment_expression") if kmap.is_page_bound(n)]
            # a mapping of the tested page on a path no highmem test chose
            outside = [c for c in local if not any(cnodes.is_inside(c, b) for _, b in tests)
                       and cnodes.call_args(c) and cnodes.text(cnodes.call_args(c)[0]) == tested]
            if not limits or not outside:
                continue
            clamped = sorted({cnodes.base_identifier(n.child_by_field_name("left")) for n in limits
                              if n.type == "assignment_expression"} - {None})
            what = "map the next page" if cnodes.call_name(limits[0]) in kmap.MAP_CALLS else "clamp to the page"
            test_text = cnodes.normalise(src.text(test))
            yield self.finding(
                src, test,
                f"only when {test_text} is true does {fn.name}() {what}, but "
                f"{cnodes.normalise(src.text(outside[0]))} maps one page for lowmem too under "
                f"CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP; test {self._full_test(test, tested)}",
                fn.name, form="remap-test", test_byte=test.start_byte, map_byte=outside[0].start_byte,
                map_call=cnodes.call_name(outside[0]), clamped=clamped,
            )

    # -- the simulator's judgement -------------------------------------------------
    def oracle(self, finding, sim):
        """Run with the integer parameters the access depends on bound (offsets 0, lengths
        the folio's size) in the one-page-mapping configuration: confirmed when a call
        reaches past the mapping (the copy's length, or an address given to a call)."""
        from folint.sim import Scenario
        from folint.sim.models_kmap import INT_TYPES, int_params, mapping_of, past_mapping
        from folint.sim.oracle import inconclusive, judge

        nr = Scenario().nr
        form = finding.data.get("form")
        fn = sim.function
        length_params, offset_params = set(), set()
        if form == "copy":
            call = self._node_at(fn, finding.data.get("call_byte"))
            mapc = self._node_at(fn, finding.data.get("map_byte"))
            if call is None or mapc is None:
                return None
            access = kmap.ACCESSES[finding.data["call"]]
            args = cnodes.call_args(call)
            length_params = int_params(fn, args[access.length])
            offset_params = int_params(fn, mapc) | set().union(*(int_params(fn, args[i]) for i in access.pointers))
        clamped = set(finding.data.get("clamped") or ())
        if form == "remap-test":
            ints = {name for name, t in fn.params if t.replace("const ", "").strip() in INT_TYPES}
            mapvars = {_map_target(c) for c in fn.calls if cnodes.call_name(c) in kmap.MAP_CALLS} - {None}
            offset_params = set().union(*(int_params(fn, a) for c in fn.calls for a in cnodes.call_args(c)
                                          if cnodes.call_name(c) in kmap.MAP_CALLS or cnodes.identifiers(a) & mapvars
                                          and not cnodes.identifiers(a) & clamped))
            length_params = (ints - offset_params) | set().union(*(
                int_params(fn, cnodes.call_args(c)[kmap.ACCESSES[cnodes.call_name(c)].length]) for c in fn.calls
                if cnodes.call_name(c) in kmap.ACCESSES
                and len(cnodes.call_args(c)) > kmap.ACCESSES[cnodes.call_name(c)].length))
        if form == "helper":
            call = self._node_at(fn, finding.data.get("call_byte"))
            if call is None:
                return None
            args = cnodes.call_args(call)
            length_params = int_params(fn, args[finding.data["length_arg"]])
            offset_params = int_params(fn, args[finding.data["offset_arg"]])
        # where the mapping starts stays 0 (a valid offset into any folio)
        anchors = set().union(*(int_params(fn, c) for c in fn.calls if cnodes.call_name(c) in kmap.MAP_CALLS))
        offset_params |= anchors
        both = (offset_params & length_params) - anchors
        bindings = [{p: 0 for p in offset_params} | {p: nr * kmap.PAGE_SIZE for p in length_params - offset_params}]
        if both:  # a parameter used as an offset and as a length: try it as a length too
            bindings.append({p: 0 for p in offset_params - both} | {p: nr * kmap.PAGE_SIZE for p in both})
        verdicts = [self._attempt(sim, finding, form, bind, nr) for bind in bindings]
        return next((v for v in verdicts if v.verdict == Verdict.CONFIRMED), None) or \
            next((v for v in verdicts if v.verdict == Verdict.INCONCLUSIVE), verdicts[-1])

    def _attempt(self, sim, finding, form, bind, nr):
        """The verdict of one run with the integer parameters in ``bind`` fixed."""
        from folint.sim import Scenario
        from folint.sim.models_kmap import mapping_of, past_mapping
        from folint.sim.oracle import inconclusive, judge

        fn = sim.function
        clamped = set(finding.data.get("clamped") or ())
        given = ", ".join(f"{k} = {v}" for k, v in sorted(bind.items()))
        setting = f"{nr}-page folio, one-page mappings (HIGHMEM or CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP)" + \
            (f", {given}" if given else "")
        undecided: list[str] = []

        def witness(path):
            for e in path.events:
                if form == "copy" and e.byte == finding.data["call_byte"] and \
                        e.kind in (EventKind.CALL, EventKind.FAIL):
                    access = kmap.ACCESSES[finding.data["call"]]
                    n = e.args[access.length] if len(e.args) > access.length else None
                    at = next((mapping_of(e.args[i]) for i in access.pointers if i < len(e.args)
                               and mapping_of(e.args[i])), None)
                    if at is None or not isinstance(n, int) or at[0].avail is None:
                        undecided.append(f"line {e.line}: {e.text}")
                        continue
                    if at[1] + n > at[0].avail:
                        return (f"{setting}: {at[0].describe()}; {access.name}() {access.verb} {n} bytes "
                                f"from byte {at[1]} of the mapping")
                elif form == "helper" and e.byte == finding.data["call_byte"] and \
                        e.kind in (EventKind.CALL, EventKind.FAIL):
                    off = e.args[finding.data["offset_arg"]] if len(e.args) > finding.data["offset_arg"] else None
                    n = e.args[finding.data["length_arg"]] if len(e.args) > finding.data["length_arg"] else None
                    if not (isinstance(off, int) and isinstance(n, int)):
                        undecided.append(f"line {e.line}: {e.text}")
                    elif off + n > kmap.PAGE_SIZE:
                        return (f"{setting}: {e.name}() maps one page (4096 bytes) and is asked for {n} bytes "
                                f"from byte {off} of it")
                elif form not in ("copy", "helper") and e.kind == EventKind.USE and e.use in ("index", "deref"):
                    m = mapping_of(e.value)
                    if m is None or m[0].avail is None:
                        continue
                    at = m[1]
                    if e.use == "index":
                        if not isinstance(e.subscript, int):
                            continue
                        at += e.subscript * self._element_size(fn, e.node)
                    if at < 0 or at >= m[0].avail:
                        return (f"{setting}: {m[0].describe()}; line {e.line} reads or writes byte {at} of the "
                                f"mapping ({cnodes.normalise(e.node.source()) if e.node is not None else 'a use'}), "
                                f"past its end")
                elif form not in ("copy", "helper") and e.kind == EventKind.CALL:
                    n = self._clamped_length(fn, e, clamped)
                    past = past_mapping(e, n)
                    if past is not None:
                        i, m, off = past
                        reach = f"byte {off} of the mapping and a length of {n}" if n > 1 else \
                            f"an address {off} bytes into the mapping"
                        return f"{setting}: {m.describe()}; {e.name}() gets {reach}, past its end"
            return None

        # a copy or helper call is judged at the call; the other forms by any access after it
        past = finding.data["call_byte"] if form in ("copy", "helper") else None
        ex = sim.search(witness, Scenario(args=bind), stop_after=past)
        verdict = judge(ex, witness, refute_evidence=(
            f"with a {setting}, every access stays inside its mapping "
            f"({len(ex.feasible)} path{'s' * (len(ex.feasible) != 1)} explored)"))
        if verdict.verdict == Verdict.REFUTED and form == "loop" and ex.bounds:
            return inconclusive(f"the simulator bounded the loop before it could pass the page ({ex.bounds[0]})")
        if verdict.verdict == Verdict.REFUTED and undecided:
            return inconclusive(f"the simulator cannot tell the length or the address ({undecided[0]})")
        return verdict

    @staticmethod
    def _clamped_length(fn, event, clamped) -> int:
        """The value of the argument of ``event``'s call that names a clamped length, else 1."""
        access = kmap.ACCESSES.get(event.name)
        if access is not None and len(event.args) > access.length and isinstance(event.args[access.length], int):
            return max(event.args[access.length], 1)
        call = next((c for c in fn.calls if c.start_byte == event.byte), None)
        if call is None or not clamped:
            return 1
        for node, value in zip(cnodes.call_args(call), event.args):
            if isinstance(value, int) and cnodes.identifiers(node) & clamped:
                return max(value, 1)
        return 1

    @staticmethod
    def _element_size(fn, node) -> int:
        """Bytes per element of the pointer indexed at ``node`` (``u32 *p``: 4); 1 when unknown."""
        text = node.source() if node is not None else ""
        name = text.split("[", 1)[0].strip()
        base = fn.type_of(name).replace("const ", "").replace("*", "").strip()
        return _ELEMENT_SIZES.get(base, 1)

    @staticmethod
    def _node_at(fn, byte):
        if byte is None:
            return None
        return next((c for c in fn.calls if c.start_byte == byte), None)
