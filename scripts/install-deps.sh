#!/usr/bin/env bash
# Installs the Debian packages rtcpipe's build and tests use (run as root on Debian 12).
#   build: emscripten (WASM codecs), dpkg-dev (apt-get source for libvpx/opus)
#   tests: GStreamer, ffmpeg (real peers and PSNR judge), tshark, espeak-ng + sox (test speech),
#          coturn (TURN relay), redis-server (signaling cluster), nftables + conntrack (NAT namespaces)
# Idempotent: packages already present are skipped by apt.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PKGS=(emscripten dpkg-dev
      gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
      gstreamer1.0-plugins-bad gstreamer1.0-libav ffmpeg tshark iproute2 xxd
      espeak-ng sox coturn redis-server nftables conntrack)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "Cannot install ${missing[*]}: run this script as root (or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  APT=(apt-get -o DPkg::Lock::Timeout=300 -q)
  "${APT[@]}" update >/dev/null
  "${APT[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "system packages ready: $(gst-launch-1.0 --version | sed -n 1p), $(ffmpeg -version | head -1 | cut -d' ' -f1-3), $(emcc --version 2>/dev/null | head -1 | cut -c1-60)"
