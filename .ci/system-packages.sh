#!/usr/bin/env bash
# Makes sure the programs the test suites run besides Node are there (the list: system-packages.txt),
# for `pnpm test` (package.json) and .ci/run alike. What is missing is installed with apt-get when
# this runs as root on Debian/Ubuntu; anywhere else it says what to install and fails, rather than
# let suites fail one by one halfway through. Plain bash apart from apt-get.
set -euo pipefail

# The list: system-packages.txt beside this script, or the file given (the script's own test).
list="${1:-$(dirname "${BASH_SOURCE[0]}")/system-packages.txt}"

# nginx and other daemons live in sbin, which a user's PATH may leave out.
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

present() {
  case "$1" in
    */*) compgen -G "$1" >/dev/null ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

# Fills `lacking` (lines: program, package, purpose) and `packages` (each package once).
find_missing() {
  lacking=()
  packages=()
  local program package purpose
  while read -r program package purpose; do
    [[ -z "$program" || "$program" == \#* ]] && continue
    present "$program" && continue
    lacking+=("  ${program} (Debian/Ubuntu package ${package}): ${purpose}")
    [[ " ${packages[*]} " == *" ${package} "* ]] || packages+=("$package")
  done <"$list"
}

find_missing
[ ${#lacking[@]} -eq 0 ] && exit 0

if [ "${EUID}" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-packages: installing ${packages[*]} (apt-get)" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2
  find_missing
  [ ${#lacking[@]} -eq 0 ] && exit 0
  echo "system-packages: still missing after apt-get install:" >&2
else
  echo "system-packages: the test suites need these programs, which are not installed:" >&2
fi
printf '%s\n' "${lacking[@]}" >&2
echo "Install them (Debian/Ubuntu, as root: apt-get install ${packages[*]}) and run the tests again." >&2
exit 1
