"""What the openai SDK's `model_dump()` gives for a job or a file, for listings read from the JSON
itself (Workspace.get_json): importing the SDK costs about a second, a listing needs none of it.

A shape names each field of the SDK's model in its order; a nested model's field has the nested
shape, others None. `dumped` fills what the service left out with None, as the SDK's models do,
and keeps what the service added. tests/test_listings.py checks these against the installed SDK.
"""

from __future__ import annotations

from typing import Any

Shape = dict[str, "Shape | None"]

_SUPERVISED = {"batch_size": None, "learning_rate_multiplier": None, "n_epochs": None}
JOB: Shape = {  # openai.types.fine_tuning.FineTuningJob
    "id": None, "created_at": None, "error": {"code": None, "message": None, "param": None}, "fine_tuned_model": None,
    "finished_at": None, "hyperparameters": dict(_SUPERVISED), "model": None, "object": None, "organization_id": None,
    "result_files": None, "seed": None, "status": None, "trained_tokens": None, "training_file": None,
    "validation_file": None, "estimated_finish": None, "integrations": None, "metadata": None,
    "method": {
        "type": None,
        "dpo": {"hyperparameters": {"batch_size": None, "beta": None, "learning_rate_multiplier": None, "n_epochs": None}},
        "reinforcement": {"grader": None, "hyperparameters": {
            "batch_size": None, "compute_multiplier": None, "eval_interval": None, "eval_samples": None,
            "learning_rate_multiplier": None, "n_epochs": None, "reasoning_effort": None}},
        "supervised": {"hyperparameters": dict(_SUPERVISED)},
    },
}
FILE: Shape = {  # openai.types.FileObject
    "id": None, "bytes": None, "created_at": None, "filename": None, "object": None, "purpose": None, "status": None,
    "expires_at": None, "status_details": None,
}


def dumped(shape: Shape, item: Any) -> Any:
    """`item` (the service's JSON) as the SDK's model_dump() gives it."""
    if not isinstance(item, dict):
        return item
    filled = {name: dumped(inner, item[name]) if inner is not None and name in item else item.get(name)
              for name, inner in shape.items()}
    return {**filled, **{name: value for name, value in item.items() if name not in shape}}
