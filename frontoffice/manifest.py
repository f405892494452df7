"""The Teams app package: ``frontoffice manifest build``.

A Teams app package is a zip with, at its root, ``manifest.json`` (English, the
default language), ``nl.json`` (the Dutch localisation) and two icons. It is
made from:

- ``manifest/manifest.template.json`` and ``manifest/nl.template.json``: the
  texts and the fixed settings. String values of the form ``${NAME}`` are
  filled in (a value may also be a list, e.g. ``${VALID_DOMAINS}``);
- :class:`ManifestOptions`: what differs per installation (bot and app id,
  version, developer name and URLs, valid domains, accent colour), from flags,
  ``FRONTOFFICE_MANIFEST_*`` environment variables or placeholders;
- :data:`dialogs.commands.COMMANDS`: the one command table. The bot's scopes
  and its ``commandLists`` (one list per scope) are generated from it, English
  descriptions in ``manifest.json`` and Dutch ones in ``nl.json``;
- the icons, drawn with Pillow in :mod:`frontoffice.icons`.

The icons are generated at build time rather than committed as PNG files: the
drawing is a few lines of deterministic code (the same bytes every run), so the
repository holds no binary files that can drift from their source, the colour
icon always uses the accent colour the package is built with, and the same
checks that guard every build (size, mode, white on transparent) guard the
icons too.

Every build is checked before the zip is written (:func:`check`): required
fields, GUIDs, semantic version, URLs, text lengths, command lists, localisation
keys and icon sizes. When the official schemas are installed
(``npm ci --prefix manifest``, the npm package ``@microsoft/app-manifest``;
``make test`` does it), the manifest and the localisation file are also
validated against them (:func:`check_against_schema`), with the JSON Schema
draft the schemas declare, offline.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dialogs.commands import COMMANDS, Command, Scope
from frontoffice.icons import (
    COLOR_SIZE,
    DEFAULT_ACCENT_COLOR,
    OUTLINE_SIZE,
    color_icon,
    outline_icon,
)
from servicedesk.errors import ConfigurationError, FrontOfficeError

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = ROOT / "manifest"
MANIFEST_TEMPLATE = "manifest.template.json"
LOCALISATION_TEMPLATE = "nl.template.json"

# The newest manifest schema that @microsoft/app-manifest (manifest/package.json) ships.
SCHEMA_VERSION = "1.30"
SCHEMA_BASE = "https://developer.microsoft.com/json-schemas/"
MANIFEST_SCHEMA = f"teams/v{SCHEMA_VERSION}/MicrosoftTeams.schema.json"
LOCALISATION_SCHEMA = f"teams/v{SCHEMA_VERSION}/MicrosoftTeams.Localization.schema.json"
NPM_PACKAGE = "@microsoft/app-manifest"
NPM_PACKAGE_DIR = TEMPLATE_DIR / "node_modules" / "@microsoft" / "app-manifest"

DEFAULT_LANGUAGE = "en"
LOCALISATION_LANGUAGE = "nl"
LOCALISATION_FILE = "nl.json"
COLOR_ICON = "color.png"
OUTLINE_ICON = "outline.png"
MAX_COMMANDS = 10  # Teams shows at most ten commands per scope

DEFAULT_OUT = Path("build/app.zip")
DEFAULT_DEVELOPER_NAME = "Facilitair Bedrijf"
DEFAULT_WEBSITE_URL = "https://frontoffice.example.org/"
DEFAULT_PRIVACY_URL = "https://frontoffice.example.org/privacy"
DEFAULT_TERMS_URL = "https://frontoffice.example.org/terms"

# Every variable the build reads besides MicrosoftAppId; manifest/README.md documents each.
ENVIRONMENT: tuple[str, ...] = (
    "FRONTOFFICE_MANIFEST_BOT_ID",
    "FRONTOFFICE_MANIFEST_APP_ID",
    "FRONTOFFICE_MANIFEST_VERSION",
    "FRONTOFFICE_MANIFEST_OUT",
    "FRONTOFFICE_MANIFEST_DEVELOPER_NAME",
    "FRONTOFFICE_MANIFEST_WEBSITE_URL",
    "FRONTOFFICE_MANIFEST_PRIVACY_URL",
    "FRONTOFFICE_MANIFEST_TERMS_URL",
    "FRONTOFFICE_MANIFEST_VALID_DOMAINS",
    "FRONTOFFICE_MANIFEST_ACCENT_COLOR",
    "FRONTOFFICE_MANIFEST_TEMPLATE_DIR",
)

_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_SEMVER = re.compile(r"^(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)$")
_HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_DOMAIN = re.compile(
    r"^(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9](?::[0-9]{1,5})?$"
)
_PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)\}")
_NIL_GUID = "00000000-0000-0000-0000-000000000000"
_RESERVED_HOSTS = ("example.org", "example.com", "example.net")


class ManifestInvalid(FrontOfficeError):
    """The built package breaks a rule of Teams or of the official schema."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            f"{len(problems)} problem(s) in the app package: " + "; ".join(problems[:3])
        )


