"""The digital front office: composition, settings and the command line."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("frontoffice")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0"
