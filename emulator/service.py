"""The emulator's state and the few operations that cross resource kinds (models, sweeps)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from emulator import catalog, deployments
from emulator.clock import Clock, is_valid_time
from emulator.errors import ServiceError, not_found
from emulator.faults import Faults
from emulator.jobs import JobRunner
from emulator.language_model import NGramModel
from emulator.resources import public, seed_ids
from emulator.store import Store


@dataclass
class Settings:
    data_dir: Path
    api_key: str | None = None  # None: any key (or none) is accepted, for loopback use only
    speed: float = 1.0
    faults: Faults = field(default_factory=Faults)
    jobs_at_once: int = 1  # the rest queue, with "Jobs ahead in queue: N"
    frozen_at: float | None = None  # a clock stopped at this time, moved only by /_emulator/clock
    seed: int | None = None  # ids repeat from run to run
    import_dir: Path | None = None  # the only folder file:// imports may read (--import-dir)
    allow_url_import: bool = False  # whether https:// URLs may be imported (--allow-url-import)
    host: str = "127.0.0.1"  # the address it is bound to: the Host header requests must name


class Emulator:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = Store(settings.data_dir)
        shown = self._clock_shown()
        if settings.frozen_at is not None:
            self.clock = Clock(0, start=max(settings.frozen_at, shown))
        else:
            self.clock = Clock(settings.speed, floor=shown)
        if settings.seed is not None:
            # Ids carry on past those already stored: a restart with the same seed draws new ones.
            seed_ids(settings.seed, after=self.store.rows_ever_added())
        self.runner = JobRunner(self, settings.jobs_at_once)
        self._models: dict[str, NGramModel] = {}

    def _clock_shown(self) -> float:
        """The last time the clock showed, from the store; a value that is not a finite number
        (written by an older version) is ignored rather than carried into every timestamp."""
        try:
            shown = float(self.store.get_meta("clock", "0") or 0)
        except ValueError:
            return 0.0
        return shown if is_valid_time(shown) else 0.0

    def sweep(self) -> None:
        """Housekeeping on every runner tick: remember the clock, remove deployments whose time is up."""
        with self.store.transaction():
            self.store.set_meta("clock", repr(self.clock.now()))
            deployments.expire(self)

    def advance_clock(self, seconds: float) -> float:
        now = self.clock.advance(seconds)
        self.sweep()
        self.runner.wake()
        return now

    # models

    def is_deployable(self, name: str) -> bool:
        return name in self.store_model_names() or self.checkpoint(name) is not None

    def checkpoint(self, checkpoint_id: str) -> dict | None:
        """A kept checkpoint, by its id `ftchkpt-...` only: Azure deploys a checkpoint "by passing the
        checkpoint ID" (MicrosoftDocs/azure-ai-docs how-to/fine-tuning-deploy); its name
        `<model>:ckpt-step-N` stands for nothing a deployment or a job can take."""
        found = self.store.checkpoint_weights(checkpoint_id)
        return found[0] if found and found[0]["id"] == checkpoint_id else None

    def store_model_names(self) -> set[str]:
        return set(catalog.BASE_MODELS) | {m["id"] for m in self.store.list_models()}

    def fine_tuned_weights(self, name: str) -> NGramModel:
        """A fine-tuned model or checkpoint's trained weights, by model id or checkpoint id."""
        weights = self.store.model_weights(name)
        if weights is None:
            found = self.store.checkpoint_weights(name) if self.checkpoint(name) else None
            if found is None:
                raise not_found("Model", name)
            weights = found[1]
        return NGramModel.from_bytes(weights)

    def language_model(self, name: str) -> NGramModel:
        if name in catalog.BASE_MODELS:
            return NGramModel.base()
        if name not in self._models:
            self._models[name] = self.fine_tuned_weights(name)
        return self._models[name]

    def list_models(self) -> list[dict]:
        base = [
            {
                "id": m.id,
                "object": "model",
                "created_at": m.created_at,
                "status": "succeeded",
                "capabilities": m.capabilities,
                "lifecycle_status": "generally-available",
                "deprecation": {"fine_tune": m.created_at + 2 * 365 * 86400, "inference": m.created_at + 3 * 365 * 86400},
            }
            for m in catalog.BASE_MODELS.values()
        ]
        return base + [public(m) for m in self.store.list_models()]

    def get_model(self, model_id: str) -> dict:
        for model in self.list_models():
            if model["id"] == model_id:
                return model
        raise not_found("Model", model_id)

    def delete_model(self, model_id: str) -> dict:
        if model_id in catalog.BASE_MODELS:
            raise ServiceError(400, "invalidPayload", f"'{model_id}' is a base model; only fine-tuned models can be deleted.")
        if self.store.get_model(model_id) is None:
            raise not_found("Model", model_id)
        holder = self.store.deployment_of_model(model_id)
        if holder:
            raise ServiceError(
                409, "conflict", f"The model '{model_id}' is deployed as '{holder}'. Delete the deployment first."
            )
        with self.store.transaction():
            self.store.delete_model(model_id)
        self._models.pop(model_id, None)
        return {"id": model_id, "object": "model", "deleted": True}
