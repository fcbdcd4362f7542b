"""Randomized numeric problems with exact (sympy) answers.

:mod:`cvquiz.problems.registry` holds the registry, seeding and the Variant type; one
module per topic (points, sequence, attention, detection, generative) registers generators;
:mod:`cvquiz.problems.export` renders variants as the JSON contract (its JSON Schema is
``variant.schema.json`` beside it), text, Markdown or LaTeX.
"""
