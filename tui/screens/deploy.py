"""Deploy a model (fine-tuned, a checkpoint, or a base model): name, sku and capacity, then Enter
or ctrl+s creates the deployment on the management plane and waits until it is provisioned."""

from __future__ import annotations

import re
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

# The spec gives no rule for deployment names: 2-64 letters, digits, '-', '_' and '.' is what Azure is
# known to accept; a letter or digit first, also because the name goes into the URL path ("..").
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")
NAME_RULE = "name: 2-64 characters of letters, digits, '-', '_' and '.', starting with a letter or digit"
FINE_TUNED = re.compile(r"^(?P<base>.+?)\.ft-(?P<hash>[0-9a-f]{32})(?:-(?P<suffix>.+))?$")
SKU_NOTES = {  # spec section 7
    "standard": "regional: the data stays in the resource's geography",
    "globalstandard": "cheaper; the weights may leave the geography; no vision or structured outputs",
    "developertier": "for testing only: no SLA, no hosting fee; capacity 50; Azure deletes it 24 hours after it is made, used or not",
    "provisionedmanaged": "provisioned throughput: needs PTU quota in the resource's region",
}


def suggested_name(model: str) -> str:
    """A deployment name from the model: its suffix when it has one (what people named the job for)."""
    model, _, checkpoint = model.partition(":")  # "<fine-tuned model>:ckpt-step-N"
    found = FINE_TUNED.match(model)
    if model.startswith("ftchkpt-"):
        name = "ckpt-" + model.removeprefix("ftchkpt-")[:8]
    elif found:
        name = found["suffix"] or f"{found['base']}-ft-{found['hash'][:6]}"
    else:
        name = model
    if checkpoint:
        name += "-" + checkpoint.removeprefix("ckpt-")
    return re.sub(r"[^A-Za-z0-9._-]", "-", name)[:64]


class DeployScreen(FormScreen[dict | None]):
    """Dismisses with the deployment (as the management plane describes it), or None."""

    DEFAULT_CSS = """
    DeployScreen .row.model { height: auto; }  /* a fine-tuned model's name can take two lines */
    DeployScreen #model { width: 1fr; }
    """
    BINDINGS = [Binding("ctrl+s", "submit", "Deploy", id="deploy.create")]

    def __init__(self, workspace: "Workspace", model: str, name: str | None = None) -> None:
        super().__init__()
        self.workspace, self.model = workspace, model
        self.name_given = name  # the assistant's proposal names it

    def compose(self) -> ComposeResult:
        from services.deployments import HOSTING_REMINDER, INACTIVITY_RULE, SKUS, is_fine_tuned

        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Deploy a model"
            yield self.row("Model", Static(literal(self.model), id="model"), classes="model")
            yield self.row("Name", Input(self.name_given or suggested_name(self.model), id="name", compact=True))
            yield self.row("SKU", Select([(sku, sku) for sku in SKUS], value="standard", allow_blank=False, id="sku", compact=True))
            yield self.row("Capacity", Input("1", type="integer", id="capacity", compact=True))
            yield Static(SKU_NOTES["standard"], id="sku-note", classes="note")
            if is_fine_tuned(self.model):
                # Cross-region / cross-subscription deploy (fine-tuning-deploy): the account it was trained in.
                yield self.row("From account", Input(id="source", compact=True, placeholder="optional: the ARM id of the resource it was trained in"))
                yield Static(literal(HOSTING_REMINDER + ".\n" + INACTIVITY_RULE + "."), classes="note")
            yield from self.closing("Enter/ctrl+s deploy · Esc cancel", Button("Deploy", variant="primary", compact=True, id="deploy"))

    def source_account(self) -> str | None:
        found = self.query("#source")
        return found.first(Input).value.strip() or None if found else None

    def read_form(self) -> tuple[str, str, int, dict[str, str]]:
        """Name, sku, capacity, and what is wrong with them by field."""
        from services.deployments import source_account_problem

        name = self.query_one("#name", Input).value.strip()
        capacity = self.query_one("#capacity", Input).value.strip()
        problems = {}
        if not NAME.match(name):
            problems["name"] = NAME_RULE
        if not capacity.isdigit() or int(capacity) < 1:
            problems["capacity"] = "capacity: a whole number, 1 or more"
        if problem := source_account_problem(self.source_account()):
            problems["source"] = problem
        return name, str(self.query_one("#sku", Select).value), int(capacity or 0), problems

    @on(Input.Changed)
    def check(self) -> None:
        problems = self.read_form()[3]
        for field in self.query(Input):
            field.set_class(field.id in problems, "-invalid")
        self.show_problems(list(problems.values()))

    @on(Select.Changed, "#sku")
    def sku_changed(self, event: Select.Changed) -> None:
        self.query_one("#sku-note", Static).update(SKU_NOTES.get(str(event.value), ""))
        if str(event.value) == "developertier":  # fine-tune-test: DeveloperTier has capacity 50
            self.query_one("#capacity", Input).value = "50"

    @on(Input.Submitted)
    @on(Button.Pressed, "#deploy")
    def action_submit(self) -> None:
        name, sku, capacity, problems = self.read_form()
        if self.busy or problems:
            return  # the problems are already on show
        self.start(self.deploy(name, sku, capacity))
        self.show_status(f"deploying {self.model} as {name}…")

    @work(thread=True, exclusive=True, group="deploy", exit_on_error=False)
    def deploy(self, name: str, sku: str, capacity: int) -> dict:
        from services.deployments import create_deployment

        return create_deployment(self.workspace, name, self.model, sku=sku, capacity=capacity, wait=True,
                                 source_account=self.source_account(), on_status=self.say_status, poll=1.0)

    def finished(self, work: str, result: Any) -> None:
        self.dismiss(result)
