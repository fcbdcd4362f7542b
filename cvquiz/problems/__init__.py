"""Randomized numeric problems with exact (sympy) answers.

:mod:`cvquiz.problems.registry` holds the registry, seeding and the Variant type (a leaf
module); one module per topic (points, sequence, attention, detection, generative) registers
its generators, and this package imports the five, so importing anything from it registers
every generator once. :mod:`cvquiz.problems.display` writes exact numbers and prompts as a
student reads them; :mod:`cvquiz.problems.mistakes` keeps listed mistakes typable and apart;
:mod:`cvquiz.problems.export` renders variants as the JSON contract (its JSON Schema is
``variant.schema.json`` beside it), text, Markdown or LaTeX.
"""

from cvquiz.problems import attention, detection, generative, points, sequence  # noqa: F401  (register)
