#!/usr/bin/env bash
# Make sure headless Chromium, its WebDriver and CJK fonts are installed (Debian packages), for the browser
# tests (tests/browser) and the PNG export of chain maps. Idempotent: does nothing when all are present.
#
#   tools/ensure-browser.sh            install what is missing (as root, with apt-get); exit 1 if it cannot
#   tools/ensure-browser.sh --check    only report; exit 1 if something is missing
#
# Packages: chromium, chromium-driver (chromedriver for selenium), fonts-noto-cjk (Chinese text in screenshots).
set -euo pipefail

PACKAGES=(chromium chromium-driver fonts-noto-cjk)
check_only=0
[ "${1:-}" = "--check" ] && check_only=1

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

if ! command -v dpkg-query >/dev/null 2>&1; then
  # Not Debian: accept a chromium + chromedriver already on PATH, else explain.
  if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    echo "ensure-browser: 非 Debian 系统，使用 PATH 中已有的 chromium 与 chromedriver"
    exit 0
  fi
  echo "ensure-browser: 非 Debian 系统，请自行安装 chromium、chromedriver 和中文字体（Noto Sans CJK）" >&2
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  installed "$p" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "ensure-browser: chromium、chromium-driver、fonts-noto-cjk 已安装"
  exit 0
fi

if [ "$check_only" = 1 ]; then
  echo "ensure-browser: 缺少 ${missing[*]}" >&2
  exit 1
fi

if [ "$(id -u)" != 0 ]; then
  echo "ensure-browser: 缺少 ${missing[*]}；需要 root 权限安装：sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "ensure-browser: 安装 ${missing[*]} …"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
for p in "${PACKAGES[@]}"; do
  installed "$p" || { echo "ensure-browser: $p 安装失败" >&2; exit 1; }
done
echo "ensure-browser: 已安装 ${missing[*]}"
