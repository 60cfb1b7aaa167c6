#!/usr/bin/env bash
# One-time set-up on Debian 12: installs the Debian packages hvsim needs (only the
# missing ones, after apt-get update) and provides Unicorn >= 2.1.2 in third_party/.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(build-essential cmake pkg-config gcc-multilib libcapstone-dev libpcap-dev libsdl2-dev
      libcriterion-dev liblua5.4-dev zlib1g-dev acpica-tools tshark qemu-system-x86 iproute2 isc-dhcp-client iputils-ping python3)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing missing Debian packages: ${missing[*]}" >&2
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: need root to install packages (run as root or with sudo)" >&2
        exit 1
    fi
    apt-get update -q
    echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi
if ! pkg-config --atleast-version=2.1.2 unicorn 2>/dev/null; then
    tools/fetch-unicorn.sh third_party/unicorn
fi
