"""A connection to one Azure OpenAI resource (or the built-in emulator): the data plane through
the openai SDK, deployments through ARM. openai and azure-identity are imported on first use:
together they cost over a second of start-up."""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator

import httpx
from pydantic import SecretStr

from services import api_versions
from services.api_calls import CallLog, RecordingClient
from services.config import LOCAL, PREVIEW_VERSION, ConfigError, Profile, emulator_environment, resolve_profile
from services.errors import (FtdeckError, data_plane_unreachable, explain_data_response, explain_management_response,
                             explain_no_answer, explain_openai_error)
from services.retries import RetryPolicy, Wait

if TYPE_CHECKING:
    from openai import OpenAI

    from emulator.server import EmbeddedEmulator

COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default"
MANAGEMENT_SCOPE = "https://management.azure.com/.default"
# A listing answers in seconds: past 30 s without a byte, the endpoint is not answering (the TUI
# says OFFLINE, a command tries again or says so). Uploads and streamed replies wait longer.
TIMEOUT = httpx.Timeout(30, connect=5)
LONG_TIMEOUT = httpx.Timeout(600, connect=5)
NO_MANAGEMENT_PLANE = (
    "deployments need the management plane: set AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP and "
    "AZURE_OPENAI_ACCOUNT (or subscription_id, resource_group, account in the profile)"
)

NO_KEY = "no key for the data plane: set AZURE_OPENAI_API_KEY (or the profile's api_key), or auth = \"entra\" for Entra ID"


