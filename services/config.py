"""Which Azure OpenAI resource ftdeck talks to: named profiles in a TOML file, overridden by the
environment variables users already have; with nothing configured, the built-in emulator.

    # ~/.config/ftdeck/config.toml
    default_profile = "work"
    [profiles.work]
    endpoint = "https://myres.openai.azure.com"
    auth = "entra"                      # or "key" (then api_key, or AZURE_OPENAI_API_KEY)
    subscription_id = "..."
    resource_group = "rg-ml"
    account = "myres"
    production = true                   # typed confirmations, a different accent

`ftdeck config set` / `remove` edit this file (services/config_file.py).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.paths import config_dir

LOCAL = "local"  # the built-in emulator's profile
ENV = "env"  # the profile made from environment variables alone
DATA_PLANE_VERSION = "2024-10-21"  # latest GA (spec section 2)
PREVIEW_VERSION = "2025-04-01-preview"  # pause/resume, method, DPO, trainingType
MANAGEMENT_VERSION = "2024-10-01"


class ConfigError(Exception):
    """The configuration cannot be used; the message says what to fix and where."""


class Profile(BaseModel):
    endpoint: str | None = None
    auth: Literal["key", "entra"] = "key"
    api_key: SecretStr | None = None
    api_version: str = DATA_PLANE_VERSION
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

    model_config = {"extra": "forbid"}


class ConfigFile(BaseModel):
    default_profile: str | None = None
    profiles: dict[str, Profile] = Field(default_factory=dict)

    model_config = {"extra": "forbid"}


class Environment(BaseSettings):
    """The variables people already export for Azure OpenAI, plus ftdeck's own."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=False)

    endpoint: str | None = Field(None, validation_alias="AZURE_OPENAI_ENDPOINT")
    api_key: SecretStr | None = Field(None, validation_alias="AZURE_OPENAI_API_KEY")
    api_version: str | None = Field(None, validation_alias="OPENAI_API_VERSION")
    subscription_id: str | None = Field(None, validation_alias="AZURE_SUBSCRIPTION_ID")
    resource_group: str | None = Field(None, validation_alias="AZURE_RESOURCE_GROUP")
    account: str | None = Field(None, validation_alias="AZURE_OPENAI_ACCOUNT")
    management_endpoint: str | None = Field(None, validation_alias="FTDECK_MANAGEMENT_ENDPOINT")
    management_token: SecretStr | None = Field(None, validation_alias="FTDECK_MANAGEMENT_TOKEN")
    profile: str | None = Field(None, validation_alias="FTDECK_PROFILE")


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
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: {problems}") from None


def resolve_profile(name: str | None = None, path: Path | None = None) -> tuple[str, Profile]:
    """(profile name, its settings): --profile, else FTDECK_PROFILE, else the file's default,
    else the environment's AZURE_OPENAI_ENDPOINT, else the built-in emulator."""
    env = Environment()
    file = read_config_file(path)
    name = name or env.profile or file.default_profile
    overrides = {k: v for k, v in env.model_dump(exclude={"profile"}).items() if v is not None}
    if name is None:
        name = ENV if env.endpoint else LOCAL
    if name == LOCAL:
        return LOCAL, Profile()
    if name == ENV:
        return ENV, Profile(**overrides)
    if name not in file.profiles:
        known = ", ".join(sorted(file.profiles) + [LOCAL]) or LOCAL
        raise ConfigError(f"No profile '{name}' in {path or config_path()}. Known profiles: {known}.")
    profile = file.profiles[name].model_copy(update=overrides)
    if not profile.endpoint:
        raise ConfigError(f"Profile '{name}' has no endpoint: set endpoint in {path or config_path()} or AZURE_OPENAI_ENDPOINT.")
    return name, profile
