"""cvquiz: practice, exams and autograding for a computer-vision course.

The engine (this package) knows no course content; the built-in course lives in
``questions/`` and ``reference/`` and is found by :mod:`cvquiz.course`.
"""

__version__ = "0.1.0"
