#!/usr/bin/env bash
# Headless Chromium and its driver from Debian, for the browser tests of `followup serve`
# (tests/test_web_browser.py). Sourced by .ci/run; fails the run when Chromium cannot start.
followup_chromium() {
    if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq chromium chromium-driver >/dev/null
    fi
    local profile
    profile="$(mktemp -d)"
    if ! chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --dump-dom 'data:text/html,<p>ok</p>' 2>/dev/null | grep -q '<p>ok</p>'; then
        rm -rf "$profile"
        echo "chromium cannot start headless; the browser tests need it" >&2
        return 1
    fi
    rm -rf "$profile"
    export FOLLOWUP_REQUIRE_BROWSER=1
}
followup_chromium
