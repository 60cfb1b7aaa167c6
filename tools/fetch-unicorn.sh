#!/usr/bin/env bash
# Provides Unicorn >= 2.1.2 on Debian 12 without touching the system: downloads
# Debian unstable's libunicorn-dev and libunicorn2 packages through a private apt
# configuration derived from the machine's own sources and unpacks them with dpkg -x.
# Usage: tools/fetch-unicorn.sh DESTDIR      (DESTDIR gets usr/include, usr/lib/...)
set -euo pipefail
dest=${1:?usage: fetch-unicorn.sh DESTDIR}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
if [ -f "$dest/.complete" ]; then exit 0; fi

work=$(mktemp -d)
chmod 755 "$work"  # apt drops privileges to _apt for downloads
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/etc/sources.list.d" "$work/etc/preferences.d"

# Derive the mirror from this machine's own apt configuration (deb822 or one-line form),
# so no mirror host name is ever written into the repository.
uri=""
for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    u=$(awk '/^URIs:/ {print $2; exit}' "$f")
    s=$(awk '/^Suites:/ {print $2; exit}' "$f")
    case "$s" in *security*) continue ;; esac
    [ -n "$u" ] && { uri=$u; break; }
done
if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1=="deb" && $0 !~ /security/ {for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
fi
if [ -z "$uri" ]; then
    echo "fetch-unicorn: no Debian mirror found in /etc/apt/sources.list(.d); cannot download Unicorn >= 2.1.2" >&2
    exit 1
fi
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
printf 'Types: deb\nURIs: %s\nSuites: unstable\nComponents: main\nSigned-By: %s\n' "$uri" "$keyring" \
    >"$work/etc/sources.list.d/unstable.sources"

aptopts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$work/etc/sources.list.d"
         -o "Dir::Etc::Preferences=/dev/null" -o "Dir::Etc::PreferencesParts=$work/etc/preferences.d"
         -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "Dir::State::status=/dev/null"
         -o "APT::Architecture=amd64" -o "Debug::NoLocking=1" -q)
echo "fetch-unicorn: reading Debian unstable's package list from the machine's mirror" >&2
apt-get "${aptopts[@]}" update >&2
cd "$work"
runtime=$(apt-cache "${aptopts[@]}" depends libunicorn-dev 2>/dev/null | awk '/Depends: libunicorn2/ {print $2; exit}')
runtime=${runtime:-libunicorn2t64}
apt-get "${aptopts[@]}" download libunicorn-dev "$runtime" >&2
for deb in ./*.deb; do dpkg -x "$deb" "$dest"; done
ver=$(dpkg-deb -f ./libunicorn-dev_*.deb Version)
echo "$ver" >"$dest/.complete"
echo "fetch-unicorn: unpacked libunicorn-dev $ver into $dest" >&2
