"""The upload, create-job and deploy dialogs, driven by keys through the real app on a real
emulator: what the service received is what the form said, bad input sends nothing, Esc leaves
nothing behind, and each dialog fits an 80x24 terminal."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.conftest import ARM_DEPLOYMENTS, chat_examples, jsonl, upload, wait_for_job, wait_until, workers_done
from tui.app import FtdeckApp, make_app
from tui.screens.create_job import CreateJobScreen
from tui.screens.deploy import DeployScreen, suggested_name
from tui.screens.upload import UploadScreen
from widgets.path_suggester import complete_path

BASE = "gpt-4o-mini-2024-07-18"


def examples(n: int = 12) -> list[dict]:
    """Examples no other test uploaded, so no byte-identical file is found by accident."""
    return chat_examples(n, system=f"You are test bot {uuid.uuid4().hex}.")


def text(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


def file_ids(client) -> set[str]:
    return {f.id for f in client.files.list()}


def jobs_on(client, training_file: str) -> list:
    return [j for j in client.fine_tuning.jobs.list(limit=100).data if j.training_file == training_file]


async def open_app(pilot, app: FtdeckApp, screen_of, done: list):
    """Wait for the workspace, then push the dialog `screen_of(workspace)`; `done` gets its result."""
    await wait_until(pilot, lambda: app.workspace is not None)
    screen = screen_of(app.workspace)
    app.push_screen(screen, done.append)
    await wait_until(pilot, lambda: app.screen is screen and screen.is_mounted and screen.focused is not None)
    return screen


async def type_path(pilot, screen: UploadScreen, path: Path) -> None:
    """Type the file's name into the path box (its long temporary folder is pasted, to save time)."""
    screen.query_one("#path").insert_text_at_cursor(f"{path.parent}/")
    await pilot.press(*path.name)


async def check_upload(pilot, app, done: list, path: Path, shows: str) -> UploadScreen:
    """Open the upload form, type `path`, press Enter to check it, wait until the report `shows`."""
    screen = await open_app(pilot, app, UploadScreen, done)
    await type_path(pilot, screen, path)
    await pilot.press("enter")
    await wait_until(pilot, lambda: shows in text(screen, "#report-text"))
    return screen


@pytest.fixture
def training_path(tmp_path: Path) -> Path:
    path = tmp_path / "forms-train.jsonl"
    path.write_bytes(jsonl(examples()))
    return path


@pytest.fixture
def processed_file(configured) -> dict:
    return upload(configured, examples(), name="forms-job.jsonl").model_dump()


# ------------------------------------------------------------------ upload


async def test_upload_checks_first_then_uploads_and_waits(configured, training_path):
    app, done, before = make_app(), [], file_ids(configured)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await check_upload(pilot, app, done, training_path, "12 examples")
        report = text(screen, "#report-text")
        assert "ready to upload" in report and "tokens" in report and "system message in 12 examples" in report
        assert file_ids(configured) == before  # checking uploads nothing
        await pilot.press("enter")
        await wait_until(pilot, lambda: done)
    file = configured.files.retrieve(done[0]["id"])
    assert file.status == "processed" and file.filename == "forms-train.jsonl" and done[0]["status"] == "processed"


async def test_upload_offers_the_identical_file_already_uploaded(configured, training_path):
    existing = upload(configured, training_path.read_bytes(), name="earlier.jsonl")
    app, done, before = make_app(), [], file_ids(configured)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await check_upload(pilot, app, done, training_path, "already uploaded")
        assert existing.id in text(screen, "#report-text") and screen.query_one("#reuse").display
        await pilot.press("enter")
        await wait_until(pilot, lambda: done)
    assert done[0]["id"] == existing.id and file_ids(configured) == before


async def test_upload_refuses_a_file_with_errors_and_names_the_line(configured, tmp_path):
    lines = jsonl(examples()).decode().splitlines(keepends=True)
    lines[2] = '{"messages": [{"role": "user", "content": "hi"}\n'  # line 3: cut short
    bad = tmp_path / "forms-bad.jsonl"
    bad.write_text("".join(lines))
    app, done, before = make_app(), [], file_ids(configured)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await check_upload(pilot, app, done, bad, "problem")
        report = text(screen, "#report-text")
        assert "line 3:" in report and "nothing is uploaded until they are fixed" in report
        assert screen.query_one("#upload").disabled
        await pilot.press("enter")  # checks again, still refuses
        await pilot.press("ctrl+s")
        await workers_done(pilot, screen)  # anything the key set going has run
        assert not screen.busy and app.screen is screen and not done
    assert file_ids(configured) == before


