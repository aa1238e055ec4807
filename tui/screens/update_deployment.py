"""Change a deployment's capacity (and sku): Enter or ctrl+s sends the update (ARM's PATCH) and
waits until Azure has applied it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Button, Input, Select, Static

from tui.screens.form import FormScreen
from widgets.markup import literal

if TYPE_CHECKING:
    from services.workspace import Workspace


class UpdateDeploymentScreen(FormScreen[dict | None]):
    """Dismisses with the updated deployment (as the management plane describes it), or None."""

    BINDINGS = [Binding("ctrl+s", "submit", "Update", id="deployment.update")]

    def __init__(self, workspace: "Workspace", deployment: dict) -> None:
        super().__init__()
        self.workspace, self.deployment = workspace, deployment

    def compose(self) -> ComposeResult:
        from services.deployments import SKUS

        sku = str((self.deployment.get("sku") or {}).get("name", "standard")).lower()
        capacity = (self.deployment.get("sku") or {}).get("capacity") or 1
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Update a deployment"
            yield self.row("Deployment", Static(literal(str(self.deployment.get("name"))), id="deployment"))
            yield self.row("SKU", Select([(s, s) for s in SKUS], value=sku if sku in SKUS else "standard",
                                         allow_blank=False, id="sku", compact=True))
            yield self.row("Capacity", Input(str(capacity), type="integer", id="capacity", compact=True))
            yield from self.closing("Enter/ctrl+s update · Esc cancel", Button("Update", variant="primary", compact=True, id="update"))

    def read_form(self) -> tuple[str, int, list[str]]:
        capacity = self.query_one("#capacity", Input).value.strip()
        problems = [] if capacity.isdigit() and int(capacity) >= 1 else ["capacity: a whole number, 1 or more"]
        return str(self.query_one("#sku", Select).value), int(capacity or 0), problems

    @on(Input.Changed)
    def check(self) -> None:
        problems = self.read_form()[2]
        self.query_one("#capacity", Input).set_class(bool(problems), "-invalid")
        self.show_problems(problems)

    @on(Input.Submitted)
    @on(Button.Pressed, "#update")
    def action_submit(self) -> None:
        sku, capacity, problems = self.read_form()
        if self.busy or problems:
            return
        self.start(self.update(sku, capacity))
        self.show_status(f"updating {self.deployment.get('name')}…")

    @work(thread=True, exclusive=True, group="update", exit_on_error=False)
    def update(self, sku: str, capacity: int) -> dict:
        from services.deployments import update_deployment

        return update_deployment(self.workspace, str(self.deployment["name"]), capacity=capacity, sku=sku,
                                 on_status=self.say_status, poll=1.0)

    def finished(self, work: str, result: Any) -> None:
        self.dismiss(result)
