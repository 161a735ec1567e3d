#!/bin/sh
# Installs Debian's NumPy with OpenBLAS (the benchmark's hardware reference column) when it is
# missing; a second run does nothing. Called by `npm run bench`, never by the tests.
set -eu
if /usr/bin/python3 -c "import numpy" 2>/dev/null && dpkg-query -W -f='${Status}' libopenblas0-pthread 2>/dev/null | grep -q "install ok installed"; then
  exit 0
fi
run_as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
echo "installing Debian's python3-numpy and OpenBLAS" >&2
export DEBIAN_FRONTEND=noninteractive
run_as_root apt-get update -qq >/dev/null
run_as_root apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 python3-numpy libopenblas0-pthread >/dev/null
/usr/bin/python3 -c "import numpy"
