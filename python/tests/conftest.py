"""Shared fixtures: one context per test module on the default device (kernels built once), and
the repository's paths."""
import os
import pathlib
import shutil

import pytest

import mrank

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def ctx():
    try:
        context = mrank.Context()
    except mrank.Error as error:
        pytest.skip("no OpenCL device: %s" % error)
    yield context
    context.close()


@pytest.fixture(scope="session")
def cli():
    """The mrank command of a build (MRANK_CLI, else build/mrank), or skip."""
    path = os.environ.get("MRANK_CLI") or str(ROOT / "build" / "mrank")
    if not os.path.exists(path) and shutil.which("mrank") is None:
        pytest.skip("no mrank command built (./scripts/setup, or MRANK_CLI)")
    return path if os.path.exists(path) else shutil.which("mrank")
