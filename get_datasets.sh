#!/usr/bin/env bash
# Download CIFAR-10 into datasets/cifar-10-batches-py (see datasets/README.md).
# Usage: bash get_datasets.sh [--dest DIR] [--url URL] [--md5 HEX] [--retries N] [--quiet]
# Run it from anywhere; on Colab, `cd` into the kit folder and run `!bash get_datasets.sh`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if [ -x .venv/bin/python ]; then
    python=.venv/bin/python
else
    python=python3
fi
exec "$python" -m cs_utils.download "$@"
