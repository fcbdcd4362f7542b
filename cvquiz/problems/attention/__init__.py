"""Problem generators for the attention topic, one module per concept their problems carry.

:mod:`~cvquiz.problems.attention.shapes` (shapes, costs and parameters of multi-head
attention), :mod:`~cvquiz.problems.attention.weights` (softmax weights, causal masks) and
:mod:`~cvquiz.problems.attention.blocks` (LayerNorm, RMSNorm, SwiGLU, mixture of experts, ViT
tokens). Importing this package registers all of them under the topic ``attention``.

Conventions stated in the prompts: shapes are unbatched as the cheatsheet draws them
(``X`` is [N, D]); a weight is [in, out]; ``d`` is the width per head; one multiply-add is
2 FLOPs; 1 MiB = 2²⁰ bytes; indices count from 0.
"""

from cvquiz.problems.attention import shapes, weights, blocks  # noqa: F401, I001  (register, in lecture order)
from cvquiz.problems.attention.shapes import SHAPE_PARTS  # noqa: F401  (the parts of an attention_shapes answer)
