"""What each command of tui/registry.py does: the methods the registry's `run` names.

The registry says where a command applies (the footer and the palette offer it only there) and
whether it writes (refused with "read-only" in read-only mode). Anything that calls the service
runs in a worker and reports in the console.
"""

from __future__ import annotations

from pathlib import Path

from textual import work

from tui.registry import ACTIVE, BY_SLASH, COMMANDS, Command, model_of, slash_help
from tui.screens.confirm import Confirm

KINDS = {"jobs": "job", "files": "file", "deployments": "deployment", "checkpoints": "checkpoint"}
DELETE_NOTES = {
    "job": "Its events and checkpoints go with it; a fine-tuned model it made stays.",
    "file": "Jobs that used it keep their results; new jobs cannot use it.",
    "deployment": "Hosting charges stop; the model stays and can be deployed again.",
    "model": "The fine-tuned model is gone for good; deployments of it must be deleted first.",
}


class Actions:
    """Mixed into FtdeckApp: what each command of tui/registry.py does (the method its `run`
    names), and the dialogs behind them."""

    def can_run(self, command: Command) -> bool:
        """Whether the command applies to the selected row (a key that does not apply does nothing)."""
        if command.applies is None:
            return True
        if command.panes is not None and self.current_pane not in command.panes:
            return False
        chosen = self.selected()
        return bool(chosen and command.applies(chosen[2]))

    def offers(self, command: Command) -> bool:
        """Whether the footer and the palette offer it: it applies, and read-only does not refuse it."""
        return self.can_run(command) and not (command.writes and self.read_only)

    def run_command(self, command: Command, args: tuple[str, ...] = (), slash: bool = False) -> None:
        """Run a command from its key, the palette or the console; writes say "read-only" there."""
        if command.writes and not self._writable():
            return
        method = (command.slash_run if slash and command.slash_run else None) or command.run
        getattr(self, method)(*command.bound, *args)

    def run_slash(self, name: str, words: list[str]) -> None:
        """A console line: `/name words...`."""
        command = BY_SLASH.get(name)
        if command is None:
            self.say(f"unknown command /{name}; /help lists them", "error")
            return
        args = command.parse(words)
        if args is None:
            alone = ", or alone for the selected row" if command.applies else ""
            self.say(f"{command.usage}: give all of its arguments{alone}", "warning")
            return
        self.run_command(command, args, slash=True)

    def show_row_actions(self) -> None:
        """Have the footer show the commands that apply now, only when that changed: each
        refresh_bindings() rebuilds the whole footer, which is most of a refresh's cost."""
        allowed = frozenset(c.id for c in COMMANDS if self.offers(c))
        if allowed != self._shown_actions:
            self._shown_actions = allowed
            self.refresh_bindings()

    def _writable(self) -> bool:
        if self.read_only:
            self.notify("Read-only: this profile does not change anything.", severity="warning")
            self.say("read-only: refused", "warning")
        return not self.read_only

    def _chosen(self, command_id: str) -> tuple[str, str, dict] | None:
        """The selected row if the command applies to it, else say why not."""
        from tui.registry import BY_ID

        command = BY_ID[command_id]
        if self.workspace is None:
            self.say("not connected yet", "warning")
            return None
        chosen = self.selected()
        if chosen is None or not self.can_run(command):
            what = chosen[1] if chosen else "nothing selected"
            active = chosen and chosen[0] == "jobs" and chosen[2].get("status") in ACTIVE
            why = f" while it is {chosen[2]['status']}" + ("; c cancels it" if command.id == "delete" else "") if active else ""
            self.say(f"{command.title} does not apply to {what} in {self.current_pane}{why}", "warning")
            return None
        return chosen

    # ------------------------------------------------------------ jobs

    def action_cancel_job(self, job_id: str | None = None) -> None:
        if job_id:  # /cancel JOB: no questions
            self.change_job("cancel_job", job_id)
        elif chosen := self._chosen("job.cancel"):
            job = chosen[2]
            self.confirm(f"Cancel job {job['id']}?", "Training stops; this cannot be undone.",
                         lambda: self.change_job("cancel_job", job["id"]))

    def action_pause_or_resume_job(self) -> None:
        if chosen := self._chosen("job.pause"):
            job = chosen[2]
            self.change_job("resume_job" if job["status"] == "paused" else "pause_job", job["id"])

    def pause_job(self, job_id: str | None = None) -> None:
        self._change_named_job("pause", job_id)

    def resume_job(self, job_id: str | None = None) -> None:
        self._change_named_job("resume", job_id)

    def _change_named_job(self, operation: str, job_id: str | None) -> None:
        job_id = job_id or self.followed_job
        if not job_id:
            self.say(f"/{operation} needs a job: select one or give its id", "warning")
        else:
            self.change_job(f"{operation}_job", job_id)

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
        from services.rft_rules import supports_reinforcement
        from tui.screens.create_job import CreateJobScreen

        if not self.models:
            self.load_models()
        files = [f for f in self.resources["files"].values() if f.get("status") == "processed"]
        # Newest-looking base models first (gpt-4o-mini before gpt-35-turbo), then what was trained here.
        tunable = fine_tunable(self.models)
        bases = sorted((m for m in tunable if not is_fine_tuned(m)), reverse=True)
        # The form starts on supervised: a model that takes only reinforcement (o4-mini) is not the one preselected.
        bases.sort(key=supports_reinforcement)
        models = bases + [m for m in tunable if is_fine_tuned(m)]
        models += [c["id"] for c in self.resources["checkpoints"].values()]  # checkpoints by id
        self.push_screen(CreateJobScreen(self.workspace, files, models, start_from=start_from, training=self.last_upload),
                         self.job_created)

    def job_created(self, job: dict | None) -> None:
        """Said once (the next listing knows it), then selected in the Jobs pane and followed."""
        if job:
            self.deck.made("jobs", job)
            self.say(f"created {job['id']} on {job['model']} ({job['status']}): selected, its events follow", "ok")
            self.show_rows("jobs", self.jobs.values())
            self.action_focus_pane("jobs")
            self.select_row("jobs", job["id"])
            self.action_refresh()

    def action_fine_tune_further(self) -> None:
        if chosen := self._chosen("job.further"):
            self.action_new_job(start_from=model_of(chosen[2]))

    def action_results(self, job_id: str | None = None) -> None:
        if job_id:
            self.download_results(job_id)
        elif chosen := self._chosen("job.results"):
            self.download_results(chosen[1])

    @work(thread=True, group="results", exit_on_error=False)
    def download_results(self, job_id: str, folder: Path | None = None) -> None:
        from services.results import Curves, download_results
        from services.safe_names import safe_file_name

        text = download_results(self.workspace, job_id)
        safe = safe_file_name(f"{job_id}-results.csv", "the job id made it")  # the id is the service's
        path = _save_new((folder or Path.cwd()) / safe.name, text)
        curves = Curves.parse(text, f"the results.csv of {job_id}")
        summary = curves.readable()  # as `ftdeck jobs results` prints it, the overfitting warning last
        warning = summary.pop() if curves.overfitting() else None
        self.call_from_thread(self.say, "\n".join([f"saved {path}{f' ({safe.note})' if safe.note else ''}", *summary]), "ok")
        if warning:
            self.call_from_thread(self.say, warning.removeprefix("warning: "), "warning")

    # ------------------------------------------------------------ files, deployments, the playground

    def action_upload(self, path: str | None = None) -> None:
        if not self._writable() or self.workspace is None:
            return
        from tui.screens.upload import UploadScreen

        self.push_screen(UploadScreen(self.workspace, path), self.file_uploaded)

    def file_uploaded(self, file: dict | None) -> None:
        """In the Files pane at once, and the one `n` trains on unless another is chosen."""
        if file:
            self.deck.made("files", file)
            self.last_upload = file["id"]
            self.show_rows("files", self.resources["files"].values())
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
        from services.model_ids import checkpoint_name_problem

        if problem := checkpoint_name_problem(model):
            self.say(problem, "warning")
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
        # ARM's provisioningState is a word, not an adjective: never "pirate is Succeeded".
        if facts["state"] == "Succeeded":
            self.say(f"{facts['name']} is deployed: press g on it to chat (playground)", "ok")
        else:
            self.say(f"{facts['name']}: deployment {str(facts['state']).lower()}", "warning")
        for note in facts.get("notes", []):
            self.say(f"note: {note}", "warning")
        self.action_refresh()

    def action_update_deployment(self) -> None:
        """A new capacity (or sku) for the selected deployment."""
        chosen = self._chosen("deployment.update")
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
            # A checkpoint is deployed by its id (fine-tuning-deploy), a model by its name.
            deployment = row_id if pane in ("deployments", "checkpoints") else model_of(item)
        checkpoints = {c["id"]: c["fine_tuned_model_checkpoint"] for c in self.resources["checkpoints"].values()}
        left, right = sides_for(models, deployment, checkpoints) if deployment else (None, None)
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
        elif kind not in DELETE_NOTES:
            self.say("/delete job|file|deployment|model ID, or /delete alone for the selected row", "warning")
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

        self.push_screen(HelpScreen(slash_help()))

    def say_commands(self) -> None:
        """/help: the console's commands, in the console."""
        commands = slash_help()
        width = max(map(len, commands))
        for usage, text in commands.items():
            self.say(f"{usage:{width}}  {text}")

    def switch_theme(self, name: str | None = None) -> None:
        if name and name in self.available_themes:
            self.theme = name
        else:
            self.say("themes: " + ", ".join(sorted(self.available_themes)), "warning" if name else "info")

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