async def test_upload_esc_cancels_and_unreadable_paths_are_explained(configured, tmp_path):
    app, done, before = make_app(), [], file_ids(configured)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_app(pilot, app, UploadScreen, done)
        await type_path(pilot, screen, tmp_path / "missing.jsonl")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "no such file" in text(screen, "#problems"))
        await pilot.press("escape")
        await wait_until(pilot, lambda: done)
    assert done == [None] and file_ids(configured) == before


async def test_tab_completes_folders_then_files(configured, tmp_path):
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "pirate-train.jsonl").write_text("{}\n")
    app, done = make_app(), []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_app(pilot, app, UploadScreen, done)
        box = screen.query_one("#path")
        await type_path(pilot, screen, tmp_path / "dat")
        await wait_until(pilot, lambda: box._suggestion == f"{tmp_path}/datasets/")
        await pilot.press("tab")
        assert box.value == f"{tmp_path}/datasets/" and app.focused is box
        await wait_until(pilot, lambda: box._suggestion.endswith("pirate-train.jsonl"))
        await pilot.press("tab")
        assert box.value == f"{tmp_path}/datasets/pirate-train.jsonl"
        await pilot.press("tab")  # nothing left to complete: Tab moves on
        assert app.focused is not box


def test_path_completion_rules(tmp_path, monkeypatch):
    for name in ("train.jsonl", "train-2.jsonl", "notes.txt", ".hidden.jsonl"):
        (tmp_path / name).write_text("")
    (tmp_path / "runs").mkdir()
    monkeypatch.chdir(tmp_path)
    assert complete_path("tr", (".jsonl",)) == "train"  # as far as the matches agree
    assert complete_path("train", (".jsonl",)) == "train.jsonl"  # then the shortest
    assert complete_path("ru") == "runs/" and complete_path("no", (".jsonl",)) == "notes.txt"
    assert complete_path(".h") == ".hidden.jsonl" and complete_path("") is None and complete_path("zz") is None
    (tmp_path / "title\x1b]0;pwned\x07.jsonl").write_text("")  # a name that would retitle the terminal
    assert complete_path("ti", (".jsonl",)) is None


# ------------------------------------------------------------------ create a job


async def choose_first_option(pilot) -> None:
    """Open the focused Select and take the first real option (the blank prompt comes first)."""
    await pilot.press("enter", "down", "enter")


async def test_create_job_sends_the_chosen_hyperparameters(configured, processed_file):
    files = [processed_file, {**processed_file, "id": "file-results", "purpose": "fine-tune-results"}]
    app, done = make_app(), []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_app(pilot, app, lambda ws: CreateJobScreen(ws, files, [BASE]), done)
        assert app.focused is screen.query_one("#training")  # the model is already chosen
        await choose_first_option(pilot)
        assert screen.query_one("#training").value == processed_file["id"]
        await wait_until(pilot, lambda: "12 examples" in text(screen, "#estimate") and "billed" in text(screen, "#estimate"))
        await pilot.press("tab", "tab", "tab")  # validation, method, epochs
        await pilot.press("2", "enter", "4", "enter", *"0.1", "enter", *"42", "enter", *"forms-run")
        assert "× 2 epochs" in text(screen, "#estimate")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: done)
    job = configured.fine_tuning.jobs.retrieve(done[0]["id"])
    assert (job.model, job.training_file, job.seed, job.suffix) == (BASE, processed_file["id"], 42, "forms-run")
    assert job.hyperparameters.n_epochs == 2 and job.hyperparameters.batch_size == 4
    assert job.hyperparameters.learning_rate_multiplier == pytest.approx(0.1)


async def test_a_training_file_under_ten_examples_is_refused_before_creating(configured):
    """The 10-example minimum is the training file's ("at least 10 training examples"): the estimate
    says it, and creating refuses it with that line; nothing reaches the service."""
    small = upload(configured, examples(3), name="forms-small.jsonl").model_dump()
    app, done = FtdeckApp(), []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_app(pilot, app, lambda ws: CreateJobScreen(ws, [small], [BASE]), done)
        await choose_first_option(pilot)
        await wait_until(pilot, lambda: "3 examples: a training file needs at least 10" in text(screen, "#estimate"))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "a training file needs at least 10" in text(screen, "#problems"))
        assert app.screen is screen and not screen.busy and not done
    assert not jobs_on(configured, small["id"])