@dataclass
class Workspace:
    profile_name: str
    profile: Profile
    emulator: "EmbeddedEmulator | None" = None
    calls: CallLog = field(default_factory=CallLog, repr=False)
    retries: RetryPolicy = field(default_factory=RetryPolicy.from_environment, repr=False)
    _wait_listeners: list = field(default_factory=list, repr=False)
    _openai: "OpenAI | None" = field(default=None, repr=False)
    _data: "RecordingClient | None" = field(default=None, repr=False)
    _token: "Callable[[], str] | None" = field(default=None, repr=False)
    _management: httpx.Client | None = field(default=None, repr=False)
    _credential: Any = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        return self.profile.endpoint or ""

    @property
    def is_emulator(self) -> bool:
        return self.emulator is not None

    def on_wait(self, listener: "Callable[[Wait], object]") -> None:
        """Hear of each wait before a request is sent again (on the thread that waits)."""
        self._wait_listeners.append(listener)

    def report_wait(self, wait: Wait) -> None:
        for listener in list(self._wait_listeners):
            try:
                listener(wait)
            except Exception:  # a broken display must not fail the call
                pass

    def openai(self) -> "OpenAI":
        """The data-plane client, built on first use: AzureOpenAI on the versioned surface, the plain
        OpenAI client on the v1 API (both the openai SDK's; same methods, same answers)."""
        if self._openai is None:
            from openai import AzureOpenAI, OpenAI

            token = self.entra_token()
            http = self.data_http()
            if self.profile.is_v1:
                # Azure's v1 form (api-version-lifecycle): base_url {endpoint}/openai/v1/, the key or an
                # Entra token provider as api_key (sent as a bearer), no api-version. Without either the
                # SDK would send OPENAI_API_KEY, a key for another service: refused here instead.
                key = token or _reveal(self.profile.api_key)
                if key is None:
                    raise FtdeckError(NO_KEY, exit_code=2)
                self._openai = OpenAI(base_url=f"{self.endpoint}/openai/v1/", api_key=key, http_client=http,
                                      max_retries=0, timeout=TIMEOUT)
            else:
                auth: dict[str, Any] = {"azure_ad_token_provider": token} if token else {"api_key": _reveal(self.profile.api_key)}
                self._openai = AzureOpenAI(
                    azure_endpoint=self.endpoint, api_version=self.profile.api_version, http_client=http,
                    max_retries=0, timeout=TIMEOUT, **auth
                )
        return self._openai

    def data_http(self) -> RecordingClient:
        """The data plane's HTTP client: the SDK's, and get_json's. Every request it sends is logged,
        sent again under the one retry policy and its answer checked (services/api_calls.py)."""
        if self._data is None:
            # A plain httpx client works with every openai major (1.x uses httpx, 3.x accepts it beside
            # httpx2); the limits are the SDK's own defaults (openai.DefaultHttpxClient), lost otherwise.
            # The SDK's own retries are off: the client retries under the one policy, and says so.
            self._data = RecordingClient(
                self.calls,
                "data",
                self.retries,
                self.report_wait,
                timeout=TIMEOUT,
                limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100),
                transport=self._emulator_transport(),
            )
        return self._data

    def entra_token(self) -> "Callable[[], str] | None":
        """With auth = "entra", what gives a data-plane bearer token (cached by azure-identity)."""
        if self._token is None and self.profile.auth == "entra":
            from azure.identity import get_bearer_token_provider

            self._token = get_bearer_token_provider(self.credential(), COGNITIVE_SCOPE)
        return self._token

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET a data-plane listing (`fine_tuning/jobs`, `files`) as the SDK sends it (URL, api-version,
        key or token), on the SDK's own HTTP client, without importing the SDK: that import costs a
        second, and a listing, the CLI's commonest command and the TUI's first data, needs none of it.
        A failure is worded as `calling()` words the SDK's."""
        p = self.profile
        token = self.entra_token()
        key = token() if token else _reveal(p.api_key)
        if key is None and not p.is_v1:
            with calling():
                self.openai()  # no key on the versioned surface: the SDK's own words say so
        if key is None:
            raise FtdeckError(NO_KEY, exit_code=2)
        base, query = (f"{self.endpoint}/openai/v1/", {}) if p.is_v1 else (f"{self.endpoint}/openai/", {"api-version": p.api_version})
        auth = {"api-key": key} if not (token or p.is_v1) else {"Authorization": f"Bearer {key}"}
        try:
            response = self.data_http().get(base + path, params={**query, **(params or {})}, headers=auth)
        except httpx.HTTPError as exc:
            raise data_plane_unreachable(exc, httpx.URL(base)) from None
        if response.status_code >= 400:
            raise explain_data_response(response)
        return response.json()

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

    def arm(self, method: str, path: str = "", body: dict | None = None, *, url: str | None = None,
            api_version: str | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
        """A management-plane request under this account's deployments; errors become FtdeckError.
        `url` is one the service gave (a `nextLink`, an `Azure-AsyncOperation`): it must be on the
        management endpoint, since the token goes with it.

        Sent again under the retry policy (throttling, server errors, no answer), as on the data
        plane. Safe to send again: a deployment is read, put and deleted by name, so a request
        whose answer was lost does nothing more the second time."""
        p = self.profile
        if not self.has_management_plane:
            raise FtdeckError(NO_MANAGEMENT_PLANE, exit_code=2)
        if url is not None and httpx.URL(url).netloc != httpx.URL(p.management_endpoint).netloc:
            raise FtdeckError(f"the management plane pointed to another host ({httpx.URL(url).host}): not followed, "
                              "the token would go with it")
        if self._management is None:
            self._management = RecordingClient(self.calls, "management", self.retries, self.report_wait, timeout=TIMEOUT,
                                               transport=self._emulator_transport())
        try:
            given = httpx.URL(url or self.deployments_url() + path)  # a link's own query ($skipToken...) is kept
            response = self._management.request(
                method,
                given.copy_with(query=None),
                params={**dict(given.params), "api-version": api_version or p.management_api_version},
                json=body,
                headers={**self.management_headers(), **(headers or {})},
            )
        except httpx.HTTPError as exc:
            raise explain_no_answer(exc, p.management_endpoint, "the management endpoint", "FTDECK_MANAGEMENT_ENDPOINT") from None
        if response.status_code >= 400:
            raise explain_management_response(response)
        return response

    def preview(self, first: str = api_versions.PREVIEW_FEATURES_FROM) -> dict[str, Any]:
        """Per-call options for preview-only operations (pause, resume, DPO, trainingType): the profile's
        own api-version when its date has them (services/api_versions.py), else the preview that does."""
        if self.profile.is_v1:  # v1 serves them with no api-version (its spec lists pause, resume, method)
            return {}
        version = self.profile.api_version
        return {} if api_versions.has(version, first) else {"extra_query": {"api-version": PREVIEW_VERSION}}

    def close(self) -> None:
        if self._openai is not None:
            self._openai.close()
        if self._data is not None:
            self._data.close()
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
