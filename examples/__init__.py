"""The seed tutorials as scripts: each runs under ``--framework torch`` or ``--framework minigrad``.

``python examples/<name>.py --help``; ``python -m minigrad train|compare|graph --example ...`` runs them too.
"""
