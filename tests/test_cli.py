"""One CLI convention: the shared --lang and --plain, one injectable console, named exit codes
for Ctrl-C and for an unexpected error, and library messages that name arguments, not flags."""

from __future__ import annotations

import io
import re

import click
import pytest
from click.testing import CliRunner
from rich.console import Console

from cvquiz.cli import main
from cvquiz.cli.options import console, default_lang, flag_message
from cvquiz.errors import ExitCode
from tests.cli_helpers import run_cvquiz

NO_LOCALE = {"LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "", "NO_COLOR": ""}


def _all_commands(group: click.Group, prefix=()):
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _all_commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


def _lang_options():
    for path, command in _all_commands(main):
        for param in command.params:
            if "--lang" in getattr(param, "opts", ()):
                yield " ".join(path), param


def test_every_lang_option_is_the_shared_one_with_the_locale_default_and_help():
    found = dict(_lang_options())
    assert {"practice", "stats", "topics", "generate", "bank show"} <= set(found)
    for name, param in found.items():
        assert param.default is None, name  # resolved from the locale when not given
        papers = name.startswith("exam ")  # printed papers may hold both languages
        assert list(param.type.choices) == (["en", "zh", "both"] if papers else ["en", "zh"]), name
        assert "locale" in (param.help or ""), name


@pytest.mark.parametrize("env,lang", [
    ({"LANG": "zh_CN.UTF-8"}, "zh"), ({"LANG": "en_US.UTF-8"}, "en"), ({"LC_ALL": "zh_TW"}, "zh"),
    ({"LANGUAGE": "en", "LANG": "zh_CN.UTF-8"}, "en"), ({}, "en"),
], ids=["zh-lang", "en-lang", "zh-lc-all", "language-first", "none"])
def test_the_default_language_comes_from_the_locale(monkeypatch, env, lang):
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert default_lang() == lang


def test_generate_without_lang_speaks_the_locale_language():
    zh = CliRunner(env={**NO_LOCALE, "LANG": "zh_CN.UTF-8"}).invoke(main, ["generate", "--list"])
    en = CliRunner(env=NO_LOCALE).invoke(main, ["generate", "--list"])
    assert zh.exit_code == en.exit_code == 0
    assert re.search("[\u4e00-\u9fff]", zh.output) and not re.search("[\u4e00-\u9fff]", en.output)


def _injected(*args: str, env: dict | None = None) -> tuple[click.testing.Result, str]:
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, color_system=None)
    result = CliRunner(env={**NO_LOCALE, **(env or {})}).invoke(main, list(args), obj={"console": console})
    return result, buffer.getvalue()


def test_an_injected_console_receives_the_rich_output_of_a_command():
    result, text = _injected("topics", "--lang", "zh")
    assert result.exit_code == 0, result.output
    assert "概念" in text and "共" in text
    assert "概念" not in result.output  # nothing went around the injected console


def test_plain_output_has_no_box_drawing_and_no_colour():
    result, text = _injected("topics", "--plain")
    assert result.exit_code == 0, result.output
    assert "concept" in text and not set(text) & set("━┃┏┓┗┛─│┌┐└┘")


@pytest.mark.parametrize("no_color,plain,expected", [("", False, False), ("1", False, True), ("", True, True)],
                         ids=["colour", "NO_COLOR", "--plain"])
def test_the_console_has_no_colour_under_no_color_or_plain(monkeypatch, no_color, plain, expected):
    monkeypatch.setenv("NO_COLOR", no_color)
    with click.Context(main, obj={"plain": plain}) as ctx:
        built = console(ctx)
        assert built.no_color is expected and console(ctx) is built  # built once per run


def test_the_console_follows_the_terminal_width():
    narrow = run_cvquiz("ref", "list", "detection", env={"COLUMNS": "60"})
    wide = run_cvquiz("ref", "list", "detection", env={"COLUMNS": "160"})
    assert narrow.returncode == wide.returncode == 0
    assert max(map(len, narrow.stdout.splitlines())) <= 60 < max(map(len, wide.stdout.splitlines()))


def _raise_in_topics(monkeypatch, exc: BaseException):
    import cvquiz.bank.load

    def boom(*args, **kwargs):
        raise exc

    monkeypatch.setattr(cvquiz.bank.load, "load_course_bank", boom)


def test_ctrl_c_in_a_command_exits_130_with_a_short_note(monkeypatch):
    _raise_in_topics(monkeypatch, KeyboardInterrupt())
    result = CliRunner().invoke(main, ["topics"])
    assert result.exit_code == ExitCode.INTERRUPTED == 130
    assert result.stderr.strip() == "cvquiz: interrupted"


def test_an_unexpected_error_is_one_line_with_a_pointer_to_report_it(monkeypatch):
    _raise_in_topics(monkeypatch, ZeroDivisionError("division by zero"))
    result = CliRunner().invoke(main, ["topics"])
    assert result.exit_code == ExitCode.UNEXPECTED
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("cvquiz: unexpected error: ZeroDivisionError: division by zero (")
    assert "report it" in result.stderr and "cvquiz --traceback" in result.stderr


def test_traceback_shows_the_stack_of_an_unexpected_error(monkeypatch):
    _raise_in_topics(monkeypatch, ZeroDivisionError("division by zero"))
    result = CliRunner().invoke(main, ["--traceback", "topics"])
    assert isinstance(result.exception, ZeroDivisionError)  # not caught: Python prints the stack
    assert "--traceback" not in CliRunner().invoke(main, ["--help"]).output  # hidden


def test_a_known_error_still_prints_its_message_not_the_unexpected_line(tmp_path):
    result = CliRunner().invoke(main, ["--course", str(tmp_path / "nope"), "topics"])
    assert result.exit_code == ExitCode.COULD_NOT_RUN
    assert "course directory does not exist" in result.stderr and "unexpected" not in result.stderr


@pytest.mark.parametrize("args", [["generate", "iou", "--seed", "xyz"],
                                  ["bank", "show", "detection.tasks-instances", "--seed", "-"],
                                  ["practice", "iou", "--seed", "0xg"]],
                         ids=["generate", "bank-show", "practice"])
def test_the_cli_names_the_seed_flag_that_the_library_calls_an_argument(args, tmp_path):
    result = CliRunner().invoke(main, args + (["--db", str(tmp_path / "p.db")] if args[0] == "practice" else []))
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.startswith("cvquiz: error: --seed: expected a hex string"), result.stderr


def test_flag_message_restates_an_argument_message_about_the_flag():
    assert flag_message("seed: expected hex", "seed", "--seed") == "--seed: expected hex"
    assert flag_message("something else", "seed", "--seed") == "--seed: something else"


def test_only_the_options_module_builds_a_console_or_declares_lang():
    from tests.cli_helpers import ROOT

    for path in sorted((ROOT / "cvquiz" / "cli").glob("*.py")):
        if path.name == "options.py":
            continue
        source = path.read_text(encoding="utf-8")
        assert "Console(" not in source, f"{path.name}: use cvquiz.cli.options.console(ctx)"
        assert '"--lang"' not in source, f"{path.name}: use cvquiz.cli.options.lang_option"
