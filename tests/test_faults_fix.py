"""Issue 14, part 13: --fix keeps a file's owner, mode and hard links."""

import os

from folint.cli import main

FIXABLE = "static void demo_unlock(struct folio *folio)\n{\n\tunlock_page(&folio->page);\n}\n"


def test_fix_keeps_owner_mode_and_hard_links(tmp_path, monkeypatch, capsys):
    t = tmp_path / "t"
    t.mkdir()
    linked, single = t / "linked.c", t / "single.c"
    for f in (linked, single):
        f.write_text(FIXABLE)
        os.chmod(f, 0o640)
    os.link(linked, tmp_path / "other-name.c")
    owner = 65534 if os.geteuid() == 0 else os.getuid()
    if os.geteuid() == 0:
        os.chown(single, owner, owner)
    monkeypatch.chdir(tmp_path)
    main(["--fix", "--no-simulate", "--no-cache", "t"])
    assert "fixed 2 findings in 2 files" in capsys.readouterr().err
    for f in (linked, single):
        assert "folio_unlock(folio)" in f.read_text()
        assert f.stat().st_mode & 0o777 == 0o640
    assert single.stat().st_uid == owner
    assert linked.stat().st_nlink == 2 and (tmp_path / "other-name.c").read_text() == linked.read_text()
    assert sorted(p.name for p in t.iterdir()) == ["linked.c", "single.c"]  # no temporary file left
