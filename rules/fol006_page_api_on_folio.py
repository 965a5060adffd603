"""FOL006 page-api-on-folio

What it does:
    Flags a page API called on a page of a folio the code already holds, where
    the kernel has a folio API for it: ``lock_page(&folio->page)``,
    ``SetPageUptodate(folio_page(folio, 0))``, ``put_page(page)`` after
    ``page = &folio->page``, ``unlock_page(page)`` after
    ``folio = page_folio(page)``.  The pairs (98 built in) are data, in
    ``page_api_table.toml`` beside this rule; ``[[page-api]]`` tables in
    ``.folint.toml`` and the ``folint_page_api_table`` hook add more.

    Each pair says whether the folio API means the same for *any* page of
    the folio (the page API works on ``page_folio(page)``: locking, references,
    dirty, writeback, PF_HEAD flags) or only for the *head* page (the page API
    works on that one page: per-page flags, addresses, ``kmap_local_page``), or
    covers the *whole folio* where the page API did one page
    (``flush_dcache_page``).

    - The page is certainly the folio's head page (``&folio->page``,
      ``folio_page(folio, 0)``, or a variable set once from one of those):
      reported, with a safe fix (``folint --diff`` / ``--fix``) unless the
      pair covers the whole folio or says ``fix = false``.
    - The page may be a tail page (``folio_page(folio, i)``, or a page whose
      folio came from ``page_folio(page)``): reported only for pairs exact for
      any page, and the message says the page may not be the head page
      instead of offering a rewrite (a concurrent split would make
      ``page_folio(page)`` another folio).  No fix.

Why it is wrong:
    Each page API called on a folio's page turns the page back into its folio
    (``page_folio()``, a ``compound_head()`` lookup) only to do what the folio
    API does directly.  Worse, the page-based code keeps thinking in single
    pages: for a per-page flag or an address it silently acts on page 0 of a
    large folio only.  The conversion is not finished until these are gone.

Example:
    folio = filemap_grab_folio(mapping, index);
    ...
    SetPageUptodate(&folio->page);
    unlock_page(&folio->page);
    put_page(&folio->page);

Use instead:
    folio_mark_uptodate(folio);
    folio_unlock(folio);
    folio_put(folio);

Fix:
    ``folint --diff`` / ``--fix`` rewrite a call whose page is certainly the
    folio's head page (``lock_page(&folio->page)`` -> ``folio_lock(folio)``),
    unless the pair covers the whole folio or says ``fix = false``; a page
    variable set once from the head page goes too when every use of it is
    rewritten.  A page that may be a tail page gets no fix.

Options:
    [rules.FOL006]
    maybe-tail = true    # false: no reports on pages that may be tail pages
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from tree_sitter import Node

from folint import cnodes, vocab
from folint.config import ConfigError
from folint.fixes import Edit, Fix
from folint.rule import Rule
from folint.sim.kinds import PathStatus

TABLE_FILE = "page_api_table.toml"
EXACTNESS = ("any-page", "head-page", "whole-folio")
# Pages found by frame number or address: code that holds no reference on them
# (pfn scanners, memory hotplug, memory-failure) uses page APIs on purpose.
PAGE_BY_ADDRESS = frozenset({"pfn_to_page", "pfn_to_online_page", "virt_to_page", "phys_to_page",
                             "virt_to_head_page", "pfn_swap_entry_to_page"})


@dataclass(frozen=True)
class PageApi:
    """One page-API -> folio-API pair (see page_api_table.toml for the fields)."""

    page: str
    folio: str
    exact: str
    page_arg: int = 0
    template: str | None = None
    fix: bool = True
    note: str = ""

    def rewrite(self, args: list[str], folio: str) -> str | None:
        """The folio call for a page call with argument texts ``args``; None if it cannot be built."""
        if self.template is not None:
            try:
                return self.template.format(*args, folio=folio)
            except (IndexError, KeyError, ValueError):
                return None
        if self.page_arg >= len(args):
            return None
        return f"{self.folio}({', '.join(folio if i == self.page_arg else a for i, a in enumerate(args))})"


def _entry(item, where: str) -> PageApi:
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: must be a table with 'page', 'folio' and 'exact'")
    unknown = set(item) - {"page", "folio", "exact", "page-arg", "template", "fix", "note"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                          f"known: page, folio, exact, page-arg, template, fix, note")
    for key in ("page", "folio"):
        if not isinstance(item.get(key), str) or not item[key].isidentifier():
            raise ConfigError(f"{where}: '{key}' must be a function name")
    exact = item.get("exact", "head-page")
    if exact not in EXACTNESS:
        raise ConfigError(f"{where}: 'exact' must be one of {', '.join(EXACTNESS)}, not {exact!r}")
    page_arg = item.get("page-arg", 0)
    if not isinstance(page_arg, int) or isinstance(page_arg, bool) or page_arg < 0:
        raise ConfigError(f"{where}: 'page-arg' must be an argument number (0 for the first)")
    template = item.get("template")
    if template is not None and (not isinstance(template, str) or "{folio}" not in template):
        raise ConfigError(f"{where}: 'template' must be a string containing {{folio}}")
    fix = item.get("fix", True)
    note = item.get("note", "")
    if not isinstance(fix, bool) or not isinstance(note, str):
        raise ConfigError(f"{where}: 'fix' must be true or false and 'note' a string")
    return PageApi(item["page"], item["folio"], exact, page_arg, template, fix, note)


def builtin_table() -> list[PageApi]:
    data = tomllib.loads(importlib.resources.files(__package__).joinpath(TABLE_FILE).read_text("utf-8"))
    return [_entry(item, f"{TABLE_FILE}: pair {i + 1}") for i, item in enumerate(data.get("pair", []))]


def page_api_table(config=None) -> dict[str, PageApi]:
    """page API name -> pair: the built-in table, then plugins' ``folint_page_api_table``,
    then ``[[page-api]]`` in .folint.toml; a later pair for the same page API wins."""
    from folint.plugins import plugin_manager

    table = {p.page: p for p in builtin_table()}
    for batch in plugin_manager().hook.folint_page_api_table():
        for i, item in enumerate(batch or ()):
            p = _entry(item, f"folint_page_api_table hook: item {i + 1}")
            table[p.page] = p
    if config is not None:
        where = config.path or ".folint.toml"
        for i, item in enumerate(config.page_api):
            p = _entry(item, f"{where}: [[page-api]] {i + 1}")
            table[p.page] = p
    return table


# -- which page of which folio an argument is ---------------------------------

@dataclass(frozen=True)
class FolioPage:
    folio: str  # text of the folio expression
    head: bool  # certainly the folio's head page
    how: str  # how we know, for the message
    var_write: Node | None = None  # the single assignment of a page variable, if the page is one
    # The folio expression means at the call what it meant where the page was taken
    # (False: `page = &ctx->folio->page` and ctx->folio may have changed since): no fix.
    stable: bool = True


def _folio_like(node: Node, fn) -> bool:
    node = cnodes.strip_parens(node)
    if node is None:
        return False
    if node.type == "identifier":
        t = fn.type_of(cnodes.text(node))
        return vocab.is_folio_pointer_type(t) if t else "folio" in cnodes.text(node)
    return "folio" in cnodes.text(node).rsplit(">", 1)[-1].rsplit(".", 1)[-1]


def direct_page(node: Node, fn) -> FolioPage | None:
    """``&folio->page`` / ``folio_page(folio, 0)`` (head) or ``folio_page(folio, i)`` (maybe not)."""
    pe = vocab.page_expr(node)
    if pe is None or pe.form not in ("head", "folio_page") or pe.folio is None:
        return None
    if pe.form == "head":
        arg = cnodes.strip_parens(pe.node.child_by_field_name("argument"))
        owner = arg.child_by_field_name("argument") if arg is not None else None
        if owner is None or not _folio_like(owner, fn):
            return None
        return FolioPage(pe.folio, True, f"'{cnodes.text(node)}' is the head page of '{pe.folio}'")
    is_zero = (pe.index or "").strip().rstrip("uUlL") == "0"
    return FolioPage(pe.folio, is_zero, f"'{cnodes.text(node)}' is page {pe.index} of '{pe.folio}'")


def _writes(fn, name: str) -> list[Node]:
    return fn.writes.get(name, [])


def _dominates(w: Node, use: Node) -> bool:
    """``w`` (a write) runs before ``use`` on every path: it sits directly in a block
    that also holds ``use``, before it.  (Gotos into the middle are not considered.)"""
    if w.start_byte >= use.start_byte:
        return False
    stmt = cnodes.enclosing_statement(w)
    block = stmt.parent
    return block is not None and block.type == "compound_statement" and cnodes.is_inside(use, block) \
        and not cnodes.is_inside(use, stmt)


def variable_page(node: Node, fn) -> FolioPage | None:
    """A ``struct page *`` variable: set once from a folio's page, or the page a
    folio variable was taken from (``folio = page_folio(page)``)."""
    node = cnodes.strip_parens(node)
    if node is None or node.type != "identifier":
        return None
    name = cnodes.text(node)
    if not vocab.is_page_pointer_type(fn.type_of(name)):
        return None
    writes = _writes(fn, name)
    values = [cnodes.written_value(w) for w in writes]
    if len(writes) == 1 and values[0] is not None and _dominates(writes[0], node):
        fp = direct_page(values[0], fn)
        if fp is not None:
            return FolioPage(fp.folio, fp.head, f"'{name}' is {cnodes.text(values[0])}", writes[0],
                             _stable_between(fn, fp.folio, writes[0], node))
    if any(cnodes.call_name(cnodes.strip_parens(v)) in PAGE_BY_ADDRESS for v in values if v is not None):
        return None  # a page looked up by frame number or address: no reference, its folio may change
    for folio_var, (page_var, folio_write) in _folio_of_page(fn).items():
        if page_var == name and _dominates(folio_write, node) and \
                all(w.end_byte <= folio_write.start_byte for w in writes):
            return FolioPage(folio_var, False, f"'{folio_var}' is page_folio({name})")
    return None


def _stable_between(fn, folio: str, start: Node, end: Node) -> bool:
    """The folio expression is a plain variable not written between ``start`` and ``end``."""
    if not folio.isidentifier():
        return False
    return not any(start.end_byte <= w.start_byte < end.start_byte for w in _writes(fn, folio))


def _folio_of_page(fn) -> dict[str, tuple[str, Node]]:
    """folio variable -> (page variable, the write), for ``folio = page_folio(page)``
    when that is the folio variable's only write.  Computed once per function."""
    cached = fn.__dict__.get("_fol006_folio_of_page")
    if cached is not None:
        return cached
    out = {}
    for name, writes in fn.writes.items():
        if len(writes) != 1 or not vocab.is_folio_pointer_type(fn.type_of(name)):
            continue
        value = cnodes.strip_parens(cnodes.written_value(writes[0]))
        if value is not None and cnodes.call_name(value) == "page_folio":
            args = cnodes.call_args(value)
            if len(args) == 1 and args[0].type == "identifier":
                out[name] = (cnodes.text(args[0]), writes[0])
    fn.__dict__["_fol006_folio_of_page"] = out
    return out


