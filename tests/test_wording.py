"""Counts read as people say them (issue 16 §2.15): `4 problems in 1 example` for three bad lines,
`1 examples` and `× 1 epochs` were shown."""

from __future__ import annotations

import json

from services.datasets import validate_dataset
from tui.cli import main
from tui.screens.upload import describe

GOOD = {"messages": [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Ahoy."}]}


def test_the_upload_dialog_counts_problems_without_calling_bad_lines_examples(tmp_path):
    path = tmp_path / "three-bad.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + "not json\n" * 3, encoding="utf-8")
    shown = describe(validate_dataset(path), None).plain
    assert "✘ 3 problems: nothing is uploaded until they are fixed" in shown  # 3 bad lines (fewer than 10 only warns)
    assert " in 1 example" not in shown


def test_one_of_a_thing_is_said_in_the_singular(tmp_path, capsys):
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    report = validate_dataset(path, epochs=1)
    main(["data", "validate", str(path), "--epochs", "1"])
    printed = capsys.readouterr().out
    assert ", 1 example\n" in printed and "1 examples" not in printed
    report.errors.clear()  # as if it were whole: the ready line and the estimate
    shown = describe(report, None).plain
    assert "✔ 1 example," in shown and "at 1 epoch" in shown and "1 epochs" not in shown