@dataclass(frozen=True, slots=True)
class ManifestOptions:
    """What differs per installation; :func:`options_from` checks every value."""

    bot_id: str
    app_id: str
    version: str
    developer_name: str = DEFAULT_DEVELOPER_NAME
    website_url: str = DEFAULT_WEBSITE_URL
    privacy_url: str = DEFAULT_PRIVACY_URL
    terms_url: str = DEFAULT_TERMS_URL
    valid_domains: tuple[str, ...] = ("frontoffice.example.org",)
    accent_color: str = DEFAULT_ACCENT_COLOR

    def placeholders(self) -> dict[str, Any]:
        return {
            "BOT_ID": self.bot_id,
            "APP_ID": self.app_id,
            "VERSION": self.version,
            "DEVELOPER_NAME": self.developer_name,
            "WEBSITE_URL": self.website_url,
            "PRIVACY_URL": self.privacy_url,
            "TERMS_URL": self.terms_url,
            "VALID_DOMAINS": list(self.valid_domains),
            "ACCENT_COLOR": self.accent_color,
            "BOT_SCOPES": bot_scopes(),
            "COMMAND_LISTS": command_lists(),
        }


@dataclass(frozen=True, slots=True)
class AppPackage:
    """The four files of a Teams app package, before they are zipped."""

    manifest: dict[str, Any]
    localisation: dict[str, Any]
    color: bytes
    outline: bytes

    def files(self) -> dict[str, bytes]:
        return {
            "manifest.json": _json_bytes(self.manifest),
            LOCALISATION_FILE: _json_bytes(self.localisation),
            COLOR_ICON: self.color,
            OUTLINE_ICON: self.outline,
        }


@dataclass(frozen=True, slots=True)
class BuildResult:
    out: Path
    package: AppPackage
    schema_checked: bool  # False: the official schemas were not installed
    warnings: list[str] = field(default_factory=list)


# -- options ---------------------------------------------------------------------------------


class _Source:
    """Where each option comes from: its flag, else environment variables, else a default.

    Error messages name the flag, and the variable when the value came from one.
    """

    def __init__(self, flags: Mapping[str, str | None], env: Mapping[str, str]) -> None:
        self.flags, self.env = flags, env

    def get(self, key: str, *extra_env: str) -> tuple[str | None, str]:
        flag = "--" + key.replace("_", "-")
        value = self.flags.get(key)
        if value is not None:
            return value.strip(), flag
        for name in (f"FRONTOFFICE_MANIFEST_{key.upper()}", *extra_env):
            value = self.env.get(name, "").strip()
            if value:
                return value, f"{flag} (from {name})"
        return None, flag


def _guid(value: str | None, what: str) -> str:
    if not value:
        raise ConfigurationError(
            f"{what} is missing: give the Azure Bot's Microsoft App ID, a GUID such as "
            "00000000-0000-0000-0000-000000000001"
        )
    if not _GUID.match(value):
        raise ConfigurationError(
            f"{what} must be a GUID (8-4-4-4-12 hexadecimal digits, e.g. "
            f"00000000-0000-0000-0000-000000000001), not {value!r}"
        )
    if value == _NIL_GUID:
        raise ConfigurationError(f"{what} must not be the nil GUID {_NIL_GUID}")
    return value.lower()


