# Shared set-up for scripts/run, scripts/test and scripts/bench. Sourced, not run.
set -euo pipefail
QLAUDE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian 12 packages the build, the app and the tests need.
QLAUDE_PACKAGES=(
    cmake ninja-build g++ pkg-config
    clang libclang-rt-14-dev   # the asan preset: clang's AddressSanitizer, UBSan and libFuzzer
    qt6-base-dev qt6-base-dev-tools libqt6sql6-sqlite qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools
    qt6-webengine-dev qt6-webengine-dev-tools qt6-websockets-dev qt6-httpserver-dev
    qtkeychain-qt6-dev libssl-dev libgl-dev qt6-translations-l10n
    gnome-keyring dbus dbus-x11 libsecret-tools curl
    xvfb xauth xdotool imagemagick
)
# What scripts/package adds: icon rendering, the man page, the RPM tools and the validators.
QLAUDE_PACKAGING_PACKAGES=(
    librsvg2-bin help2man rpm lintian desktop-file-utils appstream
)

qlaude_install_packages() {
    local missing=()
    for p in "${QLAUDE_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "qlaude: installing missing packages: ${missing[*]}" >&2
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null || { echo "qlaude: need root or sudo to install: ${missing[*]}" >&2; exit 2; }
        sudo="sudo"
    fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

qlaude_build() {  # qlaude_build PRESET [TARGET...]
    local preset=$1; shift
    cd "$QLAUDE_ROOT"
    if [ ! -f "build/$preset/build.ninja" ]; then
        cmake --preset "$preset" >&2
    fi
    local targets=()
    for t in "$@"; do targets+=(--target "$t"); done
    cmake --build --preset "$preset" "${targets[@]}" -- -j"$(nproc)" >&2
}
