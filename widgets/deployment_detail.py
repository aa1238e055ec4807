"""The selected deployment: what it serves, on which sku, and how long before Azure deletes it."""

from __future__ import annotations

import time

from textual.content import Content

from widgets.detail_pane import DetailPane
from widgets.markup import lines, literal, markup

STATE_STYLES = {"Succeeded": "green", "Failed": "red", "Canceled": "red", "Deleting": "dim"}
FEW_DAYS_LEFT = 3


def summary(facts: dict, last_call: float | None = None) -> Content:
    state = facts.get("state") or "?"
    created = facts.get("created_days_ago")
    shown = [
        markup(f"[b]$name[/b]  [reverse {STATE_STYLES.get(state, 'yellow')}] $state [/]", name=facts.get("name") or "?", state=state),
        markup("model $model", model=facts.get("model") or "-"),
        markup("sku $sku · capacity $capacity · created $created", sku=facts.get("sku") or "-", capacity=facts.get("capacity") or "-",
               created="-" if created is None else f"{created:g} days ago"),
    ]
    if facts.get("fine_tuned"):
        # Azure does not report calls: only ftdeck's own are known, hence "at most".
        seen = time.strftime("%Y-%m-%d %H:%M", time.localtime(last_call)) if last_call else "none seen by ftdeck"
        shown.append(literal(f"last call {seen}"))
        left = facts.get("days_left_at_most")
        if left is not None:
            style = "bold $warning" if left <= FEW_DAYS_LEFT else "green"
            shown.append(markup(f"[{style}]at most {left:g} days left[/] before the inactivity deletion"))
        shown += [markup("[dim]note: $note[/]", note=note) for note in facts.get("notes", [])]
    return lines(*shown)


class DeploymentDetail(DetailPane):
    KIND = "deployment"
    HINT = "g open in playground"

    def show(self, facts: dict, last_call: float | None = None) -> None:
        """`facts` from services.deployments.describe(); `last_call` from services.usage.last_call()."""
        self.show_summary(markup("Deployment $name", name=facts.get("name")), summary(facts, last_call))
