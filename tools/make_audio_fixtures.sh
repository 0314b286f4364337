#!/usr/bin/env bash
# Write the small audio files the end-to-end tests use into e2e/fixtures/audio/.
#
#   tools/make_audio_fixtures.sh [out_dir]        (default: e2e/fixtures/audio)
#   node tools/check_audio_fixtures.mjs            (decodes each file in /usr/bin/chromium)
#
# Needs espeak-ng, flite, sox and ffmpeg (Debian packages). Words are spoken by espeak-ng with the voice
# en-us+f3 (US English, female variant 3: one of the voices held out from the built-in Whisper's
# training, see tools/whisper_words_lib.py HELDOUT_VARIANTS) at 140 words/min, trimmed, given 0.2 s of leading
# silence, padded to 1.0 s, peak-normalised to -3 dBFS, then encoded by ffmpeg. Encoders are run
# with bitexact flags and without metadata so that re-running gives the same files.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$REPO/e2e/fixtures/audio}"
VOICE="en-us+f3"
SPEED=140
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT"

FF=(ffmpeg -hide_banner -loglevel error -y)
FFOUT=(-map_metadata -1 -fflags +bitexact -flags:a +bitexact)

# say WORD -> $TMP/WORD.wav: 22050 Hz mono 16-bit, 0.2 s lead-in, total >= TOTAL seconds (default 1.0)
say() {
  local word="$1" total="${2:-1.0}"
  espeak-ng -v "$VOICE" -s "$SPEED" -w "$TMP/$word.raw.wav" "$word"
  # trim espeak's own leading/trailing silence, normalise, add 0.2 s of silence in front
  sox -D "$TMP/$word.raw.wav" "$TMP/$word.trim.wav" \
    silence 1 0.01 0.3% reverse silence 1 0.01 0.3% reverse gain -n -3 pad 0.2 0
  local dur tail
  dur="$(soxi -D "$TMP/$word.trim.wav")"
  tail="$(awk -v d="$dur" -v t="$total" 'BEGIN { x = t - d; if (x < 0.15) x = 0.15; printf "%.3f", x }')"
  sox -D "$TMP/$word.trim.wav" "$TMP/$word.wav" pad 0 "$tail"
}

for w in left yes stop down go right up; do say "$w"; done

# --- one spoken word per container / codec
# left.wav: 16-bit PCM, 22050 Hz, mono (espeak-ng's native rate)
"${FF[@]}" -i "$TMP/left.wav" -c:a pcm_s16le -ar 22050 -ac 1 "${FFOUT[@]}" "$OUT/left.wav"
# left-44k.wav: the same word as 16-bit PCM at 44.1 kHz stereo (made from left.wav), the common CD rate
"${FF[@]}" -i "$OUT/left.wav" -c:a pcm_s16le -ar 44100 -ac 2 "${FFOUT[@]}" "$OUT/left-44k.wav"
# yes.mp3: MP3 (LAME), 44.1 kHz stereo, 96 kbit/s CBR
"${FF[@]}" -i "$TMP/yes.wav" -c:a libmp3lame -b:a 96k -ar 44100 -ac 2 "${FFOUT[@]}" -write_xing 0 -id3v2_version 0 "$OUT/yes.mp3"
# stop.ogg: Opus in Ogg, 48 kHz mono, 32 kbit/s
"${FF[@]}" -i "$TMP/stop.wav" -c:a libopus -b:a 32k -ar 48000 -ac 1 "${FFOUT[@]}" "$OUT/stop.ogg"
# down.flac: FLAC, 16 kHz mono, 16-bit
"${FF[@]}" -i "$TMP/down.wav" -c:a flac -ar 16000 -ac 1 -sample_fmt s16 "${FFOUT[@]}" "$OUT/down.flac"
# go.webm: Opus in WebM (Matroska), 48 kHz mono, 32 kbit/s
"${FF[@]}" -i "$TMP/go.wav" -c:a libopus -b:a 32k -ar 48000 -ac 1 "${FFOUT[@]}" "$OUT/go.webm"
# right.m4a: AAC-LC (ffmpeg's native encoder) in MP4, 44.1 kHz mono, 64 kbit/s
"${FF[@]}" -i "$TMP/right.wav" -c:a aac -b:a 64k -ar 44100 -ac 1 "${FFOUT[@]}" -movflags +faststart "$OUT/right.m4a"