class PageApiOnFolio(Rule):
    code = "FOL006"
    name = "page-api-on-folio"
    summary = "a page API is called on a folio's page where a folio API exists"
    needles = (b"folio",)
    function_local = True  # the call and the page's origin (a local write, a parameter's type) are in the function
    default_options = {"maybe-tail": True}

    def __init__(self, options=None, config=None):
        super().__init__(options, config)
        self.table = page_api_table(config)
        # The folio APIs are themselves written with page APIs (folio_pfn() is
        # page_to_pfn(&folio->page)): their definitions are not conversion leftovers.
        self.folio_apis = {p.folio for p in self.table.values()}

    # -- finding ---------------------------------------------------------
    def check(self, src):
        code = src.code
        for fn in src.functions:
            if fn.name in self.folio_apis:
                continue
            # Every page this rule reports is read from text naming a folio (``folio_page``,
            # a ``struct folio *``, a name or field with ``folio`` in it): a function whose
            # code says no ``folio`` has none (one search in C, not a look at every call).
            if code.find(b"folio", fn.node.start_byte, fn.node.end_byte) == -1:
                continue
            for call in fn.calls:
                hit = self._classify(call, fn)
                if hit is None:
                    continue
                api, arg, fp = hit
                if not fp.head and (api.exact != "any-page" or not self.options.get("maybe-tail", True)):
                    continue
                yield self.finding(src, call, self._message(src, call, api, arg, fp), fn.name,
                                   call_byte=call.start_byte, api=api.page, folio=fp.folio, head=fp.head)

    def _classify(self, call: Node, fn) -> tuple[PageApi, Node, FolioPage] | None:
        api = self.table.get(cnodes.call_name(call) or "")
        if api is None:
            return None
        args = cnodes.call_args(call)
        if api.page_arg >= len(args):
            return None
        arg = args[api.page_arg]
        fp = direct_page(arg, fn) or variable_page(arg, fn)
        return (api, arg, fp) if fp is not None else None

    def _message(self, src, call, api: PageApi, arg: Node, fp: FolioPage) -> str:
        page_call = f"{api.page}({src.text(arg)})"
        args = [src.text(a) for a in cnodes.call_args(call)]
        folio_call = api.rewrite(args, fp.folio) or f"{api.folio}({fp.folio})"
        note = f" ({api.note})" if api.note else ""
        if not fp.head:
            return (f"{page_call} works on the folio that holds the page, and {fp.how}; but the page may not be "
                    f"its head page, and if the folio can be split here page_folio() would give another folio: "
                    f"if a reference or the lock keeps '{fp.folio}' whole, use {folio_call}{note}")
        if api.exact == "whole-folio":
            return (f"{page_call} covers page 0 of '{fp.folio}' only ({fp.how}); {folio_call} covers every page "
                    f"of the folio: use it if the whole folio is meant (not rewritten automatically){note}")
        if not fp.stable:
            return (f"{page_call} on a folio's page ({fp.how}): use {folio_call}, if '{fp.folio}' still names "
                    f"that folio here (not rewritten automatically){note}")
        return f"{page_call} on a folio's page ({fp.how}): use {folio_call}{note}"

    # -- simulating ------------------------------------------------------
    def oracle(self, finding, sim):
        """Confirmed when a path reaches the call with the page the message names: the
        head page (index 0) of a model folio where it says head page; a tail page
        (index >= 1) where it says the page may not be the head page - with every
        ``struct page *`` parameter bound to page 1 of a folio, as a caller may pass.
        A call no explored path reaches that way is inconclusive, never refuted: the
        rule's reading of where the page comes from is the evidence then."""
        from folint.sim import Scenario
        from folint.sim.oracle import confirmed, inconclusive, trace_of
        from folint.sim.values import render

        call_byte, name = finding.data.get("call_byte"), finding.data.get("api")
        api = self.table.get(name or "")
        if call_byte is None or api is None:
            return None
        head = bool(finding.data.get("head"))
        scenario = Scenario() if head else Scenario(args={
            p: "page:1" for p, t in sim.function.params if vocab.is_page_pointer_type(t)})
        if head and api.exact == "whole-folio":
            meaning = f"only the head page; {api.folio}() covers all {scenario.nr} pages"
        elif head:
            meaning = f"the head page: {api.folio}() does the same on the folio"
        else:
            meaning = f"a tail page: {name}() acts on the folio that holds it, as {api.folio}() would"

        def witness(path):
            for e in path.events:
                if e.byte != call_byte:
                    continue
                for page in e.pages():
                    if not isinstance(page.index, int):  # an index the caller chooses
                        if not head:
                            return (f"{scenario.nr}-page folio: {name}() got {render(page)}, whichever page "
                                    f"the caller's index picks: {name}() acts on the folio that holds it, "
                                    f"as {api.folio}() would")
                    elif (page.index == 0) == head:
                        return f"{scenario.nr}-page folio: {name}() got {render(page)}, {meaning}"
            return None

        # the witness looks at the call's events only: a path may end once past the call's
        # statement, and the search tries few changed decisions first (it never refutes)
        ex = sim.run(scenario, until=lambda path: witness(path) is not None, stop_after=call_byte,
                     fewest_flips=True)
        for path in ex.paths:
            if path.status != PathStatus.INFEASIBLE and (evidence := witness(path)):
                return confirmed(evidence, trace_of(path))
        wanted = "the head page" if head else "a tail page"
        reason = ex.reason if not ex.complete else f"no explored path reaches the call with {wanted} of a folio"
        return inconclusive(f"simulation: {reason}")

    # -- fixing ----------------------------------------------------------
    def fixes(self, src, finding):
        call = src.node_at(finding.data.get("call_byte"), "call_expression")
        fn = src.function_at(call) if call is not None else None
        hit = self._classify(call, fn) if fn is not None and fn.name not in self.folio_apis else None
        if hit is None:
            return []
        api, arg, fp = hit
        if not fp.head or not fp.stable or not api.fix or api.exact == "whole-folio":
            return []
        edit = self._call_edit(src, call, api, fp)
        if edit is None:
            return []
        title = f"{src.text(call)} -> {edit.new}"
        if fp.var_write is None:
            return [Fix(self.code, title, (edit,))]
        return self._variable_fix(src, fn, arg, fp) or [Fix(self.code, title, (edit,))]

    def _call_edit(self, src, call: Node, api: PageApi, fp: FolioPage) -> Edit | None:
        new = api.rewrite([src.text(a) for a in cnodes.call_args(call)], fp.folio)
        return Edit.replace(src, call, new) if new is not None else None

    def _variable_fix(self, src, fn, arg: Node, fp: FolioPage) -> list[Fix] | None:
        """When every use of the page variable is a call we rewrite, rewrite them all and
        drop the variable too (else the build warns it is unused): one fix shared by all
        those findings.  None when the variable has other uses (then each call is its own fix)."""
        name = cnodes.text(arg)
        uses = [n for n in cnodes.walk(fn.body) if n.type == "identifier" and cnodes.text(n) == name
                and not cnodes.is_inside(n, fp.var_write)]
        edits = []
        for use in uses:
            call = _call_around(use)
            hit = self._classify(call, fn) if call is not None else None
            if hit is None or hit[1].id != use.id or not hit[2].head or not hit[2].stable or not hit[0].fix \
                    or hit[0].exact == "whole-folio":
                return None
            edit = self._call_edit(src, call, hit[0], hit[2])
            if edit is None:
                return None
            edits.append(edit)
        removal = _declaration_removal(src, fp.var_write, name)
        if removal is None:
            return None
        return [Fix(self.code, f"'{name}' ({src.text(fp.var_write)}) -> '{fp.folio}' in {len(edits)} call(s)",
                    tuple(edits + removal))]


