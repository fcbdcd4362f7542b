"""Randomized numeric problems with exact (sympy) answers.

:mod:`cvquiz.problems.registry` holds the registry, seeding and the Variant type (a leaf
module); one module per topic (points, sequence, attention, detection, generative) registers
its generators; the registry imports the five on first use (:func:`load_generators`).
:mod:`cvquiz.problems.display` writes exact numbers and prompts as a
student reads them; :mod:`cvquiz.problems.mistakes` keeps listed mistakes typable and apart;
:mod:`cvquiz.problems.export` renders variants as the JSON contract (its JSON Schema is
``variant.schema.json`` beside it), text, Markdown or LaTeX.
"""



def load_generators() -> None:
    """Import the five topic modules (once), whose decorators register every generator.

    Called by :func:`cvquiz.problems.registry.registry` (and so by ``get`` and ``make``), not at
    package import: the generators import sympy (half a second), which a drill needs only once
    it checks an answer or draws numbers, not to show its first bank question.
    """
    from cvquiz.problems import attention, detection, generative, points, sequence  # noqa: F401  (register)
