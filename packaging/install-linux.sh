#!/usr/bin/env bash
# Install a built bundle for the current user, with its menu entry and icon (Linux desktops):
#   bash packaging/install-linux.sh [BUNDLE]          # BUNDLE defaults to dist/scgui
#   bash packaging/install-linux.sh --uninstall
# PREFIX (default ~/.local; /usr/local as root for everyone) chooses where:
#   PREFIX/lib/scgui/              the bundle
#   PREFIX/bin/scgui               a link to its program (~/.local/bin is on most PATHs)
#   PREFIX/share/applications/     org.scgui.scgui.desktop, its Exec made absolute
#   PREFIX/share/metainfo/         org.scgui.scgui.metainfo.xml (software centres)
#   PREFIX/share/icons/hicolor/    org.scgui.scgui.png at each size, and the SVG
# The desktop file, metadata and icons are taken from the bundle (_internal/resources).
set -euo pipefail

prefix="${PREFIX:-$HOME/.local}"
app_id="org.scgui.scgui"
sizes=(16 24 32 48 64 128 256 512)

log() { printf '[install-linux] %s\n' "$*" >&2; }

refresh_caches() {
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$prefix/share/applications" || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1; then
        gtk-update-icon-cache -q -t "$prefix/share/icons/hicolor" 2>/dev/null || true
    fi
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$prefix/lib/scgui"
    rm -f "$prefix/bin/scgui" "$prefix/share/applications/$app_id.desktop" \
        "$prefix/share/metainfo/$app_id.metainfo.xml" \
        "$prefix/share/icons/hicolor/scalable/apps/$app_id.svg"
    for size in "${sizes[@]}"; do
        rm -f "$prefix/share/icons/hicolor/${size}x${size}/apps/$app_id.png"
    done
    refresh_caches
    log "removed scgui from $prefix"
    exit 0
fi

bundle="${1:-$(dirname "${BASH_SOURCE[0]}")/../dist/scgui}"
resources="$bundle/_internal/resources"
if [ ! -x "$bundle/scgui" ] || [ ! -d "$resources" ]; then
    log "no bundle at $bundle: build it first with 'bash scripts/build-bundle.sh'"
    exit 1
fi

mkdir -p "$prefix/lib" "$prefix/bin" "$prefix/share/applications" "$prefix/share/metainfo"
rm -rf "$prefix/lib/scgui.new"
cp -a "$bundle" "$prefix/lib/scgui.new"
rm -rf "$prefix/lib/scgui"
mv "$prefix/lib/scgui.new" "$prefix/lib/scgui"
ln -sfn "$prefix/lib/scgui/scgui" "$prefix/bin/scgui"

sed -e "s|^Exec=scgui|Exec=$prefix/bin/scgui|" -e "s|^TryExec=scgui|TryExec=$prefix/bin/scgui|" \
    "$resources/$app_id.desktop" >"$prefix/share/applications/$app_id.desktop"
cp "$resources/$app_id.metainfo.xml" "$prefix/share/metainfo/"
for size in "${sizes[@]}"; do
    install -D -m 644 "$resources/icons/scgui-$size.png" \
        "$prefix/share/icons/hicolor/${size}x${size}/apps/$app_id.png"
done
install -D -m 644 "$resources/scgui.svg" "$prefix/share/icons/hicolor/scalable/apps/$app_id.svg"
refresh_caches
log "installed scgui in $prefix (run: $prefix/bin/scgui; menu: scgui)"
