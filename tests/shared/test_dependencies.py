"""Installs are reproducible: every dependency comes pinned, with hashes, from the lock files."""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from shared.config import PROJECT_ROOT

PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
PINNED = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", re.MULTILINE)


def pinned_in(lock: str) -> dict[str, str]:
    text = (PROJECT_ROOT / "requirements" / lock).read_text()
    return {canonicalize_name(name): version for name, version in PINNED.findall(text)}


def names(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(line).name) for line in requirements}


RUNTIME = names(PYPROJECT["project"]["dependencies"])
DEV = names(PYPROJECT["project"]["optional-dependencies"]["dev"])


@pytest.mark.parametrize("lock, wanted", [("runtime.txt", RUNTIME), ("dev.txt", RUNTIME | DEV)])
def test_every_direct_dependency_is_pinned_in_the_lock(lock, wanted):
    missing = wanted - set(pinned_in(lock))
    assert not missing, f"run `make lock`: {sorted(missing)} are not in requirements/{lock}"


def test_the_pinned_versions_satisfy_pyproject():
    pinned = pinned_in("dev.txt")
    for line in [*PYPROJECT["project"]["dependencies"], *PYPROJECT["project"]["optional-dependencies"]["dev"]]:
        requirement = Requirement(line)
        version = pinned[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version, prereleases=True), f"{requirement} but the lock has {version}"


def test_the_development_lock_keeps_the_runtime_versions():
    runtime, dev = pinned_in("runtime.txt"), pinned_in("dev.txt")
    differing = {name: (version, dev.get(name)) for name, version in runtime.items() if dev.get(name) != version}
    assert not differing, f"run `make lock`: {differing}"


@pytest.mark.parametrize("lock", ["runtime.txt", "dev.txt"])
def test_every_pinned_package_carries_its_hashes(lock):
    text = (PROJECT_ROOT / "requirements" / lock).read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9_.\-]+==)", text.split("\n", 7)[-1])
    without = [entry.split()[0] for entry in entries if "==" in entry and "--hash=sha256:" not in entry]
    assert not without, f"{without} in requirements/{lock} have no hash"


def test_the_development_mail_catcher_is_not_a_runtime_dependency():
    assert "aiosmtpd" not in RUNTIME and "aiosmtpd" in pinned_in("dev.txt")
    assert "aiosmtpd" not in pinned_in("runtime.txt")
