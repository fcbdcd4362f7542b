"""Instructor exams: per-student papers, answer keys, marking and item analysis.

One module per step, in the order an exam goes::

    roster   the class list (CSV: id, name, sis_id, section)
    spec     which questions: an exam spec (YAML) or topics / question ids
    paper    each student's variants and choice order; the manifest that rebuilds them
    fingerprint  sha256 of each fixed question's key and content, so marking notices bank edits
    render   a paper as Markdown, HTML and typst source (figures drawn with typst shapes / SVG)
    typeset  a prompt as typst prose: paragraphs, aligned blocks kept raw, formulas found in the text
    formula  one formula in the course's plain-text notation as typst math (a small tokenizer)
    pdf      typst → PDF, and the CJK font check that comes before it
    build    `cvquiz exam build`: papers, keys, answer-sheet template, manifest
    mark     `cvquiz exam mark`: the answer sheet checked with practice's rules; gradebooks, feedback
    stats    item analysis (facility, discrimination, reliability, distractors, misconceptions)
    report   the histogram and item map (matplotlib) in a self-contained report.html

The optional dependencies (``typst``, ``matplotlib``, ``pypdf``: the ``exam`` extra) are imported
only where they are used. Nothing here imports torch.
"""
