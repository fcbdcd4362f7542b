"""The engine's small error family and the CLI's named exit codes.

Every error says where, what, and what was expected; the CLI turns them into a
message in one place (:mod:`cvquiz.cli`). A student's wrong answer or failing
submission is a result, never an exception.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Every exit status of ``cvquiz``, in one place."""

    OK = 0
    CHECKS_FAILED = 1  # a bank check, a test or a submission failed
    USAGE = 2  # bad command line, or a command that is not available
    COULD_NOT_RUN = 3  # missing file, broken course, sandbox unavailable, ...
    UNEXPECTED = 4  # an error cvquiz did not foresee: a bug to report (`cvquiz --traceback ...` shows it)
    INTERRUPTED = 130  # Ctrl-C (SIGINT), as shells report 128 + 2


class CvquizError(Exception):
    """Base of every error the CLI turns into a message."""

    exit_code: ExitCode = ExitCode.COULD_NOT_RUN


class CourseError(CvquizError):
    """A course directory is missing or does not have the expected layout."""


class BankError(CvquizError):
    """A question bank (or the syllabus) is malformed.

    ``problems`` holds one line per problem, each ``file:line: key.path: message``.
    """

    exit_code = ExitCode.CHECKS_FAILED

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class ProblemError(CvquizError):
    """A problem generator was asked for something it cannot make."""

    exit_code = ExitCode.USAGE


class StoreError(CvquizError):
    """Stored progress or grades could not be read or written."""


class SandboxError(CvquizError):
    """Student code could not be run safely (a layer is missing, a limit is wrong)."""


class ExamError(CvquizError):
    """An exam could not be built or marked (roster, spec, answer sheet, manifest, fonts)."""
