#!/usr/bin/env bash
# Set up a virtual environment with the example extras and run the main job:
# train on real MNIST digits in minigrad and in PyTorch from the same seed (torch.manual_seed alone), and compare.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[examples]'
exec .venv/bin/python -m minigrad "$@"
