#!/usr/bin/env bash
# Write a small labelled word folder (ImageFolder layout for audio: words/<word>/<voice>.flac) into
# e2e/fixtures/audio/words/, for the prompt lab's audio grid search (at least two clips per class,
# so the selection can be cross-validated).
#
#   tools/make_word_folder.sh [out_dir]        (default: e2e/fixtures/audio/words)
#
# Needs espeak-ng, sox and ffmpeg (Debian packages). Voices are ones held out from the built-in
# Whisper's training (tools/whisper_words_lib.py HELDOUT_VARIANTS / HELDOUT_BASES), so the folder
# says something about voices the model never heard. Same trimming and padding as
# make_audio_fixtures.sh; FLAC at 16 kHz mono, written bit-exactly so re-running gives the same files.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$REPO/e2e/fixtures/audio/words}"
SPEED=140
WORDS=(yes no up down left right)
VOICES=("en-us+m2" "en-gb+f3" "en-029+klatt3")
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

for word in "${WORDS[@]}"; do
  mkdir -p "$OUT/$word"
  for voice in "${VOICES[@]}"; do
    name="${voice//+/-}"
    espeak-ng -v "$voice" -s "$SPEED" -w "$TMP/raw.wav" "$word"
    sox -D "$TMP/raw.wav" "$TMP/trim.wav" silence 1 0.01 0.3% reverse silence 1 0.01 0.3% reverse gain -n -3 pad 0.2 0.3
    ffmpeg -hide_banner -loglevel error -y -i "$TMP/trim.wav" -c:a flac -ar 16000 -ac 1 -sample_fmt s16 \
      -map_metadata -1 -fflags +bitexact -flags:a +bitexact "$OUT/$word/$name.flac"
  done
done
