"""What can be done to the selected row, in one or two keys: the app's action methods.

Each action is also a footer key and a command-palette entry, shown only where it applies
(`check_action`); writes are hidden and refused in read-only mode. Anything that calls the
service runs in a worker and reports in the console.
"""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.binding import Binding

from tui.screens.confirm import Confirm

ACTIVE = ("pending", "running", "pausing", "paused", "resuming", "validating_files", "queued")

BINDINGS = [
    Binding("u", "upload", "Upload", id="upload"),
    Binding("n", "new_job", "New job", id="job.new"),
    Binding("f", "fine_tune_further", "Train further", id="job.further"),
    Binding("c", "cancel_job", "Cancel", id="job.cancel"),
    Binding("s", "pause_or_resume_job", "Pause/resume", id="job.pause"),
    Binding("d", "deploy", "Deploy", id="deploy"),
    Binding("e", "update_deployment", "Capacity", id="deployment.update"),
    Binding("g", "playground", "Playground", id="playground"),
    Binding("o", "results", "Results.csv", id="job.results"),
    Binding("x", "delete", "Delete", id="delete"),
    Binding("y", "copy_id", "Copy id", id="copy"),
    Binding("v", "raw_json", "JSON", id="raw"),
]
WRITES = {"upload", "new_job", "fine_tune_further", "cancel_job", "pause_or_resume_job", "deploy", "update_deployment", "delete"}
# Which panes each row action belongs to, and whether it applies to the selected resource.
ROW_ACTIONS = {
    "cancel_job": ({"jobs"}, lambda job: job["status"] in ACTIVE),
    "pause_or_resume_job": ({"jobs"}, lambda job: job["status"] in ("running", "paused")),
    "results": ({"jobs"}, lambda job: job["status"] == "succeeded"),
    "deploy": ({"jobs", "checkpoints"}, lambda item: bool(item.get("fine_tuned_model") or item.get("fine_tuned_model_checkpoint"))),
    "fine_tune_further": ({"jobs", "checkpoints"}, lambda item: bool(item.get("fine_tuned_model") or item.get("fine_tuned_model_checkpoint"))),
    "update_deployment": ({"deployments"}, lambda item: bool(item.get("sku")) and item.get("state") != "Deleting"),
    "playground": ({"deployments", "checkpoints", "jobs"}, lambda item: bool(item.get("sku") or model_of(item))),
    "delete": ({"jobs", "files", "deployments"}, lambda item: item.get("status") not in ACTIVE),
    "copy_id": (None, lambda item: True),
    "raw_json": (None, lambda item: True),
}
KINDS = {"jobs": "job", "files": "file", "deployments": "deployment", "checkpoints": "checkpoint"}
DELETE_NOTES = {
    "job": "Its events and checkpoints go with it; a fine-tuned model it made stays.",
    "file": "Jobs that used it keep their results; new jobs cannot use it.",
    "deployment": "Hosting charges stop; the model stays and can be deployed again.",
    "model": "The fine-tuned model is gone for good; deployments of it must be deleted first.",
}


def model_of(item: dict) -> str | None:
    """The model a job or checkpoint row stands for."""
    return item.get("fine_tuned_model_checkpoint") or item.get("fine_tuned_model")


