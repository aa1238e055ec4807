"""Which Azure OpenAI resource ftdeck talks to: named profiles in a TOML file, overridden by the
environment variables users already have; with nothing configured, the built-in emulator.

    # ~/.config/ftdeck/config.toml
    default_profile = "work"
    [profiles.work]
    endpoint = "https://myres.openai.azure.com"
    auth = "entra"                      # or "key" (then api_key, or AZURE_OPENAI_API_KEY)
    api = "v1"                          # Azure's v1 API (/openai/v1/, no api-version); default "versioned"
    subscription_id = "..."
    resource_group = "rg-ml"
    account = "myres"
    production = true                   # typed confirmations, a different accent

`ftdeck config set` / `remove` edit this file (services/config_file.py).
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from services.paths import config_dir

LOCAL = "local"  # the built-in emulator's profile
ENV = "env"  # the profile made from environment variables alone
DATA_PLANE_VERSION = "2024-10-21"  # latest GA (spec section 2)
PREVIEW_VERSION = "2025-04-01-preview"  # pause/resume, method, DPO, trainingType
MANAGEMENT_VERSION = "2024-10-01"
# Azure's v1 API: `{endpoint}/openai/v1/`, no api-version (MicrosoftDocs/azure-ai-docs api-version-lifecycle:
# `OpenAI(base_url="https://RES.openai.azure.com/openai/v1/", ...)`). "v1" is also the value its spec gives
# the optional api-version (AzureAIFoundryModelsApiVersion), so OPENAI_API_VERSION=v1 asks for it too.
V1 = "v1"
VERSIONED = "versioned"  # `{endpoint}/openai/...?api-version=DATE`, the surface AzureOpenAI() calls
# A dated api-version as Azure names them (2024-10-21, 2025-04-01-preview): whether Azure serves it is
# the service's to say; a value of another shape is a typo.
API_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}(-preview)?")
API_VERSION_EXAMPLE = f"{DATA_PLANE_VERSION} (or {V1} for the v1 API)"
ENDPOINT_EXAMPLE = "https://<resource>.openai.azure.com"
MANAGEMENT_EXAMPLE = "https://management.azure.com"


class ConfigError(Exception):
    """The configuration cannot be used; the message says what to fix and where."""


def checked_endpoint(value: str, example: str = ENDPOINT_EXAMPLE) -> str:
    """`value` as ftdeck uses an endpoint: scheme://host[:port], a trailing / dropped. Anything
    else is refused (a ValueError whose text follows the value: "is not ...") with the fix: ftdeck
    adds the /openai/... and ARM paths itself, so a path (copied from a portal's sample URL) would
    only ever 404."""
    text = value.strip()
    parts = urlsplit(text if "://" in text else f"//{text}")  # without a scheme, still find the host
    if parts.scheme not in ("https", "http"):
        good = f"https://{parts.netloc}" if parts.netloc and not parts.scheme else example
        raise ValueError(f"is not an http(s) URL: expected something like {good}")
    try:
        parts.port  # raises on a port that is not a number, or out of range
    except ValueError:
        raise ValueError(f"has no valid port (a number from 1 to 65535 after ':'): expected something like {example}") from None
    if not parts.hostname:
        raise ValueError(f"has no host name: expected something like {example}")
    origin = f"{parts.scheme}://{parts.netloc}"
    if parts.path.strip("/").lower() == "openai/v1" and example == ENDPOINT_EXAMPLE:  # the docs' base_url
        raise ValueError(f"is the v1 API's base URL: ftdeck adds /openai/v1/ itself; give the resource's address "
                         f"alone, {origin}, with api = \"v1\" in the profile (or OPENAI_API_VERSION=v1)")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise ValueError(f"has a path ({text[len(origin):]}): ftdeck adds /openai/... itself; "
                         f"give the resource's address alone: {origin}")
    return origin


def checked_api_version(value: str) -> str:
    """`value` as a data-plane api-version: "v1" or a dated one; else a ValueError saying what is wrong."""
    text = value.strip()
    if not text:
        raise ValueError(f"is empty: give one like {API_VERSION_EXAMPLE}")
    if text == "preview":  # the v1 spec's other value: v1's previews, which ftdeck does not use
        raise ValueError(f"is the v1 API's preview: ftdeck calls the GA v1 API, set {V1}")
    if text != V1 and not API_VERSION.fullmatch(text):
        raise ValueError(f"is not an api-version: expected one like {API_VERSION_EXAMPLE}")
    return text


class Profile(BaseModel):
    endpoint: str | None = None
    auth: Literal["key", "entra"] = "key"
    api_key: SecretStr | None = None
    api: Literal["versioned", "v1"] = VERSIONED  # which of Azure's data-plane surfaces to call
    api_version: str = DATA_PLANE_VERSION  # on the versioned surface only
    subscription_id: str | None = None
    resource_group: str | None = None
    account: str | None = None
    management_endpoint: str = "https://management.azure.com"
    management_api_version: str = MANAGEMENT_VERSION
    management_token: SecretStr | None = None
    read_only: bool = False
    production: bool = False
    theme: str | None = None
    accent: str | None = None
    assistant_deployment: str | None = None  # the deployment the console's assistant asks (services/assistant.py)

    model_config = {"extra": "forbid"}

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        return None if value is None else checked_endpoint(value)

    @field_validator("management_endpoint")
    @classmethod
    def _management_endpoint(cls, value: str) -> str:
        return checked_endpoint(value, MANAGEMENT_EXAMPLE)

    @field_validator("api_version")
    @classmethod
    def _api_version(cls, value: str) -> str:
        return checked_api_version(value)

    @model_validator(mode="after")
    def _one_surface(self) -> "Profile":
        """`api_version = "v1"` is `api = "v1"`; a dated api_version beside `api = "v1"` (which sends none)
        says two things, so it is refused rather than one of them quietly ignored."""
        given = self.model_fields_set
        if self.api_version == V1 and self.api != V1:
            if "api" in given:
                raise PydanticCustomError("surface", 'api_version "v1" is the v1 API but api is "versioned": keep one of them')
            self.api = V1
        elif self.api == V1 and "api_version" in given and self.api_version != V1:
            raise PydanticCustomError("surface", 'api = "v1" sends no api-version, but api_version is '
                                      f'"{self.api_version}": remove api_version, or set api = "versioned"')
        return self

    @property
    def is_v1(self) -> bool:
        return self.api == V1

    @property
    def api_shown(self) -> str:
        """The surface as the header and `config show` name it: "v1", or the api-version sent."""
        return V1 if self.is_v1 else self.api_version

    def on_surface(self, api_version: str) -> "Profile":
        """This profile with OPENAI_API_VERSION's choice: "v1" for the v1 API, a date for that version."""
        if api_version == V1:
            return self.model_copy(update={"api": V1})
        return self.model_copy(update={"api": VERSIONED, "api_version": api_version})


class ConfigFile(BaseModel):
    default_profile: str | None = None
    profiles: dict[str, Profile] = Field(default_factory=dict)
    # [keymap]: a TUI command's id to its keys, e.g. console = "semicolon" (App.set_keymap's form).
    keymap: dict[str, str] = Field(default_factory=dict)

    model_config = {"extra": "forbid"}


class FromEnvironment(BaseModel):
    """Settings read from the environment variables their fields' aliases name, case-insensitively
    as pydantic-settings reads them (whose import alone took longer than a listing's request)."""

    model_config = {"extra": "ignore", "populate_by_name": False}

    @classmethod
    def read(cls) -> "FromEnvironment":
        names = {str(f.validation_alias).lower(): str(f.validation_alias) for f in cls.model_fields.values()}
        return cls.model_validate({names[k.lower()]: v for k, v in os.environ.items() if k.lower() in names})


class Environment(FromEnvironment):
    """The variables people already export for Azure OpenAI, plus ftdeck's own."""

    endpoint: str | None = Field(None, validation_alias="AZURE_OPENAI_ENDPOINT")
    api_key: SecretStr | None = Field(None, validation_alias="AZURE_OPENAI_API_KEY")
    api_version: str | None = Field(None, validation_alias="OPENAI_API_VERSION")
    subscription_id: str | None = Field(None, validation_alias="AZURE_SUBSCRIPTION_ID")
    resource_group: str | None = Field(None, validation_alias="AZURE_RESOURCE_GROUP")
    account: str | None = Field(None, validation_alias="AZURE_OPENAI_ACCOUNT")
    management_endpoint: str | None = Field(None, validation_alias="FTDECK_MANAGEMENT_ENDPOINT")
    management_token: SecretStr | None = Field(None, validation_alias="FTDECK_MANAGEMENT_TOKEN")
    profile: str | None = Field(None, validation_alias="FTDECK_PROFILE")

    # Checked as they are read: a variable that is set must say something usable. An empty
    # AZURE_OPENAI_ENDPOINT would otherwise quietly mean "the built-in emulator".
    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError(f"is set but empty: set it like {ENDPOINT_EXAMPLE}, or unset it "
                             "(unset AZURE_OPENAI_ENDPOINT) to use the built-in emulator")
        return None if value is None else checked_endpoint(value)

    @field_validator("management_endpoint")
    @classmethod
    def _management_endpoint(cls, value: str | None) -> str | None:
        return None if value is None else checked_endpoint(value, MANAGEMENT_EXAMPLE)

    @field_validator("api_version")
    @classmethod
    def _api_version(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError(f"is set but empty: set it like OPENAI_API_VERSION={V1}, or unset it")
        return None if value is None else checked_api_version(value)


class EmulatorEnvironment(FromEnvironment):
    """How the built-in emulator runs: faster for demos, frozen and seeded for screenshots and tests."""

    speed: float = Field(1.0, validation_alias="FTDECK_EMULATOR_SPEED")
    frozen_at: float | None = Field(None, validation_alias="FTDECK_EMULATOR_FROZEN_AT")
    seed: int | None = Field(None, validation_alias="FTDECK_EMULATOR_SEED")

    @field_validator("speed", "frozen_at", "seed", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object, info) -> object:
        if isinstance(value, str) and not value.strip():
            return cls.model_fields[info.field_name].default
        return value

    @field_validator("speed")
    @classmethod
    def _speed(cls, value: float) -> float:
        if not (math.isfinite(value) and value > 0):
            raise ValueError("is not a number above 0")
        return value

    @field_validator("frozen_at")
    @classmethod
    def _frozen_at(cls, value: float | None) -> float | None:
        if value is not None and not (math.isfinite(value) and 0 <= value < 2**40):
            raise ValueError("is not a unix time in seconds")
        return value

    @field_validator("seed")
    @classmethod
    def _seed(cls, value: int | None) -> int | None:
        if value is not None and not 0 <= value < 2**63:
            raise ValueError("is not a whole number from 0")
        return value


# A good value of each variable, for the message that refuses a bad one.
GOOD_VALUES = {
    "FTDECK_EMULATOR_SPEED": "FTDECK_EMULATOR_SPEED=50 (50 times faster)",
    "FTDECK_EMULATOR_FROZEN_AT": "FTDECK_EMULATOR_FROZEN_AT=1767225600 (a unix time)",
    "FTDECK_EMULATOR_SEED": "FTDECK_EMULATOR_SEED=7",
}
TYPE_MESSAGES = {"float_parsing": "is not a number", "int_parsing": "is not a whole number",
                 "int_from_float": "is not a whole number", "finite_number": "is not a finite number"}


def _message(error: dict) -> str:
    """What is wrong with a value, to follow it: our validators' texts ("is not ..."), pydantic's
    type errors in the same words."""
    if error["type"] in TYPE_MESSAGES:
        return TYPE_MESSAGES[error["type"]]
    return str(error["msg"]).removeprefix("Value error, ")


def environment_problems(exc: ValidationError) -> str:
    """A ValidationError of the environment as one line naming each variable, what it holds and,
    where the text does not already give one, a good value."""
    problems = []
    for error in exc.errors():
        name = ".".join(map(str, error["loc"]))
        problem = f"{name}={os.environ.get(name, '')!r} {_message(error)}"
        problems.append(f"{problem}; e.g. {GOOD_VALUES[name]}" if name in GOOD_VALUES else problem)
    return "; ".join(problems)


def emulator_environment() -> EmulatorEnvironment:
    """FTDECK_EMULATOR_* as the built-in emulator will use them, or a ConfigError naming the bad one."""
    try:
        return EmulatorEnvironment.read()  # type: ignore[return-value]
    except ValidationError as exc:
        raise ConfigError(environment_problems(exc)) from None


def environment() -> Environment:
    """The Azure variables, or a ConfigError naming the one that cannot be used and a good value."""
    try:
        return Environment.read()  # type: ignore[return-value]
    except ValidationError as exc:
        raise ConfigError(environment_problems(exc)) from None


def config_path() -> Path:
    return Path(os.environ.get("FTDECK_CONFIG") or config_dir() / "config.toml")


def read_config_file(path: Path | None = None) -> ConfigFile:
    path = path or config_path()
    if not path.exists():
        return ConfigFile()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None
    return validated(data, path)


def validated(data: dict, path: Path) -> ConfigFile:
    """`data` (a parsed config file) as a ConfigFile, or a ConfigError naming every problem."""
    try:
        return ConfigFile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_file_problem(e) for e in exc.errors())
        raise ConfigError(f"{path}: {problems}") from None


def _file_problem(error: dict) -> str:
    where = ".".join(map(str, error["loc"]))
    if error["type"] == "value_error":  # ours: the text follows the value
        return f"{where} {error['input']!r} {_message(error)}"
    return f"{where}: {_message(error)}"


def resolve_profile(name: str | None = None, path: Path | None = None) -> tuple[str, Profile]:
    """(profile name, its settings): --profile, else FTDECK_PROFILE, else the file's default,
    else the environment's AZURE_OPENAI_ENDPOINT, else the built-in emulator."""
    env = environment()
    file = read_config_file(path)
    name = name or env.profile or file.default_profile
    overrides = {k: v for k, v in env.model_dump(exclude={"profile", "api_version"}).items() if v is not None}
    if name is None:
        name = ENV if env.endpoint else LOCAL
    if name == LOCAL:
        return LOCAL, Profile()
    if name == ENV:
        profile = Profile(**overrides)
    elif name not in file.profiles:
        known = ", ".join(sorted(file.profiles) + [LOCAL]) or LOCAL
        raise ConfigError(f"No profile '{name}' in {path or config_path()}. Known profiles: {known}.")
    else:
        profile = file.profiles[name].model_copy(update=overrides)
    if env.api_version:  # as the other variables, it overrides the profile: v1, or a dated version
        profile = profile.on_surface(env.api_version)
    if name == ENV:
        return ENV, profile
    if not profile.endpoint:
        raise ConfigError(f"Profile '{name}' has no endpoint: set endpoint in {path or config_path()} or AZURE_OPENAI_ENDPOINT.")
    return name, profile
