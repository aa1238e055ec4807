"""Vision data rules (fine-tuning-vision.md): `ftdeck data validate` (the real CLI, in-process) and the
emulator's file check and job creation (the official openai SDK over HTTP)."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import openai
import pytest
from PIL import Image

from tests.conftest import jsonl, upload_frozen
from tui.cli import main


def data_url(mode: str = "RGB", kind: str = "PNG", size=(8, 8)) -> str:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format=kind)
    return f"data:image/{kind.lower()};base64," + base64.b64encode(buffer.getvalue()).decode()


def example(*urls: str, i: int = 0) -> dict:
    parts = [{"type": "text", "text": f"What is in picture {i}?"}] + [{"type": "image_url", "image_url": {"url": u}} for u in urls]
    return {"messages": [{"role": "system", "content": "You describe pictures."}, {"role": "user", "content": parts},
                         {"role": "assistant", "content": f"A small black square, number {i}."}]}


def vision_file(tmp_path: Path, odd: str | None = None, n: int = 12) -> Path:
    """n examples with a good PNG each; the fourth holds `odd` instead."""
    path = tmp_path / "vision.jsonl"
    records = [example(odd if (odd and i == 3) else data_url(), i=i) for i in range(n)]
    path.write_bytes(jsonl(records))
    return path


def validate(path: Path, *args: str, capsys) -> tuple[int, dict]:
    code = main(["data", "validate", str(path), "--json", *args])
    return code, json.loads(capsys.readouterr().out)


def messages(report: dict) -> str:
    return " | ".join(p["message"] for p in report["errors"] + report["warnings"])


def test_good_images_pass_for_a_vision_model_and_other_models_are_refused(tmp_path, capsys):
    path = vision_file(tmp_path)
    code, report = validate(path, "--model", "gpt-4o-2024-08-06", capsys=capsys)
    assert code == 0 and report["image_examples"] == 12
    code, report = validate(path, "--model", "gpt-4.1-2025-04-14", capsys=capsys)
    assert code == 0
    code, report = validate(path, "--model", "gpt-4o-mini-2024-07-18", capsys=capsys)
    assert code == 1 and "gpt-4o-mini-2024-07-18 is not fine-tuned on images" in messages(report)
    code, report = validate(path, capsys=capsys)
    assert code == 0 and "only gpt-4o-2024-08-06 and gpt-4.1-2025-04-14 are fine-tuned on images" in messages(report)


@pytest.mark.parametrize("odd, says", [
    (data_url("L"), "mode is L; convert it to RGB or RGBA"),
    (data_url("P"), "mode is P; convert it to RGB or RGBA"),
    (data_url("RGB", "GIF"), "the image is GIF; use JPEG, PNG or WEBP"),
    ("data:image/png;base64,not*base64", "base64 cannot be decoded"),
    ("data:image/png;base64," + base64.b64encode(b"\0" * 10_000_001).decode(), "over the 10 MB an image may hold"),
    ("ftp://example.com/cat.png", "publicly accessible https:// address or a data: URL"),
])
def test_images_that_break_a_rule_are_named_by_line(tmp_path, capsys, odd, says):
    code, report = validate(vision_file(tmp_path, odd), "--model", "gpt-4o-2024-08-06", capsys=capsys)
    assert code == 1
    [problem] = report["errors"]
    assert problem["line"] == 4 and says in problem["message"], problem


def test_jpeg_webp_and_rgba_are_taken(tmp_path, capsys):
    path = tmp_path / "v.jsonl"
    path.write_bytes(jsonl([example(data_url("RGB", "JPEG"), data_url("RGBA", "WEBP"), data_url("RGBA"), i=i) for i in range(10)]))
    code, report = validate(path, "--model", "gpt-4o-2024-08-06", capsys=capsys)
    assert code == 0 and report["errors"] == []


def test_at_most_50000_examples_with_images(tmp_path, capsys):
    path = tmp_path / "many.jsonl"
    path.write_bytes(jsonl([example("https://example.com/a.png", i=i) for i in range(50_001)]))
    code, report = validate(path, "--model", "gpt-4o-2024-08-06", capsys=capsys)
    assert code == 1 and "50,001 examples hold images; a training file may have at most 50,000" in messages(report)


def test_the_emulator_skips_bad_images_and_trains_images_only_on_vision_models(frozen_emulator):
    client = frozen_emulator.openai(max_retries=0)
    records = [example(data_url("L") if i == 3 else data_url(), i=i) for i in range(12)]
    file = upload_frozen(frozen_emulator, client, jsonl(records), "vision.jsonl")
    assert file.status == "processed"  # Azure skips such an image in training; the file is fine
    with pytest.raises(openai.BadRequestError, match="holds images, and 'gpt-4o-mini-2024-07-18' is not fine-tuned on images"):
        client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file.id)
    job = client.fine_tuning.jobs.create(model="gpt-4o-2024-08-06", training_file=file.id)
    said = [e.message for e in client.fine_tuning.jobs.list_events(job.id)]
    assert any("1 image(s) of the training file will be skipped in training (first: line 4: mode L" in m for m in said), said


def test_the_emulator_refuses_more_than_50000_image_examples(frozen_emulator):
    client = frozen_emulator.openai(max_retries=0)
    records = [example("https://example.com/a.png", i=i) for i in range(50_001)]
    file = upload_frozen(frozen_emulator, client, jsonl(records), "many.jsonl")
    assert file.status == "error" and "more than 50,000 examples hold images" in file.status_details
