"""Randomized numeric problems with exact (sympy) answers.

:mod:`cvquiz.problems.registry` holds the registry, seeding and the Variant type; one
module per topic (points, sequence, attention, detection, generative) registers generators.
"""
