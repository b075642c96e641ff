#!/usr/bin/env bash
# Checks the README's promise that a clean clone passes its test command on a fresh Debian machine
# with nothing else installed: a minimal Debian root (debootstrap --variant=minbase), a clean clone
# of this checkout's commit at /srv/shop inside it, then, as root inside the chroot,
#   network:    source .ci/toolchain.sh && pnpm install && bash .ci/system-packages.sh
#   no network: source .ci/toolchain.sh && pnpm install && pnpm test
# The tests run in a network namespace with only loopback, so no PostgreSQL or Redis of the host
# answers: the suite must start its own, as on a machine that has none.
#
#   sudo bash .ci/fresh-debian.sh [all|root|clone|install|test|clean]...   (default: all)
#
# all = root clone install test; root makes a new Debian root (deleting an old one), clone replaces
# /srv/shop, install and test run in the root as it is (rerun `test` alone while iterating).
# clean unmounts and stops what an interrupted run left; the root stays for reuse.
# Not run by CI: it needs root, a Debian mirror and the npm registry, and takes about 10 minutes on
# two cores (the Debian root 1, the install 1–2, the tests 5).
#
# Settings (environment):
#   FRESH_ROOT    the Debian root (/srv/fresh-debian)
#   FRESH_SUITE   the Debian release (bookworm)
#   FRESH_MIRROR  its mirror (http://deb.debian.org/debian)
#   FRESH_LOGS    where each phase's output is kept (/var/tmp/fresh-debian-logs)
#   FRESH_CA      a CA certificate for the install phase's Node (NODE_EXTRA_CA_CERTS), for a network
#                 behind a TLS-inspecting proxy; it is not added to the root's trust store
#   FRESH_SERVICES=1  before the tests, start the PostgreSQL and Redis services the packages installed,
#                 as systemd would on a booted machine (a chroot has no init, so by default none runs)
# Everything is mounted in a private mount namespace, so nothing stays mounted after a phase even
# if it is killed; processes left running in the root are stopped at the end of each phase.
set -euo pipefail

root="${FRESH_ROOT:-/srv/fresh-debian}"
suite="${FRESH_SUITE:-bookworm}"
mirror="${FRESH_MIRROR:-http://deb.debian.org/debian}"
logs="${FRESH_LOGS:-/var/tmp/fresh-debian-logs}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { echo "fresh-debian: $*" >&2; }
die() { say "$*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, chroot, mounts and network namespaces need it)"
for tool in unshare chroot mount ip git; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing on this machine (iproute2 for ip)"
done
case "$root" in /*) ;; *) die "FRESH_ROOT must be an absolute path" ;; esac
[ "$root" != / ] || die "FRESH_ROOT must not be /"
mkdir -p "$logs"

# Processes whose root directory is the Debian root: what a phase started and left running
# (a test's server after a crash). Only those are stopped, by PID.
root_pids() {
  local link pid
  for link in /proc/[0-9]*/root; do
    pid="${link#/proc/}"
    pid="${pid%/root}"
    [ "$(readlink "$link" 2>/dev/null)" = "$root" ] && echo "$pid"
  done
  return 0
}

stop_leftovers() {
  local pids
  pids="$(root_pids)"
  [ -z "$pids" ] && return 0
  say "stopping processes left in $root: ${pids//$'\n'/ }"
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    sleep 1
    pids="$(root_pids)"
    [ -z "$pids" ] && return 0
  done
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
}

# Mounts under the root in the host's namespace, deepest first: none unless an older version of this
# check, or someone by hand, mounted there.
unmount_all() {
  local target
  while read -r target; do
    umount -l "$target" && say "unmounted $target"
  done < <(awk -v r="$root" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r)
}

clean() {
  stop_leftovers
  unmount_all
}

# Runs a bash command as root inside the root with a fresh login environment, in a new mount
# namespace holding /proc, /sys, /dev, /dev/pts and /dev/shm; `--net` adds a network namespace with
# loopback only. Output goes to the terminal and to $logs/<name>.log.
in_root() {
  local name="$1" net="$2" command="$3" extra_env=()
  [ -n "${FRESH_CA:-}" ] && [ "$name" = install ] && extra_env+=("NODE_EXTRA_CA_CERTS=/root/.fresh-debian-ca.crt")
  local unshare_args=(--mount --propagation private --fork)
  [ "$net" = --net ] && unshare_args+=(--net)
  local started=$SECONDS status=0
  say "$name: $command"
  # The inner script runs in the new namespaces; $1 is the root, the rest the chroot command.
  # shellcheck disable=SC2016
  unshare "${unshare_args[@]}" bash -euo pipefail -c '
    root="$1"; shift
    ip link set lo up 2>/dev/null || true
    mount -t proc proc "$root/proc"
    mount -t sysfs sysfs "$root/sys"
    mount --bind /dev "$root/dev"
    mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$root/dev/pts" 2>/dev/null || mount --bind /dev/pts "$root/dev/pts"
    mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
    exec chroot "$root" "$@"
  ' in-root "$root" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" SHELL=/bin/bash USER=root LOGNAME=root \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${extra_env[@]}" \
    /bin/bash -lc "$command" 2>&1 | tee "$logs/$name.log" || status=$?
  stop_leftovers
  say "$name: exit $status after $(((SECONDS - started) / 60)) min $(((SECONDS - started) % 60)) s (log: $logs/$name.log)"
  return "$status"
}