def _call_around(ident: Node) -> Node | None:
    """The call whose argument list holds ``ident`` directly."""
    p = ident.parent
    while p is not None and p.type == "parenthesized_expression":
        p = p.parent
    if p is not None and p.type == "argument_list":
        return p.parent
    return None


def _declaration_removal(src, write: Node, name: str) -> list[Edit] | None:
    """Edits that delete ``struct page *page = ...;`` (a declaration of this one
    variable, alone on its lines), with a blank line it would leave after ``{``."""
    if write.type != "init_declarator":
        return None
    decl = write.parent
    if decl is None or decl.type != "declaration" or len(decl.children_by_field_name("declarator")) != 1:
        return None
    raw = src.raw
    start = raw.rfind(b"\n", 0, decl.start_byte) + 1
    end = raw.find(b"\n", decl.end_byte)
    if raw[start:decl.start_byte].strip() or end == -1 or raw[decl.end_byte:end].strip():
        return None  # something else shares its lines
    end += 1
    prev_start = raw.rfind(b"\n", 0, max(start - 1, 0)) + 1
    prev_line = raw[prev_start:start].strip()
    next_end = raw.find(b"\n", end)
    next_line = raw[end:next_end if next_end != -1 else len(raw)]
    if prev_line.endswith(b"{") and next_end != -1 and not next_line.strip():
        end = next_end + 1  # no blank line right after the opening brace
    return [Edit.span(src, start, end, "")]
