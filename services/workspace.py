"""A connection to one Azure OpenAI resource (or the built-in emulator): the data plane through
the openai SDK, deployments through ARM. openai and azure-identity are imported on first use:
together they cost over a second of start-up."""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator

import httpx
from pydantic import SecretStr

from services.api_calls import CallLog, RecordingClient, retry_after
from services.config import LOCAL, PREVIEW_VERSION, ConfigError, Profile, emulator_environment, resolve_profile
from services.errors import FtdeckError, explain_management_response, explain_no_answer, explain_openai_error

if TYPE_CHECKING:
    from openai import AzureOpenAI

    from emulator.server import EmbeddedEmulator

COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default"
MANAGEMENT_SCOPE = "https://management.azure.com/.default"
MANAGEMENT_ATTEMPTS = 4  # the first request and up to three more
LONGEST_WAIT = 30.0  # seconds; a longer retry-after (a quota spent for the day) is reported, not slept through
NO_MANAGEMENT_PLANE = (
    "deployments need the management plane: set AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP and "
    "AZURE_OPENAI_ACCOUNT (or subscription_id, resource_group, account in the profile)"
)


@dataclass
class Workspace:
    profile_name: str
    profile: Profile
    emulator: "EmbeddedEmulator | None" = None
    calls: CallLog = field(default_factory=CallLog, repr=False)
    _openai: "AzureOpenAI | None" = field(default=None, repr=False)
    _management: httpx.Client | None = field(default=None, repr=False)
    _credential: Any = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        return self.profile.endpoint or ""

    @property
    def is_emulator(self) -> bool:
        return self.emulator is not None

    def openai(self) -> "AzureOpenAI":
        """The data-plane client, built on first use."""
        if self._openai is None:
            from openai import AzureOpenAI

            auth: dict[str, Any]
            if self.profile.auth == "entra":
                from azure.identity import get_bearer_token_provider

                auth = {"azure_ad_token_provider": get_bearer_token_provider(self.credential(), COGNITIVE_SCOPE)}
            else:
                auth = {"api_key": _reveal(self.profile.api_key)}
            # A plain httpx client works with every openai major (1.x uses httpx, 3.x accepts it beside
            # httpx2); these are the SDK's own defaults (openai.DefaultHttpxClient), lost otherwise.
            http = RecordingClient(
                self.calls,
                "data",
                timeout=httpx.Timeout(600, connect=5),
                limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100),
                follow_redirects=True,
                transport=self._emulator_transport(),
            )
            self._openai = AzureOpenAI(
                azure_endpoint=self.endpoint, api_version=self.profile.api_version, http_client=http, **auth
            )
        return self._openai

    def _emulator_transport(self) -> httpx.BaseTransport | None:
        """The built-in emulator's requests go to whichever ftdeck process owns its data now."""
        return self.emulator.transport() if self.emulator is not None else None

    def credential(self) -> Any:
        """Entra ID: environment, workload/managed identity, Azure CLI, azd...; on a terminal with none
        of those (an SSH box), a device-code login as the last resort (no browser needed here)."""
        if self._credential is None:
            from azure.identity import ChainedTokenCredential, DefaultAzureCredential, DeviceCodeCredential

            credential = DefaultAzureCredential(exclude_interactive_browser_credential=True)
            if sys.stdin.isatty():
                credential = ChainedTokenCredential(credential, DeviceCodeCredential())
            self._credential = credential
        return self._credential

    def deployments_url(self) -> str:
        p = self.profile
        return (
            f"{p.management_endpoint.rstrip('/')}/subscriptions/{p.subscription_id}/resourceGroups/{p.resource_group}"
            f"/providers/Microsoft.CognitiveServices/accounts/{p.account}/deployments"
        )

    def management_headers(self) -> dict[str, str]:
        token = _reveal(self.profile.management_token)
        if token is None and self.profile.auth == "entra":
            token = self.credential().get_token(MANAGEMENT_SCOPE).token
        return {"Authorization": f"Bearer {token}"} if token else {}

    @property
    def has_management_plane(self) -> bool:
        """Whether deployments can be reached: the management plane needs the account's coordinates."""
        p = self.profile
        return bool(p.subscription_id and p.resource_group and p.account)

    def arm(self, method: str, path: str = "", body: dict | None = None) -> httpx.Response:
        """A management-plane request under this account's deployments; errors become FtdeckError.

        Sent again after throttling (429), a server error (5xx) or no answer, once the service's
        retry-after (or a backoff) has passed: what the openai SDK does on the data plane. Safe to
        send again: a deployment is read, put and deleted by name, so a request whose answer was
        lost does nothing more the second time."""
        p = self.profile
        if not self.has_management_plane:
            raise FtdeckError(NO_MANAGEMENT_PLANE, exit_code=2)
        if self._management is None:
            self._management = RecordingClient(self.calls, "management", timeout=60, transport=self._emulator_transport())
        for attempt in range(1, MANAGEMENT_ATTEMPTS + 1):
            try:
                response = self._management.request(
                    method,
                    self.deployments_url() + path,
                    params={"api-version": p.management_api_version},
                    json=body,
                    headers=self.management_headers(),
                )
            except httpx.HTTPError as exc:
                # Nothing accepted the connection: a wrong or stopped endpoint, better said at once.
                wait = None if isinstance(exc, httpx.ConnectError) else backoff(attempt)
                if wait is None or attempt == MANAGEMENT_ATTEMPTS:
                    raise explain_no_answer(exc, p.management_endpoint, "the management endpoint", "FTDECK_MANAGEMENT_ENDPOINT") from None
            else:
                if response.status_code < 400:
                    return response
                wait = _retry_wait(response, attempt)
                if wait is None or attempt == MANAGEMENT_ATTEMPTS:
                    raise explain_management_response(response)
            time.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def preview(self) -> dict[str, Any]:
        """Per-call options for preview-only operations (pause, resume, DPO, trainingType)."""
        version = self.profile.api_version
        return {} if version.endswith("-preview") else {"extra_query": {"api-version": PREVIEW_VERSION}}

    def close(self) -> None:
        if self._openai is not None:
            self._openai.close()  # and its RecordingClient
        if self._management is not None:
            self._management.close()
        if self.emulator is not None:
            self.emulator.stop()


