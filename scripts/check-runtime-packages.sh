#!/usr/bin/env bash
# Checks that a set of Debian packages provides every shared library a binary links, so the Docker image's
# runtime stage (which installs only that set) can run the binary.
#   scripts/check-runtime-packages.sh BINARY PACKAGE_LIST
# PACKAGE_LIST holds one package a line ('#' starts a comment). A library counts as provided when the package
# that owns it on this machine is in the list or among the list's recursive Depends/Pre-Depends, which apt
# installs with it. Needs the binary's libraries installed (as after scripts/setup.sh) and apt package lists.
set -euo pipefail
binary="$1"
list="$2"

mapfile -t wanted < <(sed 's/#.*//' "$list" | tr -s ' \t' '\n' | sed '/^$/d')
[ ${#wanted[@]} -gt 0 ] || { echo "check-runtime-packages: $list names no package" >&2; exit 1; }

# Everything apt installs along with the list (package names only; virtual packages show as <name>).
closure="$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
             --no-replaces --no-enhances "${wanted[@]}" | grep -v '^ ' | sed 's/:.*//' | sort -u)"
for pkg in "${wanted[@]}"; do
  grep -qx "$pkg" <<<"$closure" || { echo "check-runtime-packages: $pkg is not a known Debian package" >&2; exit 1; }
done

ldd_out="$(ldd "$binary")"
if grep -q 'not found' <<<"$ldd_out"; then
  echo "check-runtime-packages: $binary has unresolved libraries:" >&2
  grep 'not found' <<<"$ldd_out" >&2
  exit 1
fi

# Which package owns each library (one dpkg query for all: it is slow per call). Debian 12 is usr-merged while
# dpkg records either /lib/... or /usr/lib/..., so each library is asked for under both spellings.
mapfile -t libs < <(awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' <<<"$ldd_out" | sort -u)
queries=()
for lib in "${libs[@]}"; do
  queries+=("$lib")
  case "$lib" in /usr/*) queries+=("${lib#/usr}") ;; *) queries+=("/usr$lib") ;; esac
done
owners="$(dpkg -S "${queries[@]}" 2>/dev/null || true)"   # "pkg:arch: /path" lines; unknown paths print nothing

missing=0
for lib in "${libs[@]}"; do
  pkg="$(awk -v a="$lib" -v b="${lib#/usr}" -v c="/usr$lib" -F': ' '$2 == a || $2 == b || $2 == c {print $1; exit}' \
         <<<"$owners" | cut -d: -f1)"
  if [ -z "$pkg" ]; then
    echo "check-runtime-packages: no package owns $lib" >&2
    missing=1
  elif ! grep -qx "$pkg" <<<"$closure"; then
    echo "check-runtime-packages: $lib comes from $pkg, which $list does not install" >&2
    missing=1
  fi
done

[ "$missing" = 0 ] || exit 1
echo "check-runtime-packages: all ${#libs[@]} shared libraries of $(basename "$binary") come with $list"
