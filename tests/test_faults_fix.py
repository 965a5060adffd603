"""Issue 14, part 13: --fix keeps a file's owner, mode and hard links; a file changed
while folint ran is named, not fixed, and reported as it is now."""

import os

import folint.config
import folint.runner
from folint.cli import main
from folint.commands import changed

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


LOOP = ("int demo_save(struct folio *folio)\n{\n\tlong i, nr = folio_nr_pages(folio);\n\n"
        "\tfor (i = 0; i < nr; i++)\n\t\treturn demo_save_tags(folio_page(folio, i));\n\treturn 0;\n}\n")


def _edit_after_the_run(monkeypatch, path, edit):
    run = folint.runner.run

    def run_then_edit(*a, **k):
        result = run(*a, **k)
        edit(path)
        return result
    monkeypatch.setattr(folint.runner, "run", run_then_edit)


def test_a_file_changed_mid_run_is_named_not_fixed_and_reported_as_it_is_now(tmp_path, monkeypatch, capsys):
    t = tmp_path / "t"
    t.mkdir()
    (t / "f.c").write_text(FIXABLE + "\n" + LOOP)  # FOL006 on line 3, FOL001 on line 11
    (t / "g.c").write_text(FIXABLE)  # not changed: fixed as usual
    _edit_after_the_run(monkeypatch, t / "f.c", lambda p: p.write_text("/* an editor */\n" + p.read_text()))
    monkeypatch.chdir(tmp_path)
    assert main(["--fix", "--no-simulate", "--no-cache", "t"]) == 1
    out, err = capsys.readouterr()
    assert "folint: t/f.c: changed while folint ran: not fixed" in err and "fixed 1 finding in 1 file; 2 left" in err
    assert "t/f.c:4:2: warning:" in out and "t/f.c:12:3: warning:" in out  # the lines of the file now
    assert "unlock_page(&folio->page);" in out.split("t/f.c:4:2:")[1].splitlines()[1]
    assert (t / "f.c").read_text() == "/* an editor */\n" + FIXABLE + "\n" + LOOP
    assert "folio_unlock(folio)" in (t / "g.c").read_text()


def test_a_file_touched_but_not_changed_is_fixed(tmp_path, monkeypatch, capsys):
    t = tmp_path / "t"
    t.mkdir()
    (t / "f.c").write_text(FIXABLE)
    _edit_after_the_run(monkeypatch, t / "f.c", lambda p: p.write_text(p.read_text()))  # same bytes, new mtime
    monkeypatch.chdir(tmp_path)
    main(["--fix", "--no-simulate", "--no-cache", "t"])
    assert "fixed 1 finding in 1 file; 0 left" in capsys.readouterr().err
    assert "folio_unlock(folio)" in (t / "f.c").read_text()


def test_only_files_modified_since_the_run_began_are_checked_again(tmp_path, monkeypatch):
    t = tmp_path / "t"
    t.mkdir()
    (t / "old.c").write_text(FIXABLE)
    os.utime(t / "old.c", ns=(0, 0))
    (t / "new.c").write_text(FIXABLE)
    result = folint.runner.run([str(t)], folint.config.config_for([str(t)]), folint.runner.RunOptions())
    got = changed.recheck_changed(result, os.stat(t / "new.c").st_mtime_ns, lambda: [], max_size=1 << 20,
                                  simulate=False, show_refuted=False)
    assert got.rechecked == 1
