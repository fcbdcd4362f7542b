"""Shared fixtures: the device grid, hypothesis profiles, the repository root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent

# "default" keeps CI lean; "slow" is the 500-seed run (pytest -m slow sets it too).
settings.register_profile("default", max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("slow", max_examples=500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_configure(config):
    if "slow" in (config.getoption("-m") or "") and "not slow" not in config.getoption("-m"):
        settings.load_profile("slow")


def _devices():
    out = [pytest.param("cpu", id="cpu")]
    try:
        import torch

        cuda = torch.cuda.is_available()
    except ImportError:  # pragma: no cover
        cuda = False
    out.append(pytest.param("cuda", id="cuda", marks=[
        pytest.mark.gpu, pytest.mark.skipif(not cuda, reason="CUDA not available")]))
    return out


@pytest.fixture(params=_devices())
def device(request):
    """Run a test on the CPU and, where present, on CUDA."""
    return request.param


@pytest.fixture(scope="session")
def course():
    from cvquiz.course import find_course

    return find_course()


@pytest.fixture(scope="session")
def ref(course):
    """The built-in reference modules by topic: ``ref.detection.box_iou``."""

    class _Refs:
        def __getattr__(self, topic):
            return course.reference(topic)

    return _Refs()
