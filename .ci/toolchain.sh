# shellcheck shell=bash
# Source this file: it puts Node >= 22.18 and pnpm 12 on PATH for this shell.
# A machine that already has them keeps its own; otherwise both are installed from the npm
# registry into .tools/ (ignored by git). The system Node is never replaced.

_shop_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_shop_tools="$_shop_root/.tools"
_shop_node_version="24.21.0"
_shop_pnpm_version="12.21.0"

_shop_node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 18) ? 0 : 1)'
}

if [ -x "$_shop_tools/bin/node" ]; then
  export PATH="$_shop_tools/bin:$PATH"
fi

# npm fetches Node and pnpm from the registry; a bare Debian/Ubuntu has none: its own npm (and the
# old Node beside it) is enough to fetch ours.
if ! _shop_node_ok || ! command -v pnpm >/dev/null 2>&1; then
  if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "toolchain: installing npm (apt-get) to fetch Node and pnpm with" >&2
      apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >&2
    else
      echo "toolchain: npm is needed to install Node $_shop_node_version and pnpm; install npm (or Node >= 22.18 and pnpm 12) first" >&2
      return 1 2>/dev/null || exit 1
    fi
  fi
fi

if ! _shop_node_ok; then
  case "$(uname -m)" in
    x86_64) _shop_arch=x64 ;;
    aarch64 | arm64) _shop_arch=arm64 ;;
    *) echo "toolchain: no Node package for $(uname -m); install Node >= 22.18 yourself" >&2; return 1 2>/dev/null || exit 1 ;;
  esac
  echo "toolchain: installing Node $_shop_node_version into .tools/ (found $(node --version 2>/dev/null || echo none))" >&2
  npm install --global --prefix "$_shop_tools" --no-audit --no-fund --loglevel=error \
    "node-$(uname -s | tr '[:upper:]' '[:lower:]')-$_shop_arch@$_shop_node_version" >&2
  export PATH="$_shop_tools/bin:$PATH"
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null | cut -d. -f1)" != "${_shop_pnpm_version%%.*}" ]; then
  echo "toolchain: installing pnpm $_shop_pnpm_version into .tools/" >&2
  npm install --global --prefix "$_shop_tools" --no-audit --no-fund --loglevel=error "pnpm@$_shop_pnpm_version" >&2
  export PATH="$_shop_tools/bin:$PATH"
fi

export TURBO_TELEMETRY_DISABLED=1
unset _shop_root _shop_tools _shop_node_version _shop_pnpm_version _shop_arch
