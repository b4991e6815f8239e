#!/usr/bin/env bash
# System tools that some tests use and pip cannot provide (Debian packages):
#   epubcheck   the reference EPUB validator (read-along EPUB output)
#   chromium    headless screenshots of the Prefect UI and EPUB pages
#   postgresql  a throwaway database server for the fleet test
# Installed with apt-get when we are root and apt-get exists (CI, fresh containers); elsewhere the
# tests that need a missing tool are skipped, except under CI=true where they fail.
set -euo pipefail
PACKAGES=(epubcheck chromium postgresql)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "system-deps: not installed: ${missing[*]} (tests that need them will be skipped)" >&2
  exit 0
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "system-deps: apt-get install ${missing[*]} failed" >&2
  exit 1
fi
echo "system-deps: installed ${missing[*]}"
