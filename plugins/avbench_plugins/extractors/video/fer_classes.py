"""The FER-2013 mini-Xception's output classes and input side, apart from the torch network in :mod:`.mini_xception`.

Listing the FER extractors needs these, and no torch.
"""

FER_CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
INPUT_SIZE = 64
