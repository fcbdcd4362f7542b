"""The autograder: code assignments run in isolation and compared with the reference.

Data flow (see DESIGN.md, "Grade"):

1. :mod:`cvquiz.grade.assignment` reads ``questions/assignments/<name>/assignment.yaml``
   (strict reader in :mod:`cvquiz.grade.assignment_reader`, ``file:line`` errors) into typed
   functions and tests.
2. :mod:`cvquiz.grade.inputs` makes every test input in the parent from our own seeded
   generators (numpy ``Generator(PCG64(seed))``), never from hypothesis draws, so a regrade
   anywhere gives the same scores.
3. :mod:`cvquiz.grade.runner` computes the reference outputs once per (function, input) in the
   parent (they never leave it), redraws inputs within rounding of a threshold, and sets each
   call's time limit from the reference's own time.
4. :mod:`cvquiz.grade.submissions` copies each submission into a private folder;
   :mod:`cvquiz.grade.protocol` is the contract between the parent and the isolated worker:
   a :class:`~cvquiz.grade.protocol.Job` (a submission folder plus plain-data calls) goes to an
   :class:`~cvquiz.grade.protocol.Executor`, which returns a
   :class:`~cvquiz.grade.protocol.JobResult` holding only numeric arrays and statuses.
   :mod:`cvquiz.grade.sandbox` confines the workers; :mod:`cvquiz.grade.executor` holds the
   local process pool (and, later, a dask.distributed executor behind the same interface).
5. :mod:`cvquiz.grade.compare` decides pass or fail in the parent; :mod:`cvquiz.grade.feedback`
   words each failure (most basic first, English and Chinese); :mod:`cvquiz.grade.shrink` finds a
   smaller failing visible input.
6. :mod:`cvquiz.grade.classroom` runs ``check`` (one submission) and ``grade`` (a class, stored
   in ``grades.sqlite`` by :mod:`cvquiz.grade.store`, resumable); ``cvquiz.report`` writes the
   terminal table, CSV, JSON, Gradescope ``results.json`` and JUnit XML.
   :mod:`cvquiz.grade.starter` writes starter files and the reference as a submission.
"""