def _https_url(value: str, what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or " " in value or len(value) > 2048:
        raise ConfigurationError(f"{what} must be an https:// URL, not {value!r}")
    return value


def _domain(value: str, what: str) -> str:
    domain = value.strip().lower()
    if not _DOMAIN.match(domain) or (domain.startswith("*.") and domain.count(".") < 2):
        raise ConfigurationError(
            f"{what}: a valid domain is a host name without scheme or path, optionally "
            f"starting with '*.' (e.g. frontoffice.example.org or *.example.org), not {value!r}"
        )
    return domain


def options_from(
    flags: Mapping[str, str | None],
    env: Mapping[str, str] | None = None,
    package_version: str | None = None,
) -> ManifestOptions:
    """Options from flags (keys as :class:`ManifestOptions` fields), then env, then defaults.

    The bot id falls back to ``FRONTOFFICE_MANIFEST_BOT_ID``, then to
    ``MicrosoftAppId`` (the same value the bot runs with); every other option
    to ``FRONTOFFICE_MANIFEST_<OPTION>``. Raises :class:`ConfigurationError`
    naming the flag (and variable) for a value that cannot be used; the CLI
    exits with 2.
    """
    source = _Source(flags, os.environ if env is None else env)
    bot_id = _guid(*source.get("bot_id", "MicrosoftAppId"))
    app_id_value, app_id_from = source.get("app_id")
    app_id = bot_id if app_id_value is None else _guid(app_id_value, app_id_from)
    version_value, version_from = source.get("version")
    if version_value is None:
        from frontoffice import __version__

        version_from = "the package version"
        version_value = __version__ if package_version is None else package_version
    version: str = version_value
    if not _SEMVER.match(version):
        raise ConfigurationError(
            f"{version_from} must be a semantic version X.Y.Z (e.g. 1.0.0), not {version!r}"
        )
    developer_name, name_from = source.get("developer_name")
    developer_name = developer_name or DEFAULT_DEVELOPER_NAME
    if len(developer_name) > 32:
        raise ConfigurationError(
            f"{name_from} may have at most 32 characters, not {len(developer_name)}"
        )
    urls = {}
    for key, default in (
        ("website_url", DEFAULT_WEBSITE_URL),
        ("privacy_url", DEFAULT_PRIVACY_URL),
        ("terms_url", DEFAULT_TERMS_URL),
    ):
        url, url_from = source.get(key)
        urls[key] = _https_url(url or default, url_from)
    domains_value, domains_from = source.get("valid_domains")
    if domains_value is None:
        domains_value = urlsplit(urls["website_url"]).hostname or ""
    domains = tuple(
        dict.fromkeys(_domain(d, domains_from) for d in domains_value.split(",") if d.strip())
    )
    accent, accent_from = source.get("accent_color")
    accent = accent or DEFAULT_ACCENT_COLOR
    if not _HEX_COLOR.match(accent):
        raise ConfigurationError(f"{accent_from} must be #RRGGBB (e.g. #1E6F5C), not {accent!r}")
    return ManifestOptions(
        bot_id=bot_id,
        app_id=app_id,
        version=version,
        developer_name=developer_name,
        valid_domains=domains,
        accent_color=accent.upper(),
        **urls,
    )


def placeholder_warnings(options: ManifestOptions) -> list[str]:
    """Values that still are this module's placeholders: fine for a test, not for the tenant."""
    warnings = []
    for flag, url in (
        ("--website-url", options.website_url),
        ("--privacy-url", options.privacy_url),
        ("--terms-url", options.terms_url),
    ):
        host = urlsplit(url).hostname or ""
        if host.endswith(_RESERVED_HOSTS):
            variable = "FRONTOFFICE_MANIFEST_" + flag[2:].replace("-", "_").upper()
            warnings.append(f"{flag} {url} is a placeholder; set {flag} or {variable}")
    return warnings


# -- commands --------------------------------------------------------------------------------


def bot_scopes() -> list[str]:
    """The bot's scopes: every scope of the command table, in its order (personal, team)."""
    return [scope.value for scope in Scope]


def commands_for(scope: Scope) -> list[Command]:
    return [command for command in COMMANDS if scope in command.scopes]


def command_lists() -> list[dict[str, Any]]:
    """One ``commandLists`` entry per scope that has commands, English descriptions."""
    return [
        {
            "scopes": [scope.value],
            "commands": [
                {"title": command.title, "description": command.description_en}
                for command in commands_for(scope)
            ],
        }
        for scope in Scope
        if commands_for(scope)
    ]


def command_localisation() -> dict[str, str]:
    """The Dutch command descriptions, keyed as the localisation schema wants them."""
    keys = {}
    lists = [scope for scope in Scope if commands_for(scope)]
    for list_index, scope in enumerate(lists):
        for command_index, command in enumerate(commands_for(scope)):
            key = f"bots[0].commandLists[{list_index}].commands[{command_index}].description"
            keys[key] = command.description_nl
    return keys


# -- templates -------------------------------------------------------------------------------


def _fill(value: Any, values: Mapping[str, Any], missing: set[str]) -> Any:
    if isinstance(value, dict):
        return {key: _fill(item, values, missing) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, values, missing) for item in value]
    if not isinstance(value, str):
        return value
    whole = _PLACEHOLDER.fullmatch(value)
    if whole and whole.group(1) in values:
        return values[whole.group(1)]

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            missing.add(name)
            return match.group(0)
        return str(values[name])

    return _PLACEHOLDER.sub(replace, value)


