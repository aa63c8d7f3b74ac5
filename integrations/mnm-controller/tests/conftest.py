# Copyright The otelcol-mnm Authors
# SPDX-License-Identifier: Apache-2.0
"""Shared fixtures; the header line names the FastAPI and pydantic the tests ran on.

FastAPI is imported inside the fixtures only, so that test_validation_core.py and
test_store_double.py also run where pydantic is present without FastAPI (for
example a pydantic 2 interpreter: see README.md)."""

import platform
from datetime import datetime, timezone

import pydantic
import pytest

from mnm_store_double import MemoryStore

NOW = datetime(2026, 11, 22, 14, 0, 0, tzinfo=timezone.utc)


def _versions():
    try:
        import fastapi
        import starlette
        web = f"FastAPI {fastapi.__version__}, Starlette {starlette.__version__}"
    except ImportError:
        web = "FastAPI not installed"
    return f"mnm-controller upsert route: {web}, pydantic {pydantic.VERSION}, Python {platform.python_version()}"


def pytest_report_header(config):
    return _versions()


def pytest_terminal_summary(terminalreporter, config):
    if config.getoption("verbose") < 0:  # -q hides the header: say it before the summary line
        terminalreporter.write_line(_versions())


@pytest.fixture
def store():
    """The store double, its clock stopped at NOW."""
    return MemoryStore(clock=lambda: NOW)


@pytest.fixture
def client(store):
    """A TestClient of the MNM-shaped app with the upsert router."""
    from fastapi.testclient import TestClient
    from mnm_test_app import build_app
    return TestClient(build_app(store))
