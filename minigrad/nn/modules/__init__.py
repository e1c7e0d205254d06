"""The layer classes of ``minigrad.nn``, one file per family as in ``torch/nn/modules/``."""
from .module import Module
from .linear import Identity, Linear
from .conv import Conv2d
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .activation import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .normalization import LayerNorm
from .batchnorm import BatchNorm1d, BatchNorm2d
from .sparse import Embedding
from .dropout import Dropout
from .flatten import Flatten, Unflatten
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .container import ModuleDict, ModuleList, Sequential

__all__ = ["Module", "Identity", "Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "ReLU",
           "Sigmoid", "Tanh", "LeakyReLU", "Softmax", "LogSoftmax", "LayerNorm", "BatchNorm1d",
           "BatchNorm2d", "Embedding", "Dropout", "Flatten",
           "Unflatten", "MSELoss", "NLLLoss", "CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss", "Sequential",
           "ModuleList", "ModuleDict"]