def _read_template(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"cannot read the template {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path}: the template must be a JSON object")
    return data


def render(options: ManifestOptions, template_dir: Path = TEMPLATE_DIR) -> AppPackage:
    """Fill the templates and draw the icons; :func:`check` says whether the result is valid."""
    values = options.placeholders()
    missing: set[str] = set()
    manifest = _fill(_read_template(template_dir / MANIFEST_TEMPLATE), values, missing)
    localisation = _fill(_read_template(template_dir / LOCALISATION_TEMPLATE), values, missing)
    if missing:
        raise ConfigurationError(
            f"the templates in {template_dir} use unknown placeholders: "
            + ", ".join(f"${{{name}}}" for name in sorted(missing))
        )
    localisation.update(command_localisation())
    return AppPackage(
        manifest=manifest,
        localisation=localisation,
        color=color_icon(options.accent_color),
        outline=outline_icon(),
    )


# -- checks ----------------------------------------------------------------------------------


def _text(
    data: Mapping[str, Any], key: str, limit: int, where: str, problems: list[str]
) -> str | None:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}{key}: required text is missing")
        return None
    if len(value) > limit:
        problems.append(f"{where}{key}: {len(value)} characters, at most {limit}")
    return value


def _check_icon(name: str, data: bytes, size: int, outline: bool, problems: list[str]) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        problems.append(f"{name}: not a readable image ({exc})")
        return
    if image.format != "PNG":
        problems.append(f"{name}: must be a PNG, not {image.format}")
    if image.size != (size, size):
        problems.append(f"{name}: must be {size}x{size} pixels, not {image.width}x{image.height}")
    if not outline:
        return
    if image.mode != "RGBA":
        problems.append(f"{name}: must have a transparent background (RGBA), not {image.mode}")
        return
    rgba = image.tobytes()
    stray = sum(
        1 for i in range(0, len(rgba), 4) if rgba[i + 3] != 0 and rgba[i : i + 3] != b"\xff\xff\xff"
    )
    if stray:
        problems.append(f"{name}: {stray} pixel(s) are neither white nor transparent")
    if image.getchannel("A").getextrema()[1] == 0:
        problems.append(f"{name}: the icon is empty (fully transparent)")


