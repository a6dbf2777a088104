#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages a make target needs, and says so.
# Usage: install-system-packages.sh site|preview|test
# Only what is missing is installed, so a prepared machine pays nothing.
set -euo pipefail

readonly SITE_PACKAGES=(git python3-venv)
# nginx and its brotli_static module: the site as deploy/nginx serves it.
readonly PREVIEW_PACKAGES=(
  "${SITE_PACKAGES[@]}" nginx libnginx-mod-http-brotli-static
)
# rpm/dnf/createrepo-c/gnupg: simulated EL systems for the migration tests;
# chromium: end-to-end tests; nodejs/npm: axe-core for accessibility checks;
# openssl: a throwaway certificate for the HTTPS server of deploy/nginx.
readonly TEST_PACKAGES=(
  "${PREVIEW_PACKAGES[@]}" shellcheck rpm dnf dnf-plugins-core createrepo-c
  gnupg curl chromium nodejs npm util-linux iproute2 openssl
)

die() {
  echo "install-system-packages: $*" >&2
  exit 1
}

# A package counts as present when its command already is: Node.js from
# another source (e.g. NodeSource) bundles npm, and Debian's npm package
# would conflict with it.
command_of() {
  case "$1" in
    nodejs) echo node ;;
    npm) echo npm ;;
    *) echo "" ;;
  esac
}

is_installed() {
  local cmd
  cmd="$(command_of "$1")"
  if [[ -n "${cmd}" ]] && command -v "${cmd}" >/dev/null; then
    return 0
  fi
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

missing_packages() {
  local pkg
  for pkg in "$@"; do
    is_installed "${pkg}" || printf '%s\n' "${pkg}"
  done
}

install_packages() {
  local -a missing
  mapfile -t missing < <(missing_packages "$@")
  if ((${#missing[@]} == 0)); then
    echo "==> System packages: all present (${*})"
    return 0
  fi
  command -v apt-get >/dev/null ||
    die "apt-get not found; install these by hand: ${missing[*]}"
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || die "not root and no sudo; install: ${missing[*]}"
    sudo=(sudo)
  fi
  echo "==> Installing system packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq ||
    die "apt-get update failed; check the network and /etc/apt/sources.list"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null ||
    die "apt-get install failed for: ${missing[*]}"
}

main() {
  case "${1:-}" in
    site) install_packages "${SITE_PACKAGES[@]}" ;;
    preview) install_packages "${PREVIEW_PACKAGES[@]}" ;;
    test) install_packages "${TEST_PACKAGES[@]}" ;;
    *) die "usage: $0 site|preview|test" ;;
  esac
}

main "$@"
