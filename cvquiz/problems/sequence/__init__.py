"""Problem generators for the sequence topic, one module per concept their problems carry.

:mod:`~cvquiz.problems.sequence.cells` (RNN/LSTM/GRU sizes and single steps),
:mod:`~cvquiz.problems.sequence.gradients` (clipping, vanishing and exploding gradients,
truncated BPTT) and :mod:`~cvquiz.problems.sequence.decoding` (beam search). Importing this
package registers all of them under the topic ``sequence``.

Conventions stated in the prompts: a weight is ``[in, out]`` and applied as ``x @ W`` (row
vectors, as in the reference); LSTM gates are stacked i, f, o, g; ``σ`` is the logistic
sigmoid; indices and token ids count from 0.
"""

from cvquiz.problems.sequence import cells, gradients, decoding  # noqa: F401, I001  (register, in lecture order)
