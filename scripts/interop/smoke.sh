#!/usr/bin/env bash
# Quick manual interop check: rtcpipe sends 2 s of VP8 (or vp9) to a GStreamer receiver and to
# an ffmpeg receiver (through the SDP rtcpipe writes), then rtcpipe receives from GStreamer.
# Usage: scripts/interop/smoke.sh [vp8|vp9] [BASE_PORT=24500]
# Needs gst-launch-1.0 and ffmpeg (apt-get install gstreamer1.0-tools gstreamer1.0-plugins-good
# gstreamer1.0-plugins-bad ffmpeg, or scripts/install-deps.sh). The full matrix with PSNR
# checks is `npx vitest run test/interop`.
set -euo pipefail
codec=${1:-vp8}; base=${2:-24500}
cd "$(dirname "$0")/../.."
rtcpipe() { node --import tsx bin/rtcpipe-dev.ts "$@"; }
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
wait_port() { for _ in $(seq 200); do ss -Huln "sport = :$1" | grep -q . && return 0; sleep 0.05; done; echo "nothing on udp/$1" >&2; return 1; }
enc=$(echo "$codec" | tr a-z A-Z)

echo "== rtcpipe → GStreamer ($codec)"
timeout --foreground 20 gst-launch-1.0 -q -e udpsrc address=127.0.0.1 port=$base \
  caps="application/x-rtp,media=video,clock-rate=90000,encoding-name=$enc,payload=96" \
  ! rtpjitterbuffer latency=100 ! rtp${codec}depay ! ${codec}dec ! identity eos-after=55 ! fakesink sync=false &
gst=$!; wait_port $base
rtcpipe send --to 127.0.0.1:$base --video "$codec" --size 320x240 --frames 60
sleep 0.5; kill -INT $gst 2>/dev/null || true; wait $gst || true

echo "== rtcpipe → ffmpeg ($codec, SDP from rtcpipe)"
p=$((base + 10))
rtcpipe send --to 127.0.0.1:$p --video "$codec" --ssrc 4242 --size 320x240 --frames 60 --sdp "$dir/s.sdp" --sdp-only
timeout --foreground 20 ffmpeg -nostdin -loglevel error -protocol_whitelist file,udp,rtp,srtp -i "$dir/s.sdp" -f null - &
ff=$!; wait_port $p
rtcpipe send --to 127.0.0.1:$p --video "$codec" --ssrc 4242 --size 320x240 --frames 60
wait $ff && echo "ffmpeg decoded the stream and stopped on our BYE"

echo "== GStreamer → rtcpipe ($codec)"
p=$((base + 20))
rtcpipe receive --port $p --video "$codec" --idle-timeout 1 --timeout 20 &
rx=$!; wait_port $p
gst-launch-1.0 -q videotestsrc is-live=true num-buffers=60 ! video/x-raw,width=320,height=240,framerate=30/1 \
  ! ${codec}enc deadline=1 keyframe-max-dist=30 ! rtp${codec}pay pt=96 ! udpsink host=127.0.0.1 port=$p
wait $rx
