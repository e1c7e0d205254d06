"""minigrad.optim: as ``torch.optim`` (being written)."""
