"""JUnit XML (the Jenkins ``junit-10.xsd`` shape that CI systems read).

One ``<testsuite>`` per question (function), named ``<assignment>.<question>``, with its points in
``<properties>`` (``points``, ``score``, and ``points:<test>`` as ``score/max`` for each test, since
the common schema has no properties on a test case). Each ``<testcase>`` has the question as
``classname`` and the test id with its seeds as ``name``; a failing one holds a ``<failure>`` whose
``type`` is what went wrong and whose body is the student-facing text.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone

from cvquiz.report.model import SubmissionResult


def junit_xml(results: list[SubmissionResult], lang: str = "en") -> str:
    root = ET.Element("testsuites", name="cvquiz")
    n_tests = n_fail = 0
    total_time = 0.0
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for result in results:
        for question, points in result.questions or tuple(dict.fromkeys((t.question, 0.0) for t in result.tests)):
            tests = [t for t in result.tests if t.question == question]
            failures = sum(not t.passed for t in tests)
            elapsed = sum(t.elapsed_s for t in tests)
            suite = ET.SubElement(root, "testsuite", name=f"{result.assignment}.{question}", tests=str(len(tests)),
                                  failures=str(failures), errors="0", skipped="0", time=f"{elapsed:.3f}",
                                  timestamp=stamp)
            if len(results) > 1:
                suite.set("id", result.student)
            props = ET.SubElement(suite, "properties")
            ET.SubElement(props, "property", name="student", value=result.student)
            ET.SubElement(props, "property", name="points", value=_num(points))
            ET.SubElement(props, "property", name="score", value=_num(sum(t.score for t in tests)))
            for t in tests:
                ET.SubElement(props, "property", name=f"points:{t.test}", value=f"{_num(t.score)}/{_num(t.max_score)}")
            for t in tests:
                seeds = ",".join(str(s) for s in t.seeds)
                case = ET.SubElement(suite, "testcase", classname=f"{result.assignment}.{question}",
                                     name=f"{t.test} [seed {seeds}]" if seeds else t.test, time=f"{t.elapsed_s:.3f}")
                if not t.passed:
                    text = t.message.get(lang)
                    failure = ET.SubElement(case, "failure", type=t.status if t.visible else "failed",
                                            message=(text.splitlines() or ["failed"])[0][:200])
                    failure.text = text
            n_tests += len(tests)
            n_fail += failures
            total_time += elapsed
    root.set("tests", str(n_tests))
    root.set("failures", str(n_fail))
    root.set("errors", "0")
    root.set("time", f"{total_time:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _num(x: float) -> str:
    return f"{round(x, 6):g}"
