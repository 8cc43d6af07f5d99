#!/bin/sh
# Builds a small root file system tarball from Debian's busybox-static:
# /bin/busybox, a symlink per applet, and minimal /etc files.
# Usage: scripts/busybox-rootfs.sh OUTPUT.tar
set -eu
out=${1:?usage: $0 OUTPUT.tar}
bb=${BUSYBOX:-/bin/busybox}
[ -x "$bb" ] || { echo "busybox not found at $bb (apt-get install busybox-static)" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
mkdir -p "$dir/bin" "$dir/etc" "$dir/tmp" "$dir/root" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/var/tmp" "$dir/home" "$dir/run"
chmod 1777 "$dir/tmp" "$dir/var/tmp"
cp "$bb" "$dir/bin/busybox"
for applet in $("$bb" --list); do
    # Never replace the binary itself with a link to itself.
    [ "$applet" = busybox ] && continue
    ln -sf busybox "$dir/bin/$applet"
done
cat > "$dir/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > "$dir/etc/group" <<'G'
root:x:0:
daemon:x:1:
nogroup:x:65534:
G
tar --numeric-owner -C "$dir" -cf "$out" .
