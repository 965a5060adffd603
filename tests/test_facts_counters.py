"""The ``counter_items`` API fact (folint/facts/counters.py) and FOL008's message naming it."""

from pathlib import Path

import pytest

from folint.facts.counters import FILES, read_counters
from folint.facts.counters_tables import COUNTER_ITEMS


@pytest.mark.parametrize("version", ["6.1", "6.12"])
def test_builtin_tables_are_what_the_trees_say(version):
    root = Path(f"/tmp/linux/linux-source-{version}")
    if not (root / FILES[0]).is_file():
        pytest.skip(f"no kernel tree at {root}")
    reading = read_counters({f: (root / f).read_bytes() for f in FILES})
    assert reading.value == COUNTER_ITEMS[version]


def test_versions_differ_where_the_kernel_changed():
    assert "PGDEMOTE_KSWAPD" in COUNTER_ITEMS["6.1"]["vm_event"]
    assert "PGDEMOTE_KSWAPD" in COUNTER_ITEMS["6.12"]["node_stat"]
    assert "ZSWPWB" in COUNTER_ITEMS["6.12"]["vm_event"] and "ZSWPWB" not in COUNTER_ITEMS["6.1"]["vm_event"]


def test_reader_expands_zone_macros_and_skips_preprocessor_lines():
    text = (b"enum vm_event_item { PGPGIN, PSWPIN,\n FOR_ALL_ZONES(PGALLOC)\n#ifdef CONFIG_X\n X_EVENT,\n#endif\n"
            b" NR_VM_EVENT_ITEMS\n};\n")
    got = read_counters({"include/linux/vm_event_item.h": text}).value["vm_event"]
    assert {"PGPGIN", "PSWPIN", "PGALLOC_NORMAL", "PGALLOC_MOVABLE", "X_EVENT"} <= set(got)
    assert "NR_VM_EVENT_ITEMS" not in got and "CONFIG_X" not in got


def test_fol008_message_names_the_declaration(capsys):
    import json

    from conftest import FIXTURES
    from folint.cli import main

    main([str(FIXTURES / "FOL008" / "fix_counts.c"), "--select", "FOL008", "--no-simulate", "--format", "json"])
    msgs = [f["message"] for f in json.loads(capsys.readouterr().out)["findings"]]
    assert any("PSWPIN (vm event item, built-in table for" in m for m in msgs), msgs