make_root() {
  command -v debootstrap >/dev/null 2>&1 || {
    command -v apt-get >/dev/null 2>&1 || die "debootstrap is missing on this machine"
    say "installing debootstrap on this machine (apt-get)"
    apt-get install -y -qq debootstrap >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq debootstrap; }
  }
  clean
  if [ -e "$root" ]; then
    say "deleting the old root $root"
    rm -rf --one-file-system "$root"
  fi
  say "debootstrap --variant=minbase $suite $root $mirror"
  debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$logs/root.log" 2>&1 ||
    die "debootstrap failed (log: $logs/root.log)"
  # What the Debian installer (or a container runtime) gives every machine and debootstrap does not.
  printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
  # No init runs in a chroot: keep the packages' maintainer scripts from starting PostgreSQL, Redis
  # and Nginx services beside the host's (Debian's container images do the same).
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  say "root ready: $(chroot "$root" dpkg-query -f '.\n' -W | wc -l) packages"
}

clone() {
  [ -d "$root/usr" ] || die "no root at $root: run the root phase first"
  local commit branch
  commit="$(git -C "$repo" rev-parse HEAD)"
  branch="$(git -C "$repo" symbolic-ref --short -q HEAD || echo fresh-debian-check)"
  [ -z "$(git -C "$repo" status --porcelain --untracked-files=no)" ] ||
    say "warning: $repo has uncommitted changes; the clone has the commit only"
  rm -rf --one-file-system "$root/srv/shop"
  git clone --quiet --no-checkout "$(git -C "$repo" rev-parse --path-format=absolute --git-common-dir)" "$root/srv/shop"
  git -C "$root/srv/shop" checkout --quiet -B "$branch" "$commit"
  say "cloned $branch at $(git -C "$root/srv/shop" log -1 --format='%h %s' | cut -c1-80) into $root/srv/shop"
}

install() {
  [ -d "$root/srv/shop" ] || die "no clone at $root/srv/shop: run the clone phase first"
  if [ -n "${FRESH_CA:-}" ]; then
    [ -r "$FRESH_CA" ] || die "FRESH_CA=$FRESH_CA is not readable"
    cp "$FRESH_CA" "$root/root/.fresh-debian-ca.crt"
  fi
  in_root install --host-net 'cd /srv/shop && source .ci/toolchain.sh && pnpm install && bash .ci/system-packages.sh'
}

run_tests() {
  [ -d "$root/srv/shop/node_modules" ] || die "nothing installed in $root/srv/shop: run the install phase first"
  local services=''
  # A booted machine's systemd starts the PostgreSQL cluster and Redis server the packages installed
  # (Debian's pg_hba wants a password over TCP, so the suite still starts its own PostgreSQL).
  if [ "${FRESH_SERVICES:-0}" = 1 ]; then
    # The install phase saw the host's PostgreSQL on 5432, so the package created its cluster on the
    # next free port; on a machine of its own it would have 5432.
    # shellcheck disable=SC2016 # expanded in the root
    services='pg_conftool "$(ls /etc/postgresql)" main set port 5432 &&
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start &&
      install -d -o redis -g redis /run/redis && runuser -u redis -- redis-server /etc/redis/redis.conf --daemonize yes &&
      echo "fresh-debian: started Debian'"'"'s PostgreSQL on 5432 and Redis on 6379" && '
  fi
  in_root test --net "${services}cd /srv/shop && source .ci/toolchain.sh && pnpm install && pnpm test"
}

trap clean EXIT
phases=("$@")
[ ${#phases[@]} -gt 0 ] || phases=(all)
for phase in "${phases[@]}"; do
  case "$phase" in
    all)
      make_root
      clone
      install
      run_tests
      ;;
    root) make_root ;;
    clone) clone ;;
    install) install ;;
    test) run_tests ;;
    clean) clean ;;
    *) die "unknown phase $phase (all, root, clone, install, test, clean)" ;;
  esac
done
say "done: ${phases[*]}"
