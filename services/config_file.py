"""Writing the config file (`ftdeck config set` / `remove`) without losing what the user wrote, and
without ever leaving a key readable by others.

- The user's comments, layout and other profiles stay: the file is edited with tomlkit, and the
  result must read back (with tomllib, as ftdeck reads it) as exactly the intended settings, valid
  for the ConfigFile model; otherwise nothing is written.
- Writing is atomic and private: a new file in the same folder, created 0600, flushed to disk, then
  renamed over the old one. The folder is created 0700 when missing. A failure at any point leaves
  the old file as it was and no temporary file behind.
"""

from __future__ import annotations

import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import tomlkit
import tomlkit.exceptions

from services.atomic_write import write_atomically
from services.config import (ENV, LOCAL, MANAGEMENT_EXAMPLE, ConfigError, ConfigFile, Profile, checked_endpoint, config_path,
                             validated)

SECRET_FIELDS = ("api_key", "management_token")
URL_FIELDS = ("endpoint", "management_endpoint")
RESERVED = (LOCAL, ENV)
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass
class Saved:
    """What a `set` or `remove` did to the file."""

    path: Path
    profile: str
    created: bool = False  # the profile is new
    removed: bool = False
    changed: list[str] = field(default_factory=list)  # the profile's settings that changed
    default_profile: str | None = None  # the file's default after the change
    default_changed: bool = False
    settings: Profile | None = None  # the profile as the file now holds it (None once removed)
    notes: list[str] = field(default_factory=list)


def set_profile(
    name: str,
    values: dict[str, str | bool],
    unset: list[str] | tuple[str, ...] = (),
    make_default: bool = False,
    path: Path | None = None,
) -> Saved:
    """Set `values` (Profile fields; secrets as plain str) and remove the `unset` fields of profile
    `name`, creating it when new; `make_default` makes it the file's default_profile."""
    path = _target(path)
    check_name(name, path)
    if not values and not unset and not make_default:
        raise ConfigError("nothing to set: give at least one setting (ftdeck config set --help lists them)")
    for key in URL_FIELDS:
        if key in values:
            _check_url(key, str(values[key]))
    text, data = _read(path)
    profiles = _table(data, "profiles", path)
    created = name not in profiles
    if created and "endpoint" not in values:
        raise ConfigError(f"profile '{name}' is new: give its --endpoint (https://<resource>.openai.azure.com)")
    before = dict(_table(profiles, name, path, prefix="profiles."))
    after = {**before, **values}
    for key in unset:
        after.pop(key, None)
    profiles[name] = after
    before_default = data.get("default_profile")
    if make_default:
        data["default_profile"] = name
    config = _valid(data, path)

    def edit(doc: tomlkit.TOMLDocument) -> None:
        table = doc.setdefault("profiles", tomlkit.table(is_super_table=True))
        if name not in table:
            table[name] = tomlkit.table()
        for key, value in values.items():
            if key in table[name]:
                if before.get(key) != value:  # untouched values keep their exact spelling and comments
                    table[name][key] = value
            else:
                _add(table[name], key, value)
        for key in unset:
            if key in table[name]:
                del table[name][key]
        if make_default:
            doc["default_profile"] = name

    saved = Saved(path, name, created=created, default_profile=config.default_profile, settings=config.profiles[name],
                  default_changed=make_default and before_default != name)
    saved.changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    saved.notes = _write(path, text, edit, config)
    return saved


def remove_profile(name: str, path: Path | None = None) -> Saved:
    """Remove profile `name`; when it was the default, the file no longer names one."""
    path = _target(path)
    check_name(name, path, new=False)
    text, data = _read(path)
    profiles = _table(data, "profiles", path)
    if name not in profiles:
        known = ", ".join(sorted(profiles)) or "none"
        raise ConfigError(f"No profile '{name}' in {path}. Profiles there: {known}.")
    del profiles[name]
    was_default = data.get("default_profile") == name
    if was_default:
        del data["default_profile"]
    config = _valid(data, path)

    def edit(doc: tomlkit.TOMLDocument) -> None:
        del doc["profiles"][name]
        if was_default:
            del doc["default_profile"]

    saved = Saved(path, name, removed=True, default_profile=config.default_profile, default_changed=was_default)
    saved.notes = _write(path, text, edit, config)
    if was_default:
        saved.notes.append(f"'{name}' was the default profile: {path} names none now")
    return saved


def exposure(path: Path | None = None) -> str | None:
    """A warning when the config file holds a secret and others may read it (as ssh warns about a
    private key), naming the fix; None when it is private, holds no secret or does not exist."""
    path = path or config_path()
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if not mode & 0o077 or not _holds_secret(text):
        return None
    return f"{path} holds a secret and is readable by other users (mode {mode:04o}): chmod 600 {path}"


