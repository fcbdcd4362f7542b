"""The project's promises: the README's commands, CI, help texts, exit codes."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from cvquiz.cli import main
from cvquiz.errors import ExitCode
from tests.cli_helpers import ROOT, run_cvquiz


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text, flags=re.S)


def test_readme_has_exactly_two_setup_commands_that_pin_the_cpu_torch():
    commands = _readme_commands()
    assert len(commands) == 2
    main_job, tests = commands
    for command in commands:
        assert "torch==2.13.0" in command and "\n" not in command
    assert "cvquiz practice" in main_job
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [ln for ln in ci.splitlines() if ln.strip() and not ln.startswith(("#", "set ", "cd "))]
    assert lines == [_readme_commands()[1]]


def _all_commands(group: click.Group, prefix=()):
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _all_commands(command, (*prefix, name))


@pytest.mark.parametrize("path,command", list(_all_commands(main)), ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_every_command_has_help_that_ends_with_an_example(path, command):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    body = (command.help or "").strip()
    assert "Example:" in body, f"`cvquiz {' '.join(path)}` help has no example"
    last = body.splitlines()[-1].strip()
    assert last.startswith("cvquiz "), f"help of {path} should end with an example command, got {last!r}"


def test_version_prints_the_package_version():
    from cvquiz import __version__

    result = run_cvquiz("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_exit_codes_are_named_and_stable():
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 4, 130]


def test_an_unknown_command_is_a_usage_error():
    result = run_cvquiz("frobnicate")
    assert result.returncode == ExitCode.USAGE
    assert "No such command" in result.stderr


def test_a_missing_course_directory_is_a_clear_could_not_run_error(tmp_path):
    result = run_cvquiz("--course", str(tmp_path / "nope"), "topics")
    assert result.returncode == ExitCode.COULD_NOT_RUN
    assert "course directory does not exist" in result.stderr
    assert "Traceback" not in result.stderr
