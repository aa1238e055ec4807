"""The demo workspace seeded once into a new emulator, so nothing is empty on first start:
two datasets, a finished job with checkpoints and a deployment, a base-model deployment,
and a job still training."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

from emulator import catalog, deployments, files, jobs
from emulator.clock import Clock

if TYPE_CHECKING:
    from emulator.service import Emulator

DEMO_SUBSCRIPTION, DEMO_RESOURCE_GROUP, DEMO_ACCOUNT = "00000000-0000-0000-0000-000000000000", "ftdeck-demo", "ftdeck-emulator"
ARM_ACCOUNT = (f"/subscriptions/{DEMO_SUBSCRIPTION}/resourceGroups/{DEMO_RESOURCE_GROUP}"
               f"/providers/Microsoft.CognitiveServices/accounts/{DEMO_ACCOUNT}")
BASE_MODEL = "gpt-4o-mini-2024-07-18"


def dataset(name: str) -> bytes:
    return resources.files("emulator").joinpath("demo", name).read_bytes()


def seed_demo(emu: Emulator) -> None:
    """Seed the demo once; a data dir that already has it (or was seeded before) is left alone."""
    if emu.store.get_meta("demo_seeded"):
        return
    live_clock = emu.clock
    # The finished job is trained on a clock set a few hours back, so its history is in the past;
    # that clock moves only as the loop below advances it, so the demo is the same every time.
    emu.clock = Clock(0, start=live_clock.now() - 3 * 3600)
    try:
        pirate = files.create(emu, "pirate-support.jsonl", "fine-tune", dataset("pirate-support.jsonl"), immediately=True)
        pirate_valid = files.create(emu, "pirate-support-valid.jsonl", "fine-tune", dataset("pirate-support-valid.jsonl"), immediately=True)
        haiku = files.create(emu, "haiku-helper.jsonl", "fine-tune", dataset("haiku-helper.jsonl"), immediately=True)
        finished = jobs.create(
            emu,
            {"model": BASE_MODEL, "training_file": pirate["id"], "validation_file": pirate_valid["id"],
             "suffix": "pirate", "seed": 42, "hyperparameters": {"n_epochs": 3}},
            preview=True,
        )
        while emu.store.get_job(finished["id"])["status"] not in jobs.FINISHED:
            emu.clock.advance(jobs.STEP_SECONDS)
            emu.runner.tick()
        model = emu.store.get_job(finished["id"])["fine_tuned_model"]
        # A base model deploys as name + version (gpt-4o-mini, 2024-07-18), a fine-tuned one as its id + "1".
        for name, deployed in (("pirate-support", (model, "1")), ("gpt-4o-mini", catalog.name_and_version(BASE_MODEL))):
            request = {"sku": {"name": "standard", "capacity": 1},
                       "properties": {"model": {"format": "OpenAI", "name": deployed[0], "version": deployed[1]}}}
            deployments.put(emu, ARM_ACCOUNT, name, request, api_version="2024-10-01")
        emu.clock.advance(deployments.PROVISION_SECONDS)
    finally:
        emu.clock = live_clock
    jobs.create(emu, {"model": "gpt-4.1-mini-2025-04-14", "training_file": haiku["id"], "suffix": "haiku", "seed": 7}, preview=True)
    emu.store.set_meta("demo_seeded", "1")
