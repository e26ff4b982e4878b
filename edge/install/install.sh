#!/usr/bin/env bash
# Install the Scout edge client on a Raspberry Pi (Raspberry Pi OS 64-bit, Python 3.11).
#
#   sudo ./install.sh [PACKAGE]      PACKAGE: a wheel, a source folder, or "scout-edge" from the index
#
# Creates the `scout` user, a virtualenv in /opt/scout-edge, /etc/scout-edge/device.toml (from the
# example, if there is none yet), /var/lib/scout-edge for the spool, clips and landing zone, and the
# systemd unit. Safe to run again for an upgrade: the device file, the env file and the spool are kept.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
package="${1:-$(dirname "$here")}"
prefix=/opt/scout-edge
state=/var/lib/scout-edge
etc=/etc/scout-edge

if [[ $EUID -ne 0 ]]; then
  echo "install.sh: run it as root (sudo $0)" >&2
  exit 1
fi
python3 -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null || {
  echo "install.sh: Python 3.11 or newer is needed (Raspberry Pi OS bookworm has it)" >&2
  exit 1
}

echo "==> system packages (PortAudio for the microphone, V4L for the camera)"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv libportaudio2 v4l-utils

echo "==> user and folders"
id scout >/dev/null 2>&1 || useradd --system --home-dir "$state" --shell /usr/sbin/nologin scout
usermod -a -G audio,video scout
install -d -o scout -g scout -m 750 "$state" "$state/cache"
install -d -o root -g scout -m 750 "$etc"

echo "==> virtualenv $prefix/venv with scout-edge[device,microphone]"
python3 -m venv "$prefix/venv"
"$prefix/venv/bin/pip" install --quiet --upgrade pip
"$prefix/venv/bin/pip" install --quiet "${package}[device,microphone]"

if [[ ! -f "$etc/device.toml" ]]; then
  install -o root -g scout -m 640 "$here/device.example.toml" "$etc/device.toml"
  sed -i "s#^path = \"spool.db\"#path = \"$state/spool.db\"#; s#^clip_dir = \"clips\"#clip_dir = \"$state/clips\"#; s#^landing_dir = \"landing\"#landing_dir = \"$state/landing\"#" "$etc/device.toml"
  echo "    wrote $etc/device.toml: set device_id, store_id, zones and the transport"
fi
[[ -f "$etc/env" ]] || install -o root -g scout -m 640 /dev/null "$etc/env"

echo "==> check the device file"
runuser -u scout -- "$prefix/venv/bin/python" -c "from scout_edge.config import load; load('$etc/device.toml')"

echo "==> systemd unit"
install -m 644 "$here/scout-edge.service" /etc/systemd/system/scout-edge.service
systemctl daemon-reload
systemctl enable scout-edge.service
systemctl restart scout-edge.service
systemctl --no-pager status scout-edge.service | head -5
echo "done: logs with 'journalctl -u scout-edge -f', spool with '$prefix/venv/bin/scout-edge spool status --config $etc/device.toml'"
