"""A tiny service in the shape of Azure OpenAI (both planes) that gives hostile names: jobs whose
ids are paths, files whose names are paths. Whatever else is asked gets an empty list. It lets the
tests prove ftdeck's own safety, whatever the emulator accepts from uploaders."""

from __future__ import annotations

import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

RESULTS_CSV = "step,train_loss,train_mean_token_accuracy\n1,1.5,0.4\n2,1.2,0.5\n"
EMPTY = {"object": "list", "data": [], "has_more": False, "value": []}  # a data-plane and an ARM list


def job(job_id: str) -> dict:
    return {"id": job_id, "object": "fine_tuning.job", "model": "gpt-4o-mini-2024-07-18", "status": "succeeded",
            "created_at": 1_700_000_000, "finished_at": 1_700_000_600, "fine_tuned_model": None,
            "training_file": "file-train", "validation_file": None, "result_files": ["file-results"],
            "hyperparameters": {"n_epochs": 1, "batch_size": 1, "learning_rate_multiplier": 1.0},
            "trained_tokens": 100, "seed": 1, "organization_id": "org", "error": None}


def file(file_id: str, filename: str) -> dict:
    return {"id": file_id, "object": "file", "filename": filename, "purpose": "fine-tune", "status": "processed",
            "bytes": len(CONTENT), "created_at": 1_700_000_000}


CONTENT = b'{"messages": []}\n'


class HostileService:
    """Serves `jobs` (ids) and `files` ({id: filename}) on 127.0.0.1, on a port of its own."""

    def __init__(self, jobs: list[str] = (), files: dict[str, str] | None = None) -> None:
        self.jobs = [job(j) for j in jobs]
        self.files = [file(i, name) for i, name in (files or {}).items()]
        app = Starlette(routes=[Route("/{path:path}", self.answer, methods=["GET", "POST", "PUT", "DELETE"])])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the hostile service did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    async def answer(self, request: Request) -> Response:
        path = "/" + request.path_params["path"]  # decoded: an id sent as %2F arrives as /
        for prefix, items in (("/openai/fine_tuning/jobs", self.jobs), ("/openai/files", self.files)):
            if path == prefix:
                return JSONResponse({**EMPTY, "data": items})
            if not path.startswith(prefix + "/"):
                continue
            rest = path[len(prefix) + 1:]
            for item in items:
                if rest == item["id"]:
                    return JSONResponse(item)
                if rest == item["id"] + "/content":
                    return Response(CONTENT)
            if rest == "file-results/content":
                return Response(RESULTS_CSV, media_type="text/csv")
        return JSONResponse(EMPTY)
