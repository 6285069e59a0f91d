#!/usr/bin/env bash
# setup-venv.sh VENV REQUIREMENT... : creates the virtual environment VENV (when missing) and pip
# installs the requirements into it, unless they are installed already. pip uses the machine's
# own configuration (indexes, find-links); it retries an unreachable index once, not five times.
set -euo pipefail
venv=$1
shift
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
if "$venv/bin/python" - "$@" <<'PY' 2>/dev/null; then exit 0; fi
import sys
from importlib.metadata import version
from pip._vendor.packaging.requirements import Requirement  # pip always brings it
for text in sys.argv[1:]:
    if text.startswith("-"):
        continue
    r = Requirement(text)
    if not r.specifier.contains(version(r.name), prereleases=True):
        sys.exit(1)
PY
"$venv/bin/pip" install --retries 1 --progress-bar off -q "$@"