# ---------------------------------------------------------------- reading and checking


def _target(path: Path | None) -> Path:
    path = path or config_path()
    # A config file linked from a dotfiles repository is edited where it lives, not replaced by a copy.
    return path.resolve() if path.is_symlink() else path


def check_name(name: str, path: Path | None = None, new: bool = True) -> None:
    """Refuse the built-in profiles' names and, for a profile that may be `new`, names that would
    be awkward on a command line."""
    if name in RESERVED:
        raise ConfigError(f"'{name}' is a built-in profile ({LOCAL}: the built-in emulator, {ENV}: the environment "
                          f"variables alone), not one of {path or config_path()}: choose another name; nothing written")
    if new and not NAME.fullmatch(name):
        raise ConfigError(f"profile name {name!r}: use letters, digits, '-', '_' and '.', starting with a letter or digit")


def _check_url(key: str, value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        example = "https://<resource>.openai.azure.com" if key == "endpoint" else "https://management.azure.com"
        raise ConfigError(f"{key} {value!r} is not an http(s) URL: expected something like {example}")
    try:
        checked_endpoint(value, MANAGEMENT_EXAMPLE if key == "management_endpoint" else "https://<resource>.openai.azure.com")
    except ValueError as exc:
        raise ConfigError(f"{key} {value!r} {exc}: nothing written") from None


def _read(path: Path) -> tuple[str, dict]:
    """The file's text ('' when there is none) and its data as ftdeck reads it."""
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc}): nothing written") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}): fix it by hand first, nothing written") from None


def _table(data: dict, key: str, path: Path, prefix: str = "") -> dict:
    value = data.setdefault(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: {prefix}{key} is not a table: fix it by hand first, nothing written")
    return value


def _valid(data: dict, path: Path) -> ConfigFile:
    try:
        return validated(data, path)
    except ConfigError as exc:
        raise ConfigError(f"{exc}: nothing written") from None


def _holds_secret(text: str) -> bool:
    try:
        profiles = tomllib.loads(text).get("profiles", {})
    except tomllib.TOMLDecodeError:  # unreadable: judge by the words
        return any(key in text for key in SECRET_FIELDS)
    return isinstance(profiles, dict) and any(
        isinstance(p, dict) and any(p.get(key) for key in SECRET_FIELDS) for p in profiles.values()
    )


# ---------------------------------------------------------------- writing


def _write(path: Path, text: str, edit, config: ConfigFile) -> list[str]:
    """Apply `edit` to the file's document, check it reads back as `config`, and replace the file
    with it; returns notes for the user (a permission fixed)."""
    try:
        doc = tomlkit.parse(text)
        edit(doc)
        new_text = tomlkit.dumps(doc)
        same = validated(tomllib.loads(new_text), path) == config
    except (ConfigError, ValueError, TypeError, KeyError, tomllib.TOMLDecodeError, tomlkit.exceptions.TOMLKitError):
        same = False
    if not same:  # tomlkit cannot edit every layout (profiles as inline tables or dotted keys) faithfully
        raise ConfigError(f"{path}: cannot edit this file's layout (profiles written as inline tables or dotted keys?) "
                          "without changing its meaning: edit it by hand, nothing written")
    try:
        old_mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else None
        write_private(path, new_text)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be written ({exc.strerror or exc}): nothing written") from None
    if old_mode is not None and old_mode & 0o077:
        return [f"{path} was readable by other users (mode {old_mode:04o}): it is now 0600"]
    return []


def _add(table, key: str, value: str | bool) -> None:
    """Add `key` after the table's last setting: appended, it would land after the comments that
    introduce the next table (tomlkit counts them as this table's). tomlkit has no public way to
    insert at a place; `Container._insert_at` is in every version we allow (0.13 to 0.15.3, where
    `_insert_after` went away), and tests/test_config_set.py checks the place on the installed one."""
    body = getattr(getattr(table, "value", None), "body", [])
    last = max((i for i, (k, _) in enumerate(body) if k is not None), default=None)
    if last is not None and last + 1 < len(body):  # something (comments, blank lines) follows it
        try:
            table.value._insert_at(last + 1, key, value)
            return
        except (AttributeError, KeyError, ValueError, TypeError, tomlkit.exceptions.TOMLKitError):
            pass
    table[key] = value


def write_private(path: Path, text: str) -> None:
    """Replace `path` with `text` atomically, readable by its owner alone (0600); its folder is
    created 0700 when missing. On any failure the old file is untouched and no temporary file stays."""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True)
        folder.chmod(0o700)  # whatever the umask
    write_atomically(path, text, mode=0o600)
