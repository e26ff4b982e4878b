#!/usr/bin/env bash
# Install the Debian packages a make target needs, or say in one line what to install.
#   tools/system_packages.sh CHECK:PACKAGE...
# CHECK is a command name (found on PATH) or an absolute path glob (e.g. /usr/lib/postgresql/*/bin/initdb);
# PACKAGE is the Debian package that provides it. As root, missing packages are installed with apt-get;
# otherwise the script prints the apt-get line to run and exits 1.
set -euo pipefail

missing=()
for pair in "$@"; do
  check=${pair%%:*}
  package=${pair#*:}
  if [[ $check == /* ]]; then
    compgen -G "$check" >/dev/null && continue
  else
    command -v "$check" >/dev/null 2>&1 && continue
  fi
  [[ " ${missing[*]-} " == *" $package "* ]] || missing+=("$package")
done
((${#missing[@]})) || exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "missing system packages: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "==> apt-get install ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
