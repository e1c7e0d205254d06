"""minigrad.nn: as ``torch.nn`` (being written)."""
