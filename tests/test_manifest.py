"""The Teams app package: valid against the official schemas, right icons, the real commands.

The official JSON schemas come from the npm package ``@microsoft/app-manifest``,
pinned in ``manifest/package-lock.json`` and installed into
``manifest/node_modules`` by ``make test`` (``npm ci --prefix manifest``); they
are not copied into the repository. Validation is offline: the schemas' own
files, no remote ``$ref``.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from dialogs.commands import COMMANDS, Command, Scope
from frontoffice import __version__, manifest
from frontoffice.manifest import (
    LOCALISATION_SCHEMA,
    MANIFEST_SCHEMA,
    SCHEMA_VERSION,
    AppPackage,
    ManifestOptions,
)

ROOT = Path(__file__).resolve().parent.parent
MANIFEST_DIR = ROOT / "manifest"
NPM_PACKAGE = MANIFEST_DIR / "node_modules" / "@microsoft" / "app-manifest"
BOT_ID = "00000000-0000-0000-0000-000000000001"
OTHER_ID = "0A1B2C3D-4E5F-4061-8293-A4B5C6D7E8F9"
CLI = [sys.executable, "-m", "frontoffice.cli"]
ZIP_FILES = {"manifest.json", "nl.json", "color.png", "outline.png"}


@pytest.fixture(scope="session")
def schemas() -> Path:
    folder = manifest.schema_dir(NPM_PACKAGE)
    if folder is None:
        pytest.fail(
            f"the official schemas are not installed in {NPM_PACKAGE}: run "
            "`make manifest/node_modules` (npm ci --prefix manifest --no-audit --no-fund)"
        )
    return folder


def _options(**changes: str) -> ManifestOptions:
    return manifest.options_from({"bot_id": BOT_ID, **changes}, env={})


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, schemas: Path) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("package") / "app.zip"
    result = manifest.build(_options(), out, schemas=schemas)
    assert result.schema_checked
    return manifest.read_zip(out)


def _json(files: dict[str, bytes], name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(files[name])
    return data


def _errors(schemas: Path, schema: str, instance: dict[str, Any]) -> list[str]:
    validator = manifest.schema_validator(schemas, schema)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(instance)
    ]


def _environment(**extra: str) -> dict[str, str]:
    """The test process's environment without any manifest setting or bot id."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("FRONTOFFICE_MANIFEST_") and key != "MicrosoftAppId"
    }
    return {**env, **extra}


def _run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=_environment(**env),
    )


# -- the official schema ---------------------------------------------------------------------


def test_the_schema_is_the_newest_the_npm_package_ships(schemas: Path) -> None:
    versions = [
        tuple(int(part) for part in match.groups())
        for folder in (schemas / "teams").iterdir()
        if (match := re.fullmatch(r"v(\d+)\.(\d+)", folder.name))
    ]
    newest = ".".join(map(str, max(versions)))
    assert newest == SCHEMA_VERSION
    template = json.loads((MANIFEST_DIR / "manifest.template.json").read_text("utf-8"))
    assert template["manifestVersion"] == SCHEMA_VERSION
    assert template["$schema"].endswith(f"/v{SCHEMA_VERSION}/MicrosoftTeams.schema.json")
    assert (schemas / LOCALISATION_SCHEMA).is_file()


def test_the_npm_package_is_pinned_and_installed_from_the_lock_file() -> None:
    wanted = json.loads((MANIFEST_DIR / "package.json").read_text("utf-8"))
    pinned = wanted["devDependencies"]["@microsoft/app-manifest"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), "pin an exact version"
    lock = json.loads((MANIFEST_DIR / "package-lock.json").read_text("utf-8"))
    assert lock["packages"]["node_modules/@microsoft/app-manifest"]["version"] == pinned
    assert manifest.npm_package_version(NPM_PACKAGE) == pinned


def test_the_built_manifest_validates_against_the_official_schema(
    built: dict[str, bytes], schemas: Path
) -> None:
    data = _json(built, "manifest.json")
    assert data["$schema"] == manifest.SCHEMA_BASE + MANIFEST_SCHEMA
    assert _errors(schemas, MANIFEST_SCHEMA, data) == []


