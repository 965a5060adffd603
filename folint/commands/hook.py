"""``folint install-hook`` and ``folint uninstall-hook``: git pre-commit and
pre-merge-commit hooks that run ``folint check-patch --staged --hook``.

git runs ``pre-merge-commit`` (not ``pre-commit``) for a merge without conflicts; its
staged change against HEAD is what the merge brings in, so the same check covers it.

The hook goes where git looks for hooks (``core.hooksPath`` honoured).  A
pre-commit hook folint did not write is never overwritten: ``--chain`` keeps
it (renamed ``pre-commit.folint-chained``) and the folint hook runs it first.
``uninstall-hook`` removes only a hook folint wrote, and puts a chained hook
back.  The hook only reads: it never changes a file or the index.
"""

from __future__ import annotations

import os
import shlex
import sys

from folint.config import ConfigError
from folint.patch import git

HOOK = "pre-commit"
HOOKS = (HOOK, "pre-merge-commit")  # a merge without conflicts runs pre-merge-commit only
CHAINED = "pre-commit.folint-chained"
MARKER = "# folint pre-commit hook"


def chained_name(name: str) -> str:
    return f"{name}.folint-chained"


def _chain(name: str) -> str:
    return f"""\
# The {name} hook that was here before folint's runs first.
chained="$(dirname "$0")/{chained_name(name)}"
if [ -x "$chained" ]; then
\t"$chained" "$@" || exit $?
fi
"""


def hook_script(python: str, chain: bool, name: str = HOOK) -> str:
    py = shlex.quote(python)
    return f"""#!/bin/sh
{MARKER}: written by `folint install-hook`, removed by `folint uninstall-hook`.
# It checks the staged change and never changes a file.
# To commit anyway: git commit --no-verify (git merge --no-verify for a merge)
{_chain(name) if chain else ""}if [ -x {py} ]; then
\texec {py} -m folint check-patch --staged --hook
elif command -v folint >/dev/null 2>&1; then
\texec folint check-patch --staged --hook
fi
echo "folint: not found (it was installed with {py}); this commit is not checked." >&2
echo "folint: reinstall folint, or remove the hook with: folint uninstall-hook" >&2
exit 0
"""


def configure(p, name):
    p.add_argument("--tree", metavar="DIR", help="the git repository (default: the one we stand in)")
    if name == "install-hook":
        p.add_argument("--chain", action="store_true",
                       help="keep an existing pre-commit hook and run it before folint")
    p.set_defaults(_hook=name)


HOOK_READ_LIMIT = 1 << 20  # a hook bigger than this is not ours


def is_ours(path: str) -> bool:
    """Is the hook at ``path`` ours?  Read through folint.reading: a FIFO or a device there
    is not ours, and cannot hang install-hook."""
    from folint.reading import ReadError, read_regular

    try:
        return MARKER in read_regular(path, HOOK_READ_LIMIT)[:4096].decode("utf-8", "replace")
    except (ReadError, OSError):
        return False


def _write(path: str, text: str) -> None:
    tmp = path + ".folint-tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o755)
    os.replace(tmp, path)


def _refusal(hooks: str, chain: bool, name: str) -> str | None:
    """Why ``name`` cannot be installed (checked for every hook before any is written)."""
    hook, chained = os.path.join(hooks, name), os.path.join(hooks, chained_name(name))
    if os.path.lexists(hook) and not is_ours(hook):
        if not chain:
            return (f"{hook} exists and was not written by folint; `folint install-hook --chain` keeps "
                    f"it and runs it before folint, or remove it yourself")
        if os.path.lexists(chained):
            return f"{chained} already exists; remove one of the two hooks first"
    return None


def install(hooks: str, chain: bool, name: str = HOOK) -> str:
    hook, chained = os.path.join(hooks, name), os.path.join(hooks, chained_name(name))
    os.makedirs(hooks, exist_ok=True)
    refused = _refusal(hooks, chain, name)
    if refused:
        raise ConfigError(refused)
    if os.path.lexists(hook) and not is_ours(hook):
        os.replace(hook, chained)
        _write(hook, hook_script(sys.executable, chain=True, name=name))
        return f"folint: installed {hook}; the hook that was there is now {chained} and runs first"
    chain = chain or os.path.lexists(chained)
    _write(hook, hook_script(sys.executable, chain=chain, name=name))
    return f"folint: installed {hook}" + (f" (runs {chained} first)" if chain else "")


def uninstall(hooks: str, name: str = HOOK) -> str:
    hook, chained = os.path.join(hooks, name), os.path.join(hooks, chained_name(name))
    if not os.path.lexists(hook):
        if os.path.lexists(chained):
            raise ConfigError(f"no folint hook in {hooks}, but {chained} is there; rename it to {name} yourself")
        return f"folint: no {name} hook in {hooks}; nothing to remove"
    if not is_ours(hook):
        raise ConfigError(f"{hook} was not written by folint; left alone")
    os.remove(hook)
    if os.path.lexists(chained):
        os.replace(chained, hook)
        return f"folint: removed the folint hook; {hook} is the hook that was chained again"
    return f"folint: removed {hook}"


def _uninstall_any(hooks: str, name: str) -> str:
    """uninstall-hook: the pre-merge-commit hook was added later; a repository with only
    folint's pre-commit hook still uninstalls cleanly."""
    hook = os.path.join(hooks, name)
    if name != HOOK and os.path.lexists(hook) and not is_ours(hook):
        return f"folint: {hook} was not written by folint; left alone"
    return uninstall(hooks, name)


def run(args) -> int:
    if args.tree and not os.path.isdir(args.tree):
        raise ConfigError(f"--tree {args.tree}: no such folder")
    repo = git.toplevel(args.tree or ".")
    if repo is None:
        raise ConfigError(f"{args.tree or 'here'}: not in a git repository; run it inside one or pass --tree DIR")
    try:
        hooks = git.hooks_dir(repo)
    except git.GitError as e:
        raise ConfigError(str(e)) from None
    try:
        if args._hook == "install-hook":
            refused = [r for r in (_refusal(hooks, args.chain, n) for n in HOOKS) if r]
            if refused:
                raise ConfigError(refused[0])
            message = "\n".join(install(hooks, args.chain, n) for n in HOOKS)
        else:
            message = "\n".join(_uninstall_any(hooks, n) for n in HOOKS)
    except OSError as e:
        raise ConfigError(f"{hooks}: {e.strerror or e}") from None
    print(message)
    return 0
