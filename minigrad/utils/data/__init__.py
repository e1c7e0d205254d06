"""minigrad.utils.data: as ``torch.utils.data`` (being written)."""
