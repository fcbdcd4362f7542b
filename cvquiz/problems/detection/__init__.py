"""Problem generators for the detection topic, one module per concept their problems carry.

:mod:`~cvquiz.problems.detection.boxes` (IoU, NMS, box formats),
:mod:`~cvquiz.problems.detection.losses` (box regression losses),
:mod:`~cvquiz.problems.detection.metrics` (precision, recall, AP, mAP) and
:mod:`~cvquiz.problems.detection.rcnn` (RoI Align, RoI Pool, Faster R-CNN anchors). Importing
this package registers all twelve under the topic ``detection``.

Conventions stated in every prompt (and followed by ``reference/detection.py``): boxes are
continuous coordinates without VOC's +1; NMS suppresses at IoU strictly greater than the
threshold; 11-point AP takes the maximum precision at recall ≥ t; RoI Align and RoI Pool
follow torchvision (``aligned=False``).
"""

from cvquiz.problems.detection import boxes, losses, metrics, rcnn  # noqa: F401  (register)
