#!/usr/bin/env bash
# Installs the system packages the browser tests need (Debian's Chromium and a CJK font); a no-op when present.
#
# As root on Debian/Ubuntu it installs what is missing with apt-get; anywhere else it prints what the
# browser tests need and carries on (they skip without /usr/bin/chromium unless CRM_REQUIRE_BROWSER=1).
# fonts-noto-cjk is left out on purpose: it is a 56 MB download (91 MB installed); WenQuanYi Micro Hei
# (1.6 MB) covers every Chinese glyph the UI shows.
set -euo pipefail

PACKAGES=(chromium fonts-wqy-microhei fontconfig)

is_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install-system-deps: not a Debian/Ubuntu system; the browser tests need Chromium at /usr/bin/chromium and a CJK font (e.g. WenQuanYi Micro Hei)."
    exit 0
fi

missing=()
for package in "${PACKAGES[@]}"; do
    is_installed "$package" || missing+=("$package")
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-system-deps: the browser tests need these Debian packages (run as root to install): ${missing[*]}"
    exit 0
fi

echo "install-system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Chromium's recommends (upower, mesa, printing tools ...) are desktop extras a headless test run never uses.
if apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
    exit 0
fi
echo "install-system-deps: could not install ${missing[*]}; the browser tests will skip (or fail with CRM_REQUIRE_BROWSER=1)"
[ "${CRM_REQUIRE_BROWSER:-}" != "1" ]