def test_the_dutch_localisation_validates_against_the_official_schema(
    built: dict[str, bytes], schemas: Path
) -> None:
    data = _json(built, "nl.json")
    assert data["$schema"] == manifest.SCHEMA_BASE + LOCALISATION_SCHEMA
    assert _errors(schemas, LOCALISATION_SCHEMA, data) == []
    info = _json(built, "manifest.json")["localizationInfo"]
    assert info == {
        "defaultLanguageTag": "en",
        "additionalLanguages": [{"languageTag": "nl", "file": "nl.json"}],
    }


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        data = data[int(part)] if part.isdigit() else data[part]
    if value is KeyError:
        del data[last]
    else:
        data[last] = value


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("manifestVersion", "1.29", "'1.30' was expected"),  # const, which Ajv enforces
        ("developer.privacyUrl", KeyError, "'privacyUrl' is a required property"),
        ("bots.0.bogus", True, "Additional properties are not allowed"),
        ("accentColor", "green", "does not match"),
        ("id", "not-a-guid", "does not match"),
        ("$schema", "not a uri", "is not a 'uri'"),
    ],
)
def test_the_schema_check_catches_an_invalid_manifest(
    built: dict[str, bytes], schemas: Path, path: str, value: Any, expected: str
) -> None:
    data = copy.deepcopy(_json(built, "manifest.json"))
    _set(data, path, value)
    assert any(expected in error for error in _errors(schemas, MANIFEST_SCHEMA, data))


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("name.short", "x" * 31, "is too long"),  # the limit sits next to a $ref
        ("description.full", " ", "does not match"),
        ("bots[0].commandLists[3].commands[0].description", "x", "does not match any"),
    ],
)
def test_the_schema_check_catches_an_invalid_localisation(
    built: dict[str, bytes], schemas: Path, key: str, value: str, expected: str
) -> None:
    data = {**_json(built, "nl.json"), key: value}
    assert any(expected in error for error in _errors(schemas, LOCALISATION_SCHEMA, data))


