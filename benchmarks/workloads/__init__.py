"""One module per workload; in each, one small builder per framework (``IMPLS``).

A builder takes ``(data, case)`` and returns a ``harness.Impl`` whose
``step(i)`` runs training step ``i``.  Every builder starts from the same
arrays (``data``) and the same initial weights, and writes the same math in
the framework's own idiom.
"""
import importlib

WORKLOADS = {"W1": "w1_logreg", "W2": "w2_mlp", "W3": "w3_lenet", "W4": "w4_overhead", "W5": "w5_scaling",
             "W6": "w6_random"}


def get(name):
    return importlib.import_module(f"{__name__}.{WORKLOADS[name]}")
