#!/usr/bin/env bash
# Gradescope autograder setup: runs once when the autograder image is built (Ubuntu, as root).
set -euo pipefail
SOURCE="${GRADESCOPE_ROOT:-/autograder}/source"

apt-get update
apt-get install -y --no-install-recommends python3 python3-pip python3-venv
python3 -m venv /opt/cvquiz
/opt/cvquiz/bin/pip install --upgrade pip
/opt/cvquiz/bin/pip install torch --index-url https://download.pytorch.org/whl/cpu
/opt/cvquiz/bin/pip install "$SOURCE/cvquiz"
ln -sf /opt/cvquiz/bin/cvquiz /usr/local/bin/cvquiz
cvquiz --version
# Which isolation layers this image offers (run_autograder fails closed without the required ones).
cvquiz grade --check-sandbox || echo "cvquiz: a required isolation layer is missing here; check --all will refuse"