@contextlib.contextmanager
def calling() -> Iterator[None]:
    """Wrap data-plane calls: SDK exceptions come out as one actionable FtdeckError."""
    import openai

    try:
        yield
    except openai.OpenAIError as exc:
        raise explain_openai_error(exc) from None


def _retry_wait(response: httpx.Response, attempt: int) -> float | None:
    """Seconds to wait before sending again after an error answer, or None when sending again would
    not help: a refusal (4xx but 429), or a retry-after too long to sit through."""
    if not (response.status_code == 429 or response.status_code >= 500):
        return None
    wait = retry_after(response.headers)
    return backoff(attempt) if wait is None else wait if wait <= LONGEST_WAIT else None


def backoff(attempt: int) -> float:
    """Seconds to wait before sending again after the `attempt`-th try, when the service named no
    time: 0.5, 1, 2, ..."""
    return 0.5 * 2 ** (attempt - 1)


def _reveal(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret else None


def open_workspace(profile_name: str | None = None) -> Workspace:
    """Connect to the chosen profile; `local` starts the built-in emulator in this process."""
    try:
        name, profile = resolve_profile(profile_name)
    except ConfigError as exc:
        raise FtdeckError(str(exc), exit_code=2) from None
    if name != LOCAL:
        return Workspace(name, profile)
    from emulator.server import EmbeddedEmulator
    from emulator.store import DatabaseUnusable
    from services.paths import emulator_data_dir

    # Demos run it faster; screenshots and snapshot tests freeze its clock and seed its ids.
    try:
        settings = emulator_environment()
    except ConfigError as exc:
        raise FtdeckError(str(exc), exit_code=2) from None
    try:
        emulator = EmbeddedEmulator.start(emulator_data_dir(), speed=settings.speed, frozen_at=settings.frozen_at, seed=settings.seed)
    except DatabaseUnusable as exc:
        raise FtdeckError(str(exc), exit_code=2) from None
    except RuntimeError as exc:  # its data folder's owner does not answer
        raise FtdeckError(str(exc)) from None
    key = SecretStr(emulator.api_key)
    local = Profile(
        endpoint=emulator.url,
        api_key=key,
        api_version=PREVIEW_VERSION,
        subscription_id="00000000-0000-0000-0000-000000000000",
        resource_group="ftdeck-demo",
        account="ftdeck-emulator",
        management_endpoint=emulator.url,
        management_token=key,
    )
    return Workspace(LOCAL, local, emulator=emulator)