class Actions:
    """Mixed into FtdeckApp: the actions on the selected row and the dialogs behind them."""

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in WRITES and self.read_only:
            return False  # read-only hides every write
        if action not in ROW_ACTIONS:
            return True
        panes, applies = ROW_ACTIONS[action]
        if panes is not None and self.current_pane not in panes:
            return False
        chosen = self.selected()
        return bool(chosen and applies(chosen[2]))  # the footer shows only what applies here

    def show_row_actions(self) -> None:
        """Have the footer show the actions that apply now, only when that changed: each
        refresh_bindings() rebuilds the whole footer, which is most of a refresh's cost."""
        allowed = frozenset(action for action in (*ROW_ACTIONS, *WRITES) if self.check_action(action, ()))
        if allowed != self._shown_actions:
            self._shown_actions = allowed
            self.refresh_bindings()

    def _writable(self) -> bool:
        if self.read_only:
            self.notify("Read-only: this profile does not change anything.", severity="warning")
            self.say("read-only: refused", "warning")
        return not self.read_only

    def _chosen(self, action: str) -> tuple[str, str, dict] | None:
        """The selected row if `action` applies to it, else say why not."""
        if action in WRITES and not self._writable():
            return None
        if self.workspace is None:
            self.say("not connected yet", "warning")
            return None
        chosen = self.selected()
        if chosen is None or not self.check_action(action, ()):
            what = chosen[1] if chosen else "nothing selected"
            self.say(f"{action.replace('_', ' ')} does not apply to {what} in {self.current_pane}", "warning")
            return None
        return chosen

    # ------------------------------------------------------------ jobs

    def action_cancel_job(self) -> None:
        if chosen := self._chosen("cancel_job"):
            job = chosen[2]
            self.confirm(f"Cancel job {job['id']}?", "Training stops; this cannot be undone.",
                         lambda: self.change_job("cancel_job", job["id"]))

    def action_pause_or_resume_job(self) -> None:
        if chosen := self._chosen("pause_or_resume_job"):
            job = chosen[2]
            self.change_job("resume_job" if job["status"] == "paused" else "pause_job", job["id"])

    @work(thread=True, group="job", exit_on_error=False)
    def change_job(self, operation: str, job_id: str) -> None:
        from services import jobs

        job = getattr(jobs, operation)(self.workspace, job_id)
        self.call_from_thread(self.say, f"{operation.removesuffix('_job')} {job_id}: now {job['status']}", "ok")
        self.call_from_thread(self.action_refresh)

    def action_new_job(self, start_from: str | None = None) -> None:
        if not self._writable() or self.workspace is None:
            return
        from services.models import fine_tunable, is_fine_tuned
        from tui.screens.create_job import CreateJobScreen

        if not self.models:
            self.load_models()
        files = [f for f in self.resources["files"].values() if f.get("status") == "processed"]
        # Newest-looking base models first (gpt-4o-mini before gpt-35-turbo), then what was trained here.
        tunable = fine_tunable(self.models)
        models = sorted((m for m in tunable if not is_fine_tuned(m)), reverse=True) + [m for m in tunable if is_fine_tuned(m)]
        models += [c["fine_tuned_model_checkpoint"] for c in self.resources["checkpoints"].values()]
        self.push_screen(CreateJobScreen(self.workspace, files, models, start_from=start_from), self.job_created)

    def job_created(self, job: dict | None) -> None:
        if job:
            self.say(f"created {job['id']} on {job['model']}: {job['status']}", "ok")
            self.action_refresh()

    def action_fine_tune_further(self) -> None:
        if chosen := self._chosen("fine_tune_further"):
            self.action_new_job(start_from=model_of(chosen[2]))

    def action_results(self) -> None:
        if chosen := self._chosen("results"):
            self.download_results(chosen[1])

    @work(thread=True, group="results", exit_on_error=False)
    def download_results(self, job_id: str, folder: Path | None = None) -> None:
        from services.results import Curves, download_results
        from services.safe_names import safe_file_name

        text = download_results(self.workspace, job_id)
        safe = safe_file_name(f"{job_id}-results.csv", "the job id made it")  # the id is the service's
        path = _save_new((folder or Path.cwd()) / safe.name, text)
        curves = Curves.parse(text)
        summary = ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in curves.summary().items())
        self.call_from_thread(self.say, f"saved {path}{f' ({safe.note})' if safe.note else ''}: {summary}", "ok")
        if warning := curves.overfitting():
            self.call_from_thread(self.say, warning, "warning")

    # ------------------------------------------------------------ files, deployments, the playground

    def action_upload(self, path: str | None = None) -> None:
        if not self._writable() or self.workspace is None:
            return
        from tui.screens.upload import UploadScreen

        self.push_screen(UploadScreen(self.workspace, path), self.file_uploaded)

    def file_uploaded(self, file: dict | None) -> None:
        if file:
            self.say(f"{file['filename']} is {file['id']} ({file['status']}): press n to train on it", "ok")
            self.action_refresh()

    def action_deploy(self, name: str | None = None, model: str | None = None) -> None:
        if model is None:
            chosen = self._chosen("deploy")
            if chosen is None:
                return
            model = model_of(chosen[2])
        elif not self._writable():
            return
        if name:  # /deploy NAME MODEL: no questions
            self.deploy(name, model)
            return
        from tui.screens.deploy import DeployScreen

        self.push_screen(DeployScreen(self.workspace, model), self.deployed)

    @work(thread=True, group="deploy", exit_on_error=False)
    def deploy(self, name: str, model: str) -> None:
        from services import deployments

        self.call_from_thread(self.say, f"deploying {model} as {name}…")
        created = deployments.create_deployment(self.workspace, name, model, wait=True, poll=1.0)
        self.call_from_thread(self.deployed, created)

    def deployed(self, deployment: dict | None) -> None:
        if not deployment:
            return
        from services.deployments import describe

        facts = describe(deployment, now=self.now())
        self.say(f"{facts['name']} is {facts['state']}: press g on it to chat (playground)", "ok")
        for note in facts.get("notes", []):
            self.say(f"note: {note}", "warning")
        self.action_refresh()

    def action_update_deployment(self) -> None:
        """A new capacity (or sku) for the selected deployment."""
        chosen = self._chosen("update_deployment")
        if chosen is None:
            return
        from tui.screens.update_deployment import UpdateDeploymentScreen

        self.push_screen(UpdateDeploymentScreen(self.workspace, chosen[2].get("raw", chosen[2])), self.deployment_updated)

    def deployment_updated(self, deployment: dict | None) -> None:
        if deployment:
            sku = deployment.get("sku") or {}
            self.say(f"{deployment.get('name')} is now {sku.get('name')}, capacity {sku.get('capacity')}", "ok")
            self.action_refresh()

    def action_playground(self, deployment: str | None = None) -> None:
        """The playground on the selected deployment (or the one serving the selected job or
        checkpoint), a fine-tuned one side by side with its base model when that is deployed."""
        if self.workspace is None:
            return
        from services.playground import sides_for
        from tui.screens.playground import PlaygroundScreen

        models = {name: (facts["model"], facts.get("version")) for name, facts in self.resources["deployments"].items()}
        if deployment is None and (chosen := self.selected()):
            pane, row_id, item = chosen
            deployment = row_id if pane == "deployments" else model_of(item)
        left, right = sides_for(models, deployment) if deployment else (None, None)
        if deployment and left is None:
            self.say(f"{deployment} is not deployed: press d (or /deploy NAME MODEL) first", "warning")
            return
        self.push_screen(PlaygroundScreen(self.workspace, list(models), left, right))

    # ------------------------------------------------------------ any row

    def action_delete(self, kind: str | None = None, name: str | None = None) -> None:
        if name is None:
            chosen = self._chosen("delete")
            if chosen is None:
                return
            kind, name = KINDS[chosen[0]], chosen[1]
            label = f"{chosen[2].get('filename')} ({name})" if kind == "file" else name
        elif not self._writable():
            return
        else:
            label = name
        production = self.workspace.profile.production
        self.confirm(f"Delete {kind} {label}?", DELETE_NOTES[kind], lambda: self.delete(kind, name),
                     typed=name if production else None)

    @work(thread=True, group="delete", exit_on_error=False)
    def delete(self, kind: str, name: str) -> None:
        from services import deployments, files, jobs, models

        operation = {"job": jobs.delete_job, "file": files.delete_file,
                     "deployment": deployments.delete_deployment, "model": models.delete_model}[kind]
        operation(self.workspace, name)
        self.call_from_thread(self.say, f"deleted {kind} {name}", "ok")
        self.call_from_thread(self.action_refresh)

    def action_copy_id(self) -> None:
        if chosen := self.selected():
            self.copy_to_clipboard(chosen[1])  # OSC 52: reaches the local clipboard over SSH too
            self.notify(f"copied {chosen[1]}")

    def action_raw_json(self) -> None:
        if chosen := self.selected():
            from tui.screens.raw_json import RawJsonScreen

            item = chosen[2].get("raw", chosen[2])  # deployments keep the service's own body
            self.push_screen(RawJsonScreen(f"{KINDS[chosen[0]]} {chosen[1]}", item))

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen
        from tui.slash_commands import COMMANDS

        self.push_screen(HelpScreen({f"/{name}": text for name, text in COMMANDS.items()}))

    def confirm(self, question: str, detail: str, then, typed: str | None = None) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.push_screen(Confirm(question, detail, typed=typed), answered)


def _save_new(path: Path, text: str) -> Path:
    """Never overwrite an earlier download: job-results.csv, job-results-2.csv, ... (each written
    whole, and only under a name nothing holds yet, even if another download takes one meanwhile)."""
    from services.atomic_write import write_atomically

    n = 2
    candidate = path
    while True:
        try:
            return write_atomically(candidate, text, overwrite=False)
        except FileExistsError:
            candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
            n += 1
