"""The four resource panes: what each shows per row, and how a resource becomes a row."""

from __future__ import annotations

import re
from typing import Callable, NamedTuple

from services.timestamps import local_time

DATED = re.compile(r"-\d{4}-\d{2}-\d{2}$")  # gpt-4o-mini-2024-07-18: the date people do not scan by
NAME_WIDTH = 18
FILE_NAME_WIDTH = 22  # a longer suffix or model name is cut with "…": the pane keeps its columns on screen


def _num(value) -> str:
    return f"{value:.4f}" if isinstance(value, (int, float)) else "-"


def _days(value) -> str:
    return "-" if value is None else f"{value:g}"


def _cut(text: str, width: int = NAME_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _cut_middle(text: str, width: int) -> str:
    """`pirate-sup…valid.jsonl`: a file name keeps its end, where names differ and the type is."""
    if len(text) <= width:
        return text
    tail = (width - 1) // 2 + 1
    return text[: width - 1 - tail] + "…" + text[-tail:]


def job_name(job: dict) -> str:
    """What a person calls a job: its suffix, else its fine-tuned model's tail, else its base model."""
    if job.get("suffix"):
        return _cut(job["suffix"])
    made = job.get("fine_tuned_model") or ""
    return _cut(made.rsplit(".", 1)[-1] if made else "-")


def short_model(model: str, width: int = 14) -> str:
    """A base model without its date; a fine-tuned one as base and suffix: `gpt-4o-mini·pirate`."""
    base, ft, rest = (model or "-").partition(".ft-")
    label = DATED.sub("", base) + (f"·{rest.split('-', 1)[1]}" if ft and "-" in rest else "·ft" if ft else "")
    return _cut(label, width)


def short_id(resource_id: str) -> str:
    """`ftchkpt-35c12ef5`: the prefix and 8 hex digits tell rows apart (32 take the pane's room);
    the whole id is in the detail pane, `y` copies it and the filter matches it."""
    prefix, _, rest = resource_id.partition("-")
    return f"{prefix}-{rest[:8]}" if rest and len(rest) > 8 else resource_id


def file_name(file: dict, shown: dict) -> str:
    """Its name; a results file (every one is `results.csv`) says whose: `results.csv · haiku`."""
    if file.get("purpose") == "fine-tune-results":
        job = next((j for j in shown.get("jobs", {}).values() if file["id"] in (j.get("result_files") or ())), None)
        if job is not None:
            return f"{_cut_middle(file['filename'], 11)} · {job_name(job)}"
    return _cut_middle(file["filename"], FILE_NAME_WIDTH)


def created(resource: dict) -> str:
    """`12-02 14:03`: when, in a column narrow enough to fit beside the others."""
    return local_time(resource.get("created_at"), "%m-%d %H:%M")


class Pane(NamedTuple):
    title: str
    key: str  # digit that jumps here
    columns: tuple[str, ...]
    row: Callable[[dict, dict], tuple[str, tuple]]  # (resource, what every pane shows now) -> (id, cells)


PANES = {
    # What people scan a job by; its id is in the detail pane (`y` copies it) and the filter finds it.
    "jobs": Pane("Jobs", "1", ("status", "name", "base model", "created"),
                 lambda j, _: (j["id"], (j["status"], job_name(j), short_model(j["model"]), created(j)))),
    "checkpoints": Pane("Checkpoints", "2", ("step", "train", "valid", "full valid", "id"),  # losses
                        lambda c, _: (c["id"], (c["step_number"], _num((c.get("metrics") or {}).get("train_loss")),
                                             _num((c.get("metrics") or {}).get("valid_loss")),
                                             _num((c.get("metrics") or {}).get("full_valid_loss")), short_id(c["id"])))),
    "files": Pane("Files", "3", ("filename", "status", "bytes", "created"),
                  lambda f, shown: (f["id"], (file_name(f, shown), f["status"], f"{f['bytes']:,}", created(f)))),
    # Deployments are shown through services.deployments.describe(): flat facts, days left.
    # Its sku and capacity are in the detail pane.
    "deployments": Pane("Deployments", "4", ("name", "state", "days left", "model"),
                        lambda d, _: (d["name"], (_cut(d["name"]), d["state"], _days(d.get("days_left_at_most")), short_model(d["model"], 18)))),
}
