"""The autograder: code assignments run in isolation and compared with the reference.

Data flow (see DESIGN.md, "Grade"):

1. :mod:`cvquiz.grade.assignment` reads ``questions/assignments/<name>/assignment.yaml``
   (strict loader, ``file:line`` errors) into typed functions and tests.
2. :mod:`cvquiz.grade.inputs` makes every test input in the parent from our own seeded
   generators (numpy ``Generator(PCG64(seed))``), never from hypothesis draws, so a regrade
   anywhere gives the same scores.
3. The parent computes the reference outputs once per (function, input); they never leave it.
4. :mod:`cvquiz.grade.protocol` is the contract between the parent and the isolated worker:
   a :class:`~cvquiz.grade.protocol.Job` (a submission folder plus plain-data calls) goes to an
   :class:`~cvquiz.grade.protocol.Executor`, which returns a
   :class:`~cvquiz.grade.protocol.JobResult` holding only numeric arrays and statuses.
   :mod:`cvquiz.grade.sandbox` starts the isolated workers; :mod:`cvquiz.grade.executor` holds
   the local process pool (and, later, a dask.distributed executor behind the same interface).
5. :mod:`cvquiz.grade.compare` decides pass or fail in the parent; :mod:`cvquiz.grade.runner`
   ties it together and stores results (``grades.sqlite``, resumable); ``cvquiz.report``
   writes the terminal table, CSV, JSON, Gradescope ``results.json`` and JUnit XML.
"""