async def test_bad_suffix_is_shown_as_you_type_and_nothing_is_created(configured, processed_file):
    app, done = make_app(), []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_app(pilot, app, lambda ws: CreateJobScreen(ws, [processed_file], [BASE]), done)
        await pilot.press("ctrl+s")
        assert "choose a training file" in text(screen, "#problems")
        await choose_first_option(pilot)
        screen.query_one("#suffix").focus()
        await pilot.press(*"bad suffix!")
        assert "suffix must be 1-40 characters" in text(screen, "#problems")
        assert screen.query_one("#suffix").has_class("-invalid")
        await pilot.press("ctrl+s")
        await workers_done(pilot, screen)  # anything the key set going has run
        assert app.screen is screen and not done
        await pilot.press("escape")
        await wait_until(pilot, lambda: done)
    assert done == [None] and not jobs_on(configured, processed_file["id"])


async def test_a_refusal_from_the_service_is_shown_in_the_form(configured, processed_file):
    app, done = make_app(), []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_app(pilot, app, lambda ws: CreateJobScreen(ws, [processed_file], ["no-such-model"]), done)
        await choose_first_option(pilot)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "The specified base model does not support fine-tuning." in text(screen, "#problems"))
        assert app.screen is screen and not screen.busy and not done
    assert not jobs_on(configured, processed_file["id"])


async def test_dpo_shows_beta_and_start_from_preselects_the_model(configured, processed_file):
    checkpoint = f"ftchkpt-{'0' * 32}"  # a checkpoint is trained further by its id
    app, done = make_app(), []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_app(pilot, app, lambda ws: CreateJobScreen(ws, [processed_file], [BASE], start_from=checkpoint), done)
        assert screen.query_one("#model").value == checkpoint
        assert not screen.query_one("#beta").display
        screen.query_one("#method").value = "dpo"
        await pilot.pause()
        assert screen.query_one("#beta").display
        screen.query_one("#beta").focus()
        await pilot.press(*"5")
        assert "beta goes with method dpo and must be above 0 and at most 2" in text(screen, "#problems")


async def test_dpo_is_refused_on_a_model_the_dpo_page_does_not_list(configured, processed_file):
    """The DPO page lists gpt-4o-2024-08-06, gpt-4.1-2025-04-14 and gpt-4.1-mini-2025-04-14: not
    gpt-4.1-nano (a prefix match on "gpt-4.1" offered it)."""
    nano, mini = "gpt-4.1-nano-2025-04-14", "gpt-4.1-mini-2025-04-14"
    app, done = FtdeckApp(), []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_app(pilot, app, lambda ws: CreateJobScreen(ws, [processed_file], [nano, mini]), done)
        await choose_first_option(pilot)  # the training file
        screen.query_one("#method").value = "dpo"
        await pilot.pause()
        assert f"method dpo: {nano} does not support DPO" in text(screen, "#problems")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen and not screen.busy and not done
        screen.query_one("#model").value = mini
        await pilot.pause()
        assert "does not support DPO" not in text(screen, "#problems")
        await pilot.press("escape")
        await wait_until(pilot, lambda: done == [None])
    assert not jobs_on(configured, processed_file["id"])


# ------------------------------------------------------------------ deploy


async def test_deploy_creates_the_deployment_with_the_chosen_sku(configured, emulator, processed_file):
    suffix = f"forms-{uuid.uuid4().hex[:6]}"
    job = configured.fine_tuning.jobs.create(model=BASE, training_file=processed_file["id"], suffix=suffix)
    fine_tuned_model = wait_for_job(configured, job.id).fine_tuned_model
    app, done = make_app(), []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_app(pilot, app, lambda ws: DeployScreen(ws, fine_tuned_model), done)
        name = screen.query_one("#name").value
        assert name == suffix
        assert any("billed for hosting every hour" in str(note.render()) for note in screen.query(".note"))
        await pilot.press("tab", "enter", "down", "enter")  # sku: standard -> globalstandard
        assert "weights may leave the geography" in text(screen, "#sku-note")
        await pilot.press("tab", "2", "enter")  # capacity (its text is selected on focus)
        await wait_until(pilot, lambda: done)
    with emulator.arm() as arm:
        deployment = arm.get(f"/{name}").json()
    assert deployment["sku"] == {"name": "GlobalStandard", "capacity": 2}
    assert deployment["properties"]["model"]["name"] == fine_tuned_model
    assert done[0]["properties"]["provisioningState"] == "Succeeded"


