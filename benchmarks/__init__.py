"""minigrad's benchmark suite: ``python benchmarks/run.py`` (see benchmarks/README.md).

Not part of the installed package; peers come from the optional ``bench`` extra.
"""