# --- fake microphone for Chromium's --use-file-for-fake-audio-capture (Chromium loops the file):
# 16-bit PCM WAV, 48 kHz mono: the word "up" (0.2 s lead-in) then 1.5 s of silence.
sox -D "$TMP/up.trim.wav" -r 48000 -c 1 -b 16 "$TMP/mic-up.wav" pad 0 1.5
"${FF[@]}" -i "$TMP/mic-up.wav" -c:a pcm_s16le "${FFOUT[@]}" "$OUT/mic-up.wav"

# live-words.wav: the live microphone's fake input (played once: `%noloop`): 2 s of silence first
# (Chromium starts playing the file when getUserMedia opens it, before the capture worklet is
# loaded and the AudioContext resumed: the lead-in keeps "up" from being cut on a loaded machine),
# then "up", "left", "go", each with its 0.2 s lead-in and followed by 2.5 s of silence (longer than
# a 1.5 s window plus its 0.75 s hop, so at least one window between two words is all silence);
# 16-bit PCM WAV, 16 kHz mono (small).
for w in up left go; do sox -D "$TMP/$w.trim.wav" "$TMP/$w.live.wav" pad 0 2.5; done
sox -D "$TMP/up.live.wav" "$TMP/left.live.wav" "$TMP/go.live.wav" -r 16000 -c 1 -b 16 "$TMP/live-words.wav" pad 2 0
"${FF[@]}" -i "$TMP/live-words.wav" -c:a pcm_s16le "${FFOUT[@]}" "$OUT/live-words.wav"

# --- fake microphones spoken by flite, the synthesiser held out of the built-in Whisper's training
# entirely (tools/whisper_words_lib.py trains on espeak-ng and festival), by the voices rms and awb:
# speakers no training synthesiser has (e2e/microphone-heldout.spec.ts). flite 2.2 writes 16 kHz mono;
# each word is trimmed, peak-normalised to -3 dBFS and given 0.2 s of silence in front like the
# espeak-ng words, then 2.0 s of silence (Chromium loops the file; a 1.8 s recording that starts with
# the file hears the word once), written as 16-bit PCM WAV, 16 kHz mono (flite's own rate; Chromium resamples a fake capture file).
flite_mic() {
  local voice="$1" word="$2"
  flite -voice "$voice" -t "$word" -o "$TMP/flite-$voice-$word.raw.wav"
  sox -D "$TMP/flite-$voice-$word.raw.wav" -r 16000 -c 1 -b 16 "$TMP/flite-$voice-$word.wav" \
    silence 1 0.01 0.3% reverse silence 1 0.01 0.3% reverse gain -n -3 pad 0.2 2.0
  "${FF[@]}" -i "$TMP/flite-$voice-$word.wav" -c:a pcm_s16le "${FFOUT[@]}" "$OUT/mic-flite-$voice-$word.wav"
}
flite_mic rms left
flite_mic awb stop
flite_mic rms yes

# --- bad inputs
# silence.wav: 2 s of digital silence (all-zero samples), 16-bit PCM, 16 kHz mono
"${FF[@]}" -f lavfi -i "anullsrc=r=16000:cl=mono" -t 2 -c:a pcm_s16le "${FFOUT[@]}" "$OUT/silence.wav"
# one-ms.wav: 1 ms of audio (48 samples of a 1 kHz sine at 48 kHz), 16-bit PCM mono
"${FF[@]}" -f lavfi -i "sine=frequency=1000:sample_rate=48000" -af "atrim=end_sample=48,volume=0.5" \
  -c:a pcm_s16le -ac 1 "${FFOUT[@]}" "$OUT/one-ms.wav"
# corrupt.mp3: 4096 pseudo-random bytes (fixed seed) with an .mp3 name
/usr/bin/python3 -c "import random, sys; r = random.Random(1234); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(4096)))" > "$OUT/corrupt.mp3"
# unsupported.wma: Windows Media Audio 2 in ASF, a codec Chromium does not decode ("left")
"${FF[@]}" -i "$TMP/left.wav" -c:a wmav2 -b:a 32k -ar 22050 -ac 1 "${FFOUT[@]}" "$OUT/unsupported.wma"

echo "wrote $OUT:"
for f in "$OUT"/*; do
  case "$f" in *.md) continue ;; esac
  printf '  %-18s %7d bytes  %s\n' "$(basename "$f")" "$(stat -c %s "$f")" \
    "$(ffprobe -v error -show_entries stream=codec_name,sample_rate,channels:format=duration -of csv=p=0 "$f" 2>/dev/null | tr '\n' ' ' || true)"
done
du -cb "$OUT"/* | tail -1
