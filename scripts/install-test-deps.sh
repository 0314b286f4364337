#!/usr/bin/env bash
# Installs what the end-to-end tests need beyond node_modules: Debian's Chromium (Playwright
# cannot download its own browser here), ImageMagick (generates the bad-input fixtures) and
# Info-ZIP's unzip (the unit tests check the app's archives with `unzip -t`, and fail without it) and
# ffmpeg (the audio unit tests check the header sample-rate reader against ffprobe and decode jfk.flac
# for the log-mel reference).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
command -v convert >/dev/null 2>&1 && convert -version 2>/dev/null | grep -q ImageMagick || missing+=(imagemagick)
command -v unzip >/dev/null 2>&1 || missing+=(unzip)
{ command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1; } || missing+=(ffmpeg)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} from Debian…"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
/usr/bin/chromium --version
unzip -v | sed -n 1p
ffmpeg -version | sed -n 1p
