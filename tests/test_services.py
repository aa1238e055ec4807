"""Small service rules that need no server."""

import time

from services.deployments import describe
from services.results import Curves

DAY = 86400


def deployment(model: str, created_days_ago: float, now: float) -> dict:
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - created_days_ago * DAY))
    return {"name": "d", "sku": {"name": "Standard", "capacity": 1}, "systemData": {"createdAt": created},
            "properties": {"model": {"name": model}, "provisioningState": "Succeeded"}}


def test_days_left_counts_from_the_last_call_ftdeck_saw():
    now = time.time()
    facts = describe(deployment("gpt-4o-mini-2024-07-18.ft-abc", 20, now), now=now, last_call=now - 3 * DAY)
    assert facts["days_left_at_most"] == 12.0 and facts["created_days_ago"] == 20.0
    assert describe(deployment("gpt-4o-mini-2024-07-18.ft-abc", 20, now), now=now)["days_left_at_most"] == 0
    assert "days_left_at_most" not in describe(deployment("gpt-4o-mini-2024-07-18", 20, now), now=now)


def test_overfitting_is_named_only_when_validation_climbs_while_training_falls():
    header = "step,train_loss,train_mean_token_accuracy,valid_loss,validation_mean_token_accuracy,full_valid_loss,full_valid_mean_token_accuracy\n"
    diverging = header + "1,2.0,0.5,2.0,0.5,,\n2,1.0,0.6,1.5,0.6,1.5,0.6\n3,0.5,0.7,1.9,0.5,,\n4,0.2,0.9,2.5,0.4,2.5,0.4\n"
    assert "overfitting" in Curves.parse(diverging).summary()["overfitting"]
    healthy = header + "1,2.0,0.5,2.0,0.5,,\n2,1.0,0.6,1.5,0.6,1.5,0.6\n3,0.5,0.7,1.2,0.7,1.2,0.7\n"
    summary = Curves.parse(healthy).summary()
    assert summary["overfitting"] is None
    assert summary["train_loss"] == {"final": 0.5, "best": 0.5, "best_step": 3}
