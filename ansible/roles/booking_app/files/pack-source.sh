#!/bin/sh
# Packs the application's source as a reproducible tarball: same source, same bytes, so that
# Ansible's copy reports a change only when the code changed. Adds requirements.txt from
# pyproject.toml. Usage: pack-source.sh SOURCE_DIR OUTPUT.tar.gz
set -eu
src="$1"
out="$2"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"
cd "$src"
tar --exclude=__pycache__ --exclude='*.pyc' -cf - pyproject.toml core pool bots sales master sql deploy \
    | tar -xf - -C "$stage"
python3 -c 'import sys, tomllib; print("\n".join(tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]))' \
    pyproject.toml >"$stage/requirements.txt"
tar --sort=name --mtime='2000-01-01 00:00Z' --owner=0 --group=0 --numeric-owner \
    -C "$stage" -cf - . | gzip -n >"$out.tmp"
mv "$out.tmp" "$out"
