"""Question banks: the syllabus, typed questions, and their strict YAML loader.

Nothing here imports torch.
"""