def test_the_package_also_passes_ajv_configured_as_the_npm_package_does(
    built: dict[str, bytes], tmp_path: Path
) -> None:
    """Cross-check with Ajv, the validator @microsoft/app-manifest itself uses."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    for name in ("manifest.json", "nl.json"):
        (tmp_path / name).write_bytes(built[name])
    broken = {**_json(built, "manifest.json"), "manifestVersion": "1.29"}
    (tmp_path / "broken.json").write_text(json.dumps(broken), "utf-8")
    script = str(MANIFEST_DIR / "validate.cjs")
    good = subprocess.run(
        [node, script, "manifest.json", "nl.json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.count(": valid against") == 2
    bad = subprocess.run(
        [node, script, "broken.json"], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert bad.returncode == 1
    assert "manifestVersion must be equal to constant" in bad.stdout


# -- content ---------------------------------------------------------------------------------


def test_the_zip_holds_the_four_files_at_its_root(built: dict[str, bytes]) -> None:
    assert set(built) == ZIP_FILES
    data = _json(built, "manifest.json")
    assert data["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert "${" not in built["manifest.json"].decode() + built["nl.json"].decode()


def test_ids_version_and_configurable_values(built: dict[str, bytes]) -> None:
    data = _json(built, "manifest.json")
    assert data["id"] == BOT_ID  # the app id defaults to the bot id
    assert data["bots"][0]["botId"] == BOT_ID
    assert data["version"] == __version__
    assert data["developer"] == {
        "name": manifest.DEFAULT_DEVELOPER_NAME,
        "websiteUrl": manifest.DEFAULT_WEBSITE_URL,
        "privacyUrl": manifest.DEFAULT_PRIVACY_URL,
        "termsOfUseUrl": manifest.DEFAULT_TERMS_URL,
    }
    assert data["validDomains"] == ["frontoffice.example.org"]
    assert data["accentColor"] == manifest.DEFAULT_ACCENT_COLOR
    assert data["bots"][0]["supportsFiles"] is False
    assert data["name"]["short"] and _json(built, "nl.json")["name.short"]


def test_flags_win_over_environment_variables_and_defaults() -> None:
    env = {
        "FRONTOFFICE_MANIFEST_BOT_ID": OTHER_ID,
        "FRONTOFFICE_MANIFEST_VERSION": "2.0.0",
        "FRONTOFFICE_MANIFEST_WEBSITE_URL": "https://facilitair.contoso.nl/",
        "FRONTOFFICE_MANIFEST_VALID_DOMAINS": "bot.contoso.nl, *.contoso.nl",
        "MicrosoftAppId": BOT_ID,
    }
    options = manifest.options_from({"version": "3.1.4"}, env=env)
    assert options.bot_id == options.app_id == OTHER_ID.lower()
    assert options.version == "3.1.4"
    assert options.website_url == "https://facilitair.contoso.nl/"
    assert options.valid_domains == ("bot.contoso.nl", "*.contoso.nl")
    assert manifest.options_from({}, env={"MicrosoftAppId": BOT_ID}).bot_id == BOT_ID
    defaults = manifest.options_from({"bot_id": BOT_ID, "app_id": OTHER_ID}, env={})
    assert defaults.app_id == OTHER_ID.lower()
    assert defaults.valid_domains == ("frontoffice.example.org",)  # the website's host


def test_the_command_lists_are_the_command_table(built: dict[str, bytes]) -> None:
    bot = _json(built, "manifest.json")["bots"][0]
    nl = _json(built, "nl.json")
    assert bot["scopes"] == ["personal", "team"] == [scope.value for scope in Scope]
    lists = bot["commandLists"]
    assert [entry["scopes"] for entry in lists] == [[scope.value] for scope in Scope]
    for index, scope in enumerate(Scope):
        expected = [command for command in COMMANDS if scope in command.scopes]
        assert lists[index]["commands"] == [
            {"title": command.title, "description": command.description_en} for command in expected
        ]
        for position, command in enumerate(expected):
            key = f"bots[0].commandLists[{index}].commands[{position}].description"
            assert nl[key] == command.description_nl


def test_the_command_lists_follow_a_changed_command_table(
    monkeypatch: pytest.MonkeyPatch, schemas: Path, tmp_path: Path
) -> None:
    table = (
        *COMMANDS,
        Command("status", "Waar staat mijn melding?", "Where is my request?", (Scope.PERSONAL,)),
        Command("wachtrij", "De open meldingen", "The open requests", (Scope.TEAM,)),
    )
    monkeypatch.setattr(manifest, "COMMANDS", table)
    result = manifest.build(_options(), tmp_path / "app.zip", schemas=schemas)
    lists = result.package.manifest["bots"][0]["commandLists"]
    personal = [c.title for c in COMMANDS if Scope.PERSONAL in c.scopes]
    team = [c.title for c in COMMANDS if Scope.TEAM in c.scopes]
    assert [[c["title"] for c in entry["commands"]] for entry in lists] == [
        [*personal, "status"],
        [*team, "wachtrij"],
    ]
    nl = result.package.localisation
    assert nl[f"bots[0].commandLists[0].commands[{len(personal)}].description"] == (
        "Waar staat mijn melding?"
    )
    assert nl[f"bots[0].commandLists[1].commands[{len(team)}].description"] == "De open meldingen"


# -- icons -----------------------------------------------------------------------------------


def _image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_the_colour_icon_is_192_pixels_square(built: dict[str, bytes]) -> None:
    image = _image(built["color.png"])
    assert image.format == "PNG"
    assert image.size == (192, 192)
    colours = image.convert("RGB").getcolors(maxcolors=192 * 192)
    assert colours is not None and len(colours) > 2  # a symbol, not a blank square


def test_the_outline_icon_is_32_pixels_white_on_transparent(built: dict[str, bytes]) -> None:
    image = _image(built["outline.png"])
    assert image.format == "PNG"
    assert image.size == (32, 32)
    assert image.mode == "RGBA"
    pixels = [image.getpixel((x, y)) for x in range(32) for y in range(32)]
    assert all(isinstance(p, tuple) and (p[3] == 0 or p[:3] == (255, 255, 255)) for p in pixels)
    assert any(isinstance(p, tuple) and p[3] == 0 for p in pixels)  # there is a background
    assert sum(1 for p in pixels if isinstance(p, tuple) and p[3] == 255) > 100  # and a symbol


def test_regenerating_the_icons_gives_the_same_valid_files(built: dict[str, bytes]) -> None:
    """The icons are drawn at build time; the drawing is deterministic."""
    assert manifest.color_icon(manifest.DEFAULT_ACCENT_COLOR) == built["color.png"]
    assert manifest.outline_icon() == built["outline.png"]


def _with_icon(package: AppPackage, name: str, image: Image.Image) -> AppPackage:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return dataclasses.replace(package, **{name: buffer.getvalue()})


def test_the_build_check_rejects_wrong_icons() -> None:
    package = manifest.render(_options())
    assert manifest.check(package) == []
    small = _with_icon(package, "color", Image.new("RGB", (96, 96), "#123456"))
    assert any("192x192" in p for p in manifest.check(small))
    red = Image.new("RGBA", (32, 32), (255, 255, 255, 0))
    red.putpixel((3, 3), (255, 0, 0, 255))
    assert any(
        "neither white nor transparent" in p
        for p in manifest.check(_with_icon(package, "outline", red))
    )
    opaque = _with_icon(package, "outline", Image.new("RGB", (32, 32), "#FFFFFF"))
    assert any("transparent background" in p for p in manifest.check(opaque))


# -- the command line ------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["manifest"], ["manifest", "build"]])
def test_help(command: list[str], tmp_path: Path) -> None:
    result = _run(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "usage: frontoffice manifest" in result.stdout


def test_build_writes_a_package_whose_manifest_validates(tmp_path: Path, schemas: Path) -> None:
    result = _run("manifest", "build", "--bot-id", BOT_ID, "--out", "build/app.zip", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"valid against the official schema {SCHEMA_VERSION}" in result.stdout
    assert "placeholder" in result.stderr  # the example.org URLs are flagged
    files = manifest.read_zip(tmp_path / "build" / "app.zip")
    assert set(files) == ZIP_FILES
    assert _errors(schemas, MANIFEST_SCHEMA, _json(files, "manifest.json")) == []
    assert _errors(schemas, LOCALISATION_SCHEMA, _json(files, "nl.json")) == []
    assert _json(files, "manifest.json")["bots"][0]["botId"] == BOT_ID


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--bot-id", "1234"], {}, "--bot-id must be a GUID"),
        (["--bot-id", BOT_ID + "0"], {}, "--bot-id must be a GUID"),
        (["--bot-id", "00000000-0000-0000-0000-000000000000"], {}, "nil GUID"),
        ([], {}, "--bot-id is missing"),
        ([], {"FRONTOFFICE_MANIFEST_BOT_ID": "nope"}, "(from FRONTOFFICE_MANIFEST_BOT_ID)"),
        (["--bot-id", BOT_ID, "--app-id", "x"], {}, "--app-id must be a GUID"),
        (["--bot-id", BOT_ID, "--version", "1.0"], {}, "--version must be a semantic version"),
        (["--bot-id", BOT_ID, "--version", "v1.2.3"], {}, "--version must be a semantic version"),
        (["--bot-id", BOT_ID, "--website-url", "http://x.nl"], {}, "https://"),
        (["--bot-id", BOT_ID, "--accent-color", "green"], {}, "#RRGGBB"),
    ],
)
def test_a_bad_value_is_a_clear_error_with_exit_2(
    tmp_path: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    result = _run("manifest", "build", *args, "--out", "app.zip", cwd=tmp_path, **env)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stderr.startswith("frontoffice: ")
    assert not (tmp_path / "app.zip").exists()


def test_the_bot_id_can_come_from_the_environment(tmp_path: Path) -> None:
    result = _run(
        "manifest", "build", "--out", "app.zip", cwd=tmp_path, FRONTOFFICE_MANIFEST_BOT_ID=OTHER_ID
    )
    assert result.returncode == 0, result.stderr
    files = manifest.read_zip(tmp_path / "app.zip")
    assert _json(files, "manifest.json")["bots"][0]["botId"] == OTHER_ID.lower()


def test_every_variable_is_documented() -> None:
    readme = (MANIFEST_DIR / "README.md").read_text("utf-8")
    documented = set(re.findall(r"`(FRONTOFFICE_MANIFEST_[A-Z_]+)`", readme))
    assert documented == set(manifest.ENVIRONMENT)


@pytest.fixture
def long_name_templates(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "templates"
    folder.mkdir()
    shutil.copy(MANIFEST_DIR / "nl.template.json", folder)
    template = json.loads((MANIFEST_DIR / "manifest.template.json").read_text("utf-8"))
    template["name"]["short"] = "A name far longer than thirty characters"
    (folder / "manifest.template.json").write_text(json.dumps(template), "utf-8")
    yield folder


def test_an_invalid_result_is_reported_and_nothing_is_written(
    tmp_path: Path, long_name_templates: Path
) -> None:
    result = _run(
        "manifest",
        "build",
        "--bot-id",
        BOT_ID,
        "--template-dir",
        str(long_name_templates),
        "--out",
        "app.zip",
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "manifest.json: name.short: 40 characters, at most 30" in result.stderr
    assert "(official schema)" in result.stderr
    assert "not written" in result.stderr
    assert not (tmp_path / "app.zip").exists()