def check(package: AppPackage) -> list[str]:
    """What Teams would reject, found without the official schema; empty when valid."""
    problems: list[str] = []
    manifest, nl = package.manifest, package.localisation
    where = "manifest.json: "
    if manifest.get("manifestVersion") != SCHEMA_VERSION:
        problems.append(f"{where}manifestVersion: must be {SCHEMA_VERSION!r}")
    if manifest.get("$schema") != SCHEMA_BASE + MANIFEST_SCHEMA:
        problems.append(f"{where}$schema: must be {SCHEMA_BASE + MANIFEST_SCHEMA}")
    if not _GUID.match(str(manifest.get("id", ""))):
        problems.append(f"{where}id: must be a GUID")
    if not _SEMVER.match(str(manifest.get("version", ""))):
        problems.append(f"{where}version: must be a semantic version X.Y.Z")
    if not _HEX_COLOR.match(str(manifest.get("accentColor", ""))):
        problems.append(f"{where}accentColor: must be #RRGGBB")
    developer = manifest.get("developer") or {}
    _text(developer, "name", 32, where + "developer.", problems)
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        url = str(developer.get(key, ""))
        if urlsplit(url).scheme != "https" or not urlsplit(url).hostname:
            problems.append(f"{where}developer.{key}: must be an https:// URL")
    name, description = manifest.get("name") or {}, manifest.get("description") or {}
    _text(name, "short", 30, where + "name.", problems)
    if "full" in name:
        _text(name, "full", 100, where + "name.", problems)
    _text(description, "short", 80, where + "description.", problems)
    _text(description, "full", 4000, where + "description.", problems)
    icons = manifest.get("icons") or {}
    if icons.get("color") != COLOR_ICON or icons.get("outline") != OUTLINE_ICON:
        problems.append(f"{where}icons: must be {COLOR_ICON!r} and {OUTLINE_ICON!r}")
    for domain in manifest.get("validDomains") or []:
        if not isinstance(domain, str) or not _DOMAIN.match(domain):
            problems.append(f"{where}validDomains: {domain!r} is not a host name")
    bots = manifest.get("bots") or []
    if len(bots) != 1:
        problems.append(f"{where}bots: must hold exactly one bot")
    else:
        bot = bots[0]
        if not _GUID.match(str(bot.get("botId", ""))):
            problems.append(f"{where}bots[0].botId: must be a GUID")
        if bot.get("scopes") != bot_scopes():
            problems.append(f"{where}bots[0].scopes: must be {bot_scopes()}")
        if bot.get("commandLists") != command_lists():
            problems.append(f"{where}bots[0].commandLists: must be generated from COMMANDS")
        for index, entry in enumerate(bot.get("commandLists") or []):
            if len(entry.get("commands", [])) > MAX_COMMANDS:
                problems.append(
                    f"{where}bots[0].commandLists[{index}]: more than {MAX_COMMANDS} commands"
                )
    localisation_info = manifest.get("localizationInfo") or {}
    if localisation_info.get("defaultLanguageTag") != DEFAULT_LANGUAGE:
        problems.append(f"{where}localizationInfo.defaultLanguageTag: must be {DEFAULT_LANGUAGE!r}")
    languages = localisation_info.get("additionalLanguages") or []
    if languages != [{"languageTag": LOCALISATION_LANGUAGE, "file": LOCALISATION_FILE}]:
        problems.append(
            f"{where}localizationInfo.additionalLanguages: must name {LOCALISATION_FILE} "
            f"for {LOCALISATION_LANGUAGE!r}"
        )
    where = f"{LOCALISATION_FILE}: "
    if nl.get("$schema") != SCHEMA_BASE + LOCALISATION_SCHEMA:
        problems.append(f"{where}$schema: must be {SCHEMA_BASE + LOCALISATION_SCHEMA}")
    for key, limit in (("name.short", 30), ("description.short", 80), ("description.full", 4000)):
        _text(nl, key, limit, where, problems)
    for key, value in command_localisation().items():
        if nl.get(key) != value:
            problems.append(f"{where}{key}: must be the command's Dutch description")
    _check_icon(COLOR_ICON, package.color, COLOR_SIZE, outline=False, problems=problems)
    _check_icon(OUTLINE_ICON, package.outline, OUTLINE_SIZE, outline=True, problems=problems)
    return problems


def schema_dir(package_dir: Path = NPM_PACKAGE_DIR) -> Path | None:
    """The installed package's ``json-schemas`` folder, or None when it is not installed."""
    folder = package_dir / "build" / "json-schemas"
    return folder if (folder / MANIFEST_SCHEMA).is_file() else None


