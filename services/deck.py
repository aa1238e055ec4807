"""What the deck's panes show, and the refresh, follow and report logic behind them: no Textual.

Workers call `list_resources` and `poll_followed` (they ask the service); the UI hands their results
to `loaded`, `failed` and `job_updated`, which keep the state and answer with immutable snapshots
and the console notices to say ("job succeeded, deploy it?", "deployment nearly deleted"). The TUI
only draws what it is given, so everything here is tested without a screen (tests/test_deck.py).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Callable, Mapping

if TYPE_CHECKING:
    from services.jobs import EventTail
    from services.workspace import Workspace

# The panes are listed, then the followed job's new events read, this often: Azure reports a
# step every few seconds at best; polling faster only costs CPU.
REFRESH_SECONDS = 2.0
ACTIVE = ("pending", "running", "pausing", "paused", "resuming", "validating_files", "queued")
NEARLY_DELETED_DAYS = 3
PANES = ("jobs", "checkpoints", "files", "deployments")
ROW_ID = {"deployments": "name"}  # the others are known by "id"


@dataclass(frozen=True)
class Notice:
    """A line for the console: text and its kind (info, ok, warning, error)."""

    text: str
    kind: str = "info"


@dataclass(frozen=True)
class Listing:
    """One refresh, as the panes show it: each pane's resources in order, and what to say."""

    panes: Mapping[str, tuple[dict, ...]]
    notices: tuple[Notice, ...] = ()


@dataclass(frozen=True)
class JobUpdate:
    """The followed job's latest state, checkpoints and the events that are new (never coalesced)."""

    job: dict
    checkpoints: tuple[dict, ...]
    new_events: tuple[dict, ...]
    as_of: float | None  # the service's time of the latest event