async def test_deploy_from_another_account_names_a_bad_id_then_sends_the_source(configured, emulator, processed_file):
    """Cross-region deploy in the form (fine-tuning-deploy): the source account's ARM id is checked
    before anything is sent, then kept as `properties.model.source`."""
    job = configured.fine_tuning.jobs.create(model=BASE, training_file=processed_file["id"], suffix=f"src-{uuid.uuid4().hex[:6]}")
    fine_tuned_model = wait_for_job(configured, job.id).fine_tuned_model
    source = "/subscriptions/sub-2/resourceGroups/rg-2/providers/Microsoft.CognitiveServices/accounts/trained-here"
    app, done = make_app(), []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_app(pilot, app, lambda ws: DeployScreen(ws, fine_tuned_model), done)
        name = screen.query_one("#name").value
        screen.query_one("#source").focus()
        await pilot.press(*"eastus-account", "enter")
        assert "source account: the source account's ARM id" in text(screen, "#problems") and app.screen is screen
        screen.query_one("#source").value = source
        await pilot.press("enter")
        await wait_until(pilot, lambda: done)
    with emulator.arm() as arm:
        deployment = arm.get(f"/{name}").json()
    assert deployment["properties"]["model"]["source"] == source


async def test_bad_deployment_name_is_refused_and_esc_creates_nothing(configured, emulator):
    app, done = make_app(), []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_app(pilot, app, lambda ws: DeployScreen(ws, BASE), done)
        await pilot.press("x", "enter")  # the prefilled name is selected: typing replaces it
        assert "name: 2-64 characters" in text(screen, "#problems") and app.screen is screen
        await pilot.press("backspace", *"..", "enter")
        assert "starting with a letter or digit" in text(screen, "#problems")
        await pilot.press("escape")
        await wait_until(pilot, lambda: done)
    with emulator.arm() as arm:
        assert not [d for d in arm.get(emulator.url + ARM_DEPLOYMENTS).json()["value"] if d["name"] in ("x", "..")]
    assert done == [None]


def test_suggested_deployment_names():
    hash_ = "0123456789abcdef" * 2
    assert suggested_name(f"{BASE}.ft-{hash_}-pirate") == "pirate"
    assert suggested_name(f"{BASE}.ft-{hash_}") == f"{BASE}-ft-012345"
    assert suggested_name(f"{BASE}.ft-{hash_}-pirate:ckpt-step-20") == "pirate-step-20"
    assert suggested_name(f"ftchkpt-{hash_}") == "ckpt-01234567"


# ------------------------------------------------------------------ 80x24


def inside(widget, outer) -> bool:
    return widget.region.area > 0 and outer.region.contains_region(widget.region)


async def tab_through(pilot, screen) -> list:
    """Every widget Tab reaches, in order, once round."""
    seen = []
    while screen.focused not in seen:
        seen.append(screen.focused)
        await pilot.press("tab")
    return seen


async def test_each_form_fits_80x24(configured, processed_file, tmp_path):
    bad = tmp_path / "many-errors.jsonl"
    bad.write_text("not json\n" * 30)  # a long report: it scrolls, the buttons stay in view
    forms = [
        (UploadScreen, str(bad), "Enter"),
        (lambda ws: CreateJobScreen(ws, [processed_file], [BASE]), None, "ctrl+s create"),
        (lambda ws: DeployScreen(ws, f"{BASE}.ft-{'0' * 32}-a-rather-long-suffix-for-the-screen"), None, "ctrl+s deploy"),
    ]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for screen_of, fill, hint in forms:
            done: list = []
            screen = await open_app(pilot, app, screen_of, done)
            if isinstance(screen, UploadScreen):
                screen.query_one("#path").value = fill
                await pilot.press("enter")
                await wait_until(pilot, lambda: screen.report is not None)
            if isinstance(screen, CreateJobScreen):  # at its tallest: three problems (DPO, epochs, suffix)
                screen.query_one("#method").value = "dpo"
                screen.query_one("#epochs").value = "99"
                screen.query_one("#suffix").value = "bad suffix!"
                await pilot.pause()
            await pilot.pause()
            dialog = screen.query_one("#dialog")
            assert inside(dialog, screen)
            assert hint in text(screen, "#hint") and inside(screen.query_one("#hint"), dialog)
            reached = await tab_through(pilot, screen)
            assert len(reached) >= 3 and all(inside(widget, dialog) for widget in reached), [
                (w, w.region) for w in reached if not inside(w, dialog)]
            await pilot.press("escape")
            await wait_until(pilot, lambda: done == [None])
