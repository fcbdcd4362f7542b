"""Output that cannot be written, one rule for every command (issue #14 item 7).

A broken pipe (EPIPE: ``cvquiz ... | head``) exits 0 silently; any other write error (a full disk,
a closed standard output) prints ``cvquiz: error: cannot write output: ...`` on stderr and exits 3.
Before: an OSError traceback on every command for ``> /dev/full``, exit 0 having written nothing
with stdout closed, and ``topics | head -1`` exiting 1 while ``generate | head -1`` exited 0.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cvquiz.errors import ExitCode
from tests.cli_helpers import ROOT

COMMANDS = {
    "help": ["--help"],
    "version": ["--version"],
    "topics": ["topics"],
    "bank-check": ["bank", "check"],
    "bank-show": ["bank", "show", "detection.nms-strict-threshold"],
    "generate": ["generate", "iou", "--seed", "1", "--key"],
    "generate-list": ["generate", "--list"],
    "ref-list": ["ref", "list"],
    "assignment-list": ["assignment", "list"],
    "stats": ["stats"],
    "practice": ["practice", "detection", "--count", "1"],
}
#: The commands the default run tries with a broken pipe and a closed stdout (all of them: -m slow).
SAMPLE = ["help", "topics", "generate"]
FULL_DISK = "cvquiz: error: cannot write output: No space left on device"
CLOSED = "cvquiz: error: cannot write output: standard output is closed"


def _env(tmp_path):
    return {**os.environ, "PYTHONIOENCODING": "utf-8", "CVQUIZ_DB": str(tmp_path / "p.sqlite3"), "COLUMNS": "100"}


def _run(args, tmp_path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cvquiz", *args], cwd=ROOT, env=_env(tmp_path), input=b"q\n",
                          stderr=subprocess.PIPE, timeout=180, **kwargs)


def to_full_disk(args, tmp_path):
    with open("/dev/full", "wb") as full:
        return _run(args, tmp_path, stdout=full)


def to_closed_pipe(args, tmp_path):
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first line: every write is EPIPE
    try:
        return _run(args, tmp_path, stdout=write)
    finally:
        os.close(write)


def to_closed_stdout(args, tmp_path):
    return _run(args, tmp_path, stdout=subprocess.DEVNULL, preexec_fn=lambda: os.close(1))


needs_dev_full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")


@needs_dev_full
@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_full_disk_is_one_message_and_exit_3_for_every_command(tmp_path, name):
    proc = to_full_disk(COMMANDS[name], tmp_path)
    stderr = proc.stderr.decode()
    assert proc.returncode == ExitCode.COULD_NOT_RUN, stderr
    assert stderr.strip().splitlines()[-1] == FULL_DISK
    assert "Traceback" not in stderr


def _broken_pipe(tmp_path, name):
    proc = to_closed_pipe(COMMANDS[name], tmp_path)
    assert proc.returncode == ExitCode.OK, proc.stderr.decode()
    assert proc.stderr.decode() == ""


def _closed_stdout(tmp_path, name):
    proc = to_closed_stdout(COMMANDS[name], tmp_path)
    stderr = proc.stderr.decode()
    assert proc.returncode == ExitCode.COULD_NOT_RUN, stderr
    assert stderr.strip().splitlines()[-1] == CLOSED


@pytest.mark.parametrize("name", SAMPLE)
def test_a_broken_pipe_exits_0_silently(tmp_path, name):
    _broken_pipe(tmp_path, name)


@pytest.mark.parametrize("name", SAMPLE)
def test_a_closed_stdout_is_one_message_and_exit_3(tmp_path, name):
    _closed_stdout(tmp_path, name)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in COMMANDS if n not in SAMPLE])
def test_every_other_command_follows_the_same_rule_for_broken_pipes_and_closed_stdout(tmp_path, name):
    _broken_pipe(tmp_path, name)
    _closed_stdout(tmp_path, name)


def test_topics_into_head_exits_0_like_generate(tmp_path):
    for args in (["topics"], ["generate", "iou", "--seed", "1"]):
        proc = subprocess.run(f"{sys.executable} -m cvquiz {' '.join(args)} | head -1 >/dev/null; "
                              "echo ${PIPESTATUS[0]}", shell=True, executable="/bin/bash", cwd=ROOT,
                              env=_env(tmp_path), capture_output=True, text=True, timeout=180)
        assert proc.stdout.strip() == "0", (args, proc.stderr)