@dataclass
class Deck:
    now: Callable[[], float] = time.time
    # The last listed resources of each pane, by row id: details, raw JSON and actions use them.
    resources: dict[str, dict[str, dict]] = field(default_factory=lambda: {name: {} for name in PANES})
    followed_job: str | None = None
    tail: "EventTail | None" = None  # the followed job's events
    metrics: list[dict] = field(default_factory=list)  # the followed job's metrics, oldest first
    offline: str | None = None  # why the endpoint is not answering, while it is not
    last_refresh: float | None = None
    paused: bool = False
    _statuses: dict[str, str] | None = None
    _warned_deployments: set[str] = field(default_factory=set)
    _last_seen: tuple | None = None  # (job, checkpoints) last handed out: unchanged ones aren't again
    _polling: threading.Lock = field(default_factory=threading.Lock)  # one poll of the followed job at a time
    _refreshing: threading.Lock = field(default_factory=threading.Lock)  # held while a listing asks the service

    @property
    def jobs(self) -> dict[str, dict]:
        return self.resources["jobs"]

    @property
    def refreshing(self) -> bool:
        return self._refreshing.locked()

    # ------------------------------------------------------------ worker side (any thread)

    def list_resources(self, workspace: "Workspace", called: dict) -> dict[str, list[dict]] | None:
        """Every pane's resources from the service (raises when it does not answer); None when a
        listing is already under way (a slow endpoint: no pile-up). `called`: when ftdeck last
        called each deployment (services.usage.last_calls), for its days left."""
        from services import deployments, files, jobs

        def described(deployment: dict) -> dict:
            """Flat facts for the pane and the detail, days left counted from ftdeck's last call too."""
            used = called.get(deployment["name"])
            return {**deployments.describe(deployment, now=self.now(), last_call=used), "raw": deployment, "last_call": used}

        if not self._refreshing.acquire(blocking=False):
            return None
        try:
            return {
                "jobs": jobs.list_jobs(workspace),
                "files": files.list_files(workspace),
                # Without the management plane, jobs and files still work: the pane stays empty.
                "deployments": [described(d) for d in deployments.list_deployments(workspace)]
                if workspace.has_management_plane else [],
            }
        finally:
            self._refreshing.release()

    def poll_followed(self, workspace: "Workspace") -> JobUpdate | None:
        """The followed job's new events (and checkpoints when they may have changed); None when
        there is nothing new to draw. Raises when the service does not answer."""
        # A poll still under way (a slow endpoint, a long first read) is not joined by another:
        # two would re-read the same events.
        if self.followed_job is None or not self._polling.acquire(blocking=False):
            return None
        try:
            while True:
                job_id = self.followed_job
                update = self._poll(workspace, job_id)
                if job_id == self.followed_job or self.followed_job is None:
                    return update
                # Another job was selected while this poll waited on a slow service: it is read
                # now, rather than after the next listing (the other one's poll was turned away).
        finally:
            self._polling.release()

    def _poll(self, workspace: "Workspace", job_id: str) -> JobUpdate | None:
        from services import jobs

        if self.tail is None or self.tail.job_id != job_id:
            self.tail = jobs.EventTail(job_id)
        tail = self.tail
        if tail.events and self._last_seen and self._last_seen[0]["status"] not in ACTIVE:
            return None  # polled since it finished: nothing new to say
        # Polls follow each listing of the panes, which has the job as fresh as can be.
        job = self.jobs.get(job_id) or jobs.get_job(workspace, job_id)
        new_events = tail.poll(workspace)
        # Checkpoints come at epoch ends and pauses, and Azure sends no event for them: ask
        # again whenever the job moved (a step, a status) or said something, not on every poll.
        last_checkpoints = self._last_seen[1] if self._last_seen else None
        if last_checkpoints is None or new_events or job != self._last_seen[0]:
            checkpoints = jobs.list_checkpoints(workspace, job_id)
        else:
            checkpoints = last_checkpoints
        if job_id != self.followed_job or (not new_events and self._last_seen == (job, checkpoints)):
            return None  # nothing to redraw
        self._last_seen = (job, checkpoints)
        as_of = tail.events[-1]["created_at"] if tail.events else None
        return JobUpdate(job, tuple(checkpoints), tuple(new_events), as_of)

    # ------------------------------------------------------------ UI side (the main thread)

    def loaded(self, found: Mapping[str, list[dict]]) -> Listing:
        """A listing arrived: keep it, and say what changed since the last one."""
        notices: list[Notice] = []
        if self.offline:
            notices.append(Notice("back online", "ok"))
            self.offline = None
        notices += self.job_changes(found.get("jobs", []))
        notices += self.nearly_deleted(found.get("deployments", []))
        for pane, items in found.items():
            self.store(pane, items)
        self.last_refresh = self.now()
        return Listing(MappingProxyType({pane: tuple(items) for pane, items in found.items()}), tuple(notices))

    def failed(self, error: Exception) -> tuple[Notice, ...]:
        """A listing or poll got no answer: OFFLINE, said once until it is back."""
        said = () if self.offline else (Notice(f"cannot refresh: {error}; retrying every {REFRESH_SECONDS:g}s", "error"),)
        self.offline = str(error)
        return said

    def store(self, pane: str, items: list[dict] | tuple[dict, ...]) -> None:
        key = ROW_ID.get(pane, "id")
        self.resources[pane] = {item[key]: item for item in items}

    def made(self, pane: str, item: dict) -> None:
        """A resource ftdeck itself just made (an uploaded file, a created job): in its pane at
        once, newest first, before the next listing; and that listing does not report it as new
        (the form that made it said so already)."""
        key = item[ROW_ID.get(pane, "id")]
        self.resources[pane] = {key: item, **{k: v for k, v in self.resources[pane].items() if k != key}}
        if pane == "jobs" and self._statuses is not None:
            self._statuses[key] = item["status"]

    def follow(self, job_id: str | None) -> bool:
        """Follow another job from its start; False when it is the one followed already."""
        if job_id == self.followed_job or job_id is None:
            return False
        self.followed_job = job_id
        self.tail = None
        self.metrics = []
        self._last_seen = None
        self.resources["checkpoints"] = {}
        return True

    def job_updated(self, update: JobUpdate) -> bool:
        """Take a poll's result in; False when it is about a job no longer followed."""
        if update.job["id"] != self.followed_job:
            return False
        self.jobs[update.job["id"]] = update.job
        self.metrics += [e["data"] for e in update.new_events if e.get("type") == "metrics" and e.get("data")]
        self.store("checkpoints", update.checkpoints)
        return True

    def job_changes(self, found: list[dict]) -> list[Notice]:
        """A job that appears or changes state (not on the first listing)."""
        statuses = {job["id"]: job["status"] for job in found}
        known, self._statuses = self._statuses, statuses
        if known is None:
            return []
        notices = []
        for job in found:
            job_id, status = job["id"], job["status"]
            if known.get(job_id) == status:
                continue
            kind = {"succeeded": "ok", "failed": "error", "cancelled": "warning"}.get(status, "info")
            notices.append(Notice(f"{job_id} {status_said(status)}" if job_id in known else f"{job_id} created ({status})", kind))
            error = job.get("error") or {}
            if status == "failed" and error.get("message"):
                notices.append(Notice(f"{job_id}: {error.get('code')}: {error['message']}", "error"))
            if status == "succeeded":
                notices.append(Notice(f"{job_id} made {job.get('fine_tuned_model')}: deploy it? select it and press d, or /deploy NAME", "ok"))
        return notices

    def nearly_deleted(self, found: list[dict]) -> list[Notice]:
        """Deployments Azure may soon delete for inactivity: said once each."""
        notices = []
        for facts in found:
            days = facts.get("days_left_at_most")
            if days is not None and days <= NEARLY_DELETED_DAYS and facts["name"] not in self._warned_deployments:
                self._warned_deployments.add(facts["name"])
                notices.append(Notice(f"deployment {facts['name']} may be deleted for inactivity in {days:g} days or less: chat with it to keep it", "warning"))
        return notices


def status_said(status: str) -> str:
    """A job's new status as a sentence's end: 'succeeded', 'failed', 'is running' (never
    'is succeeded'), 'is validating files'."""
    return status if status in ("succeeded", "failed") else f"is {status.replace('_', ' ')}"
