"""Fuzzing: a generic runner with a per-case time bound, mutators, and what each target accepts.

- :mod:`tests.fuzz.runner`: runs cases in a child process, one at a time, and kills the child
  when a case passes its time bound; reports the failing seed and case.
- :mod:`tests.fuzz.mutators`: hostile variants of YAML text (any YAML file: banks, syllabus,
  assignments) and of typed answers.
- :mod:`tests.fuzz.banks`: the bank-specific part (seed banks, the loader as the target).
"""
