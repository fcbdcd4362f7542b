"""Reporters over one result model: terminal tables, CSV gradebooks, JSON, Gradescope, JUnit XML.

:mod:`cvquiz.report.model` holds the model (:class:`~cvquiz.report.model.TestResult`,
:class:`~cvquiz.report.model.SubmissionResult`); each writer turns a list of them into one
format. The autograder fills them today; exams reuse the same writers for their gradebook.
Every file is written by :func:`cvquiz.report.files.write_atomic` (a temporary file, then an
atomic rename), by the grader's own process.
"""
