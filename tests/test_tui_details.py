"""The detail panes for files, checkpoints and deployments, and the help and raw JSON screens, on
real data from the test emulator."""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import datetime

import pytest
from textual.app import App, ComposeResult
from textual.widget import Widget
from textual.widgets import Static

from services import deployments, files, jobs
from services.workspace import open_workspace
from tests.conftest import chat_examples, upload, wait_for, wait_for_job, wait_until
from tui.app import make_app
from tui.registry import slash_help
from tui.screens.help import HelpScreen
from tui.screens.raw_json import RawJsonScreen
from widgets.checkpoint_detail import CheckpointDetail
from widgets.deployment_detail import DeploymentDetail
from widgets.file_detail import FileDetail
from widgets.loss_chart import MAX_POINTS, LossChart

BASE = "gpt-4o-mini-2024-07-18"


class Host(App):
    """One widget on its own, with its real stylesheet."""

    def __init__(self, widget: Widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


def shown(widget: Widget) -> str:
    return "\n".join(str(static.render()) for static in widget.query(Static) if static.display)


@pytest.fixture(scope="module")
def finished_job(emulator):
    """Trained once for the module's tests, which only read it (or deploy it)."""
    client = emulator.openai()
    data = upload(client, chat_examples(10)).id
    return wait_for_job(client, client.fine_tuning.jobs.create(model=BASE, training_file=data, seed=3).id)


# ------------------------------------------------------------ charts


def metric(step: int) -> dict:
    return {"step": step, "train_loss": 1 / step, **({"full_valid_loss": 0.5} if step % 100 == 0 else {})}


async def test_the_loss_chart_takes_only_new_metrics_and_thins_long_runs():
    chart = LossChart("loss")
    async with Host(chart).run_test(size=(80, 20)) as pilot:
        metrics = [metric(step) for step in range(1, 5001)]
        chart.show(metrics)
        metrics += [metric(5001), metric(5100)]  # the same list, grown
        chart.show(metrics)
        assert chart.series["train_loss"][0][-3:] == [5000, 5001, 5100]
        assert chart.series["full_valid_loss"][0] == list(range(100, 5101, 100))
        # plotext's own record of the series it drew, once it has drawn the grown list
        await wait_until(pilot, lambda: (xs := chart.plt._active.monitor.x) and xs[0] and xs[0][-1] == 5100)
        drawn = chart.plt._active.monitor.x
        assert len(drawn) == 2 and all(len(xs) <= MAX_POINTS + 1 for xs in drawn)
        assert drawn[0][-1] == 5100  # the latest point is never thinned away

        chart.show([metric(1)])  # another job: a new list starts over
        assert chart.series["train_loss"][0] == [1] and chart.series["full_valid_loss"][0] == []


# ------------------------------------------------------------ files


def test_preview_validates_the_uploaded_content_and_keeps_the_first_examples(configured):
    uploaded = upload(configured, chat_examples(12))
    ws = open_workspace()
    preview = files.preview_file(ws, uploaded.id)
    assert preview.report.ok and preview.report.format == "chat" and preview.report.examples == 12
    assert preview.report.path == uploaded.id
    assert [e["messages"][1]["content"] for e in preview.examples] == [
        r["messages"][1]["content"] for r in chat_examples(3)
    ]
    assert files.preview_file(ws, uploaded.id) is preview  # uploaded content never changes


def test_a_results_file_is_previewed_as_its_first_lines(configured, finished_job):
    preview = files.preview_file(open_workspace(), finished_job.result_files[0], examples=2)
    assert preview.report is None and preview.examples == []
    assert preview.lines[0].startswith("step,train_loss") and len(preview.lines) == 2


async def test_file_detail_shows_facts_validation_and_examples(configured):
    records = chat_examples(12)
    records[4]["messages"][0]["content"] = "You are a [JOB] bot."  # differs, and looks like markup
    uploaded = upload(configured, records)
    ws = open_workspace()
    file, preview = files.get_file(ws, uploaded.id), files.preview_file(ws, uploaded.id)
    detail = FileDetail()
    async with Host(detail).run_test(size=(80, 40)):
        detail.show(file, preview)
        text = shown(detail)
    assert uploaded.id in text and "train.jsonl" in text and "processed" in text and "purpose fine-tune" in text
    assert "format chat · 12 examples" in text
    assert re.search(r"tokens min \d+ · mean [\d.]+ · p95 \d+ · max \d+ · total \d+", text)
    assert "system message (11 of 12, 1 differ)" in text and "Cap'n Byte" in text
    assert "only 12 examples" in text  # the report's warnings
    assert "user: How do I fix my password problem number 0?" in text
    assert "assistant: Arr matey" in text


async def test_file_detail_previews_preference_data_as_its_turns(configured):
    records = [
        {"input": {"messages": [{"role": "user", "content": f"Greet me, number {i}"}]},
         "preferred_output": [{"role": "assistant", "content": "Ahoy, matey!"}],
         "non_preferred_output": [{"role": "assistant", "content": "Hello."}]}
        for i in range(10)
    ]
    uploaded = upload(configured, records, name="dpo.jsonl")
    ws = open_workspace()
    detail = FileDetail()
    async with Host(detail).run_test(size=(80, 24)):
        detail.show(files.get_file(ws, uploaded.id), files.preview_file(ws, uploaded.id))
        text = shown(detail)
    assert "format preference" in text and "system message: none" in text
    assert "1. user: Greet me, number 0\n   preferred: Ahoy, matey!\n   rejected: Hello." in text


async def test_file_detail_shows_a_rejected_file_with_the_fix(configured):
    rejected = upload(configured, b'{"messages": []}\n' * 12, name="broken.jsonl")
    assert rejected.status == "error"
    ws = open_workspace()
    detail = FileDetail()
    async with Host(detail).run_test(size=(120, 40)):
        detail.show(files.get_file(ws, rejected.id), None)
        text = shown(detail)
        assert "broken.jsonl" in text and "error" in text and rejected.status_details in " ".join(text.split())
        assert "fix: correct that line" in text and "reading the content" in text
        detail.show(files.get_file(ws, rejected.id), files.preview_file(ws, rejected.id))
        text = shown(detail)
    assert "12 problem(s)" in text and "line 1:" in text and "and 7 more" in text


# ------------------------------------------------------------ checkpoints and deployments


async def test_checkpoint_detail_shows_step_model_and_metrics(configured, finished_job):
    checkpoint = jobs.list_checkpoints(open_workspace(), finished_job.id)[0]
    detail = CheckpointDetail()
    async with Host(detail).run_test(size=(80, 24)):
        detail.show(checkpoint)
        text = shown(detail)
        assert detail.border_title == f"Checkpoint step {checkpoint['step_number']}"
        assert "d deploy" in detail.border_subtitle and "f fine-tune further" in detail.border_subtitle
    assert f"step {checkpoint['step_number']}" in text and checkpoint["id"] in text
    assert checkpoint["fine_tuned_model_checkpoint"] in text
    train = re.search(r"^train\s+(\S+)\s+(\S+)$", text, re.M)
    metrics = checkpoint["metrics"]
    assert train.groups() == (f"{metrics['train_loss']:.4f}", f"{metrics['train_mean_token_accuracy']:.4f}")
    assert re.search(r"^full valid\s+\S+\s+\S+$", text, re.M)


async def test_deployment_detail_counts_down_to_the_inactivity_deletion(configured, emulator, finished_job):
    name = f"details-{uuid.uuid4().hex[:8]}"
    arm = emulator.arm()
    body = {"sku": {"name": "standard", "capacity": 1},
            "properties": {"model": {"format": "OpenAI", "name": finished_job.fine_tuned_model, "version": "1"}}}
    assert arm.put(f"/{name}", json=body).status_code == 201
    try:
        wait_for(lambda: arm.get(f"/{name}").json()["properties"]["provisioningState"] == "Succeeded")
        deployment = deployments.get_deployment(open_workspace(), name)
        detail = DeploymentDetail()
        async with Host(detail).run_test(size=(80, 24)):
            # The emulator's clock runs fast in tests: count from the deployment's own creation time.
            created = datetime.fromisoformat(deployment["systemData"]["createdAt"].replace("Z", "+00:00")).timestamp()
            detail.show(deployments.describe(deployment, now=created))
            text = shown(detail)
            assert "g open in playground" in detail.border_subtitle
            called = created + 3600
            detail.show(deployments.describe(deployment, now=called + 13 * 86400, last_call=called), called)
            later = shown(detail)
            styles = [str(span.style) for span in detail.query_one(Static).visual.spans]
    finally:
        arm.delete(f"/{name}")
    assert name in text and "Succeeded" in text and finished_job.fine_tuned_model in text
    assert "sku standard · capacity 1" in text.lower()
    assert "last call none seen by ftdeck" in text and "at most 15 days left" in text
    assert "billed for hosting every hour" in text
    assert time.strftime("%Y-%m-%d %H:%M", time.localtime(called)) in later
    assert "at most 2 days left" in later
    assert any("$warning" in style for style in styles)  # the warning colour at 3 days or fewer


# ------------------------------------------------------------ screens


async def test_help_lists_the_keys_of_the_screen_below_and_the_console_commands(configured):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.push_screen(HelpScreen(slash_help()))
        text = str(app.screen.query_one("#help-text", Static).render())
        assert re.search(r"^\s+(\S+, )?q\s+Quit$", text, re.M)
        assert re.search(r"^\s+ctrl\+r\s+Refresh$", text, re.M)
        assert "(focused)" in text and "Everywhere" in text  # grouped by where they come from
        for usage in slash_help():
            assert usage in text
        assert "Over SSH" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await app.push_screen(HelpScreen(slash_help()))
        await pilot.press("question_mark")
        assert not isinstance(app.screen, HelpScreen)


async def test_raw_json_shows_the_resource_copies_it_and_closes(configured):
    data = upload(configured, chat_examples(10)).id
    job = configured.fine_tuning.jobs.create(model=BASE, training_file=data).model_dump()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(RawJsonScreen(f"Job {job['id']}", job))
        assert f'"id": "{job["id"]}"' in str(app.screen.query_one("#raw-json", Static).render())
        await pilot.press("c")
        assert json.loads(app.clipboard) == json.loads(json.dumps(job, default=str))
        await pilot.press("escape")
        assert not isinstance(app.screen, RawJsonScreen)
        await app.push_screen(RawJsonScreen("Job", job))
        await pilot.press("q")
        await wait_until(pilot, lambda: not isinstance(app.screen, RawJsonScreen))
        assert app.is_running  # q closed the screen, not ftdeck
