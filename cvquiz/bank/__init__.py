"""Question banks: the syllabus, typed questions, and their strict YAML loader.

The public API::

    from cvquiz.bank import load_course_bank
    bank = load_course_bank(course)            # Bank; BankError lists every problem
    for q in bank.select(["iou"]):             # topic ids, concept ids, aliases, question ids
        verdict = q.check(typed)               # or check_answer(q.answer_kind, q.answer, ...)

Nothing here imports torch.
"""

from cvquiz.bank.load import (Bank, UnknownNameError, bank_files, load_bank_file, load_banks,
                              load_course_bank)
from cvquiz.bank.schema import (KINDS, QUESTION_TYPES, Choice, ChoiceQuestion, CodeQuestion,
                                ExpressionQuestion, GeneratedQuestion, MultiQuestion, NumericQuestion,
                                OrderQuestion, Question, ShapeQuestion, TrueFalseQuestion, json_schema)
from cvquiz.bank.syllabus import Concept, Syllabus, Topic, load_syllabus

__all__ = [
    "Bank", "UnknownNameError", "bank_files", "load_bank_file", "load_banks", "load_course_bank",
    "KINDS", "QUESTION_TYPES", "Choice", "ChoiceQuestion", "CodeQuestion", "ExpressionQuestion",
    "GeneratedQuestion", "MultiQuestion", "NumericQuestion", "OrderQuestion", "Question", "ShapeQuestion",
    "TrueFalseQuestion", "json_schema", "Concept", "Syllabus", "Topic", "load_syllabus",
]