def npm_package_version(package_dir: Path = NPM_PACKAGE_DIR) -> str | None:
    try:
        return str(json.loads((package_dir / "package.json").read_text("utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return None


def schema_validator(folder: Path, schema: str) -> Any:
    """A validator for ``schema`` (a path under ``json-schemas/``) that never uses the network.

    It validates as the package's own validator does (Ajv in draft-04 mode):
    the Teams schemas declare JSON Schema draft-04, but Ajv also enforces
    ``const`` and applies the keywords next to a ``$ref`` (the localisation
    schema's length limits sit there), which a plain draft-04 validator skips.
    So this is draft-04 plus ``const``, every keyword applied, and the formats
    Ajv is given (uri, email, regex). A ``$ref`` to
    https://developer.microsoft.com/json-schemas/... is read from the package's
    files; any other remote reference is an error.
    """
    from operator import methodcaller

    from jsonschema import Draft4Validator, Draft6Validator, FormatChecker, validators
    from referencing import Registry, Resource
    from referencing.exceptions import NoSuchResource
    from referencing.jsonschema import DRAFT4

    def retrieve(uri: str) -> Resource[Any]:
        path = folder / uri.removeprefix(SCHEMA_BASE)
        if not uri.startswith(SCHEMA_BASE) or not path.is_file():
            raise NoSuchResource(ref=uri)
        contents = json.loads(path.read_text("utf-8"))
        # The draft is this validator's; a "$schema" would make jsonschema switch to its own.
        contents.pop("$schema", None)
        return Resource.from_contents(contents, DRAFT4)

    checker = FormatChecker(formats=("email", "regex"))
    checker.checks("uri")(_is_uri)
    validator_class = validators.create(
        meta_schema=Draft4Validator.META_SCHEMA,
        validators={**Draft4Validator.VALIDATORS, "const": Draft6Validator.VALIDATORS["const"]},
        type_checker=Draft4Validator.TYPE_CHECKER,
        format_checker=checker,
        id_of=Draft4Validator.ID_OF,
        applicable_validators=methodcaller("items"),  # "$ref" and its siblings, as Ajv does
    )
    registry: Registry[Any] = Registry(retrieve=retrieve)
    return validator_class(
        {"$ref": SCHEMA_BASE + schema}, registry=registry, format_checker=checker
    )


def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s]+", value) is not None


def check_against_schema(package: AppPackage, folder: Path) -> list[str]:
    """Problems the official schemas find in manifest.json and nl.json; empty when valid."""
    problems = []
    for name, instance, schema in (
        ("manifest.json", package.manifest, MANIFEST_SCHEMA),
        (LOCALISATION_FILE, package.localisation, LOCALISATION_SCHEMA),
    ):
        validator = schema_validator(folder, schema)
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
            path = "/".join(str(part) for part in error.absolute_path) or "(root)"
            problems.append(f"{name}: {path}: {error.message} (official schema)")
    return problems


# -- the package -----------------------------------------------------------------------------


def _json_bytes(data: Mapping[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_zip(package: AppPackage, out: Path) -> None:
    """The zip, files at its root, reproducible (fixed timestamps); replaced atomically."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in package.files().items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    partial.replace(out)


def build(
    options: ManifestOptions,
    out: Path = DEFAULT_OUT,
    template_dir: Path = TEMPLATE_DIR,
    schemas: Path | None | Callable[[], Path | None] = schema_dir,
) -> BuildResult:
    """Render, check (structurally, then against the official schema when installed), zip.

    Raises :class:`ManifestInvalid` with every problem, and writes nothing, when
    the package is not valid.
    """
    package = render(options, template_dir)
    problems = check(package)
    folder = schemas() if callable(schemas) else schemas
    if folder is not None:
        problems += check_against_schema(package, folder)
    if problems:
        raise ManifestInvalid(problems)
    write_zip(package, out)
    return BuildResult(
        out=out,
        package=package,
        schema_checked=folder is not None,
        warnings=placeholder_warnings(options),
    )


def read_zip(path: Path) -> dict[str, bytes]:
    """The files of a package zip, by name (for tests and for inspecting a package)."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}
