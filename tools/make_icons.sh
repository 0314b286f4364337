#!/usr/bin/env bash
# Renders the app's icons (web app manifest, favicon, Apple touch icon) into public/icons/ with
# ImageMagick: three of the built-in model's shapes on the theme colour, no fonts needed.
# The maskable variant keeps the shapes inside the central 80% "safe zone" its masks may cut to.
set -euo pipefail
out="$(dirname "$0")/../public/icons"
mkdir -p "$out"
theme='#0f172a'

# draw <size> <content scale 0..1> <corner radius px> <file>
draw() {
  local size=$1 scale=$2 radius=$3 file=$4
  local c background
  c=$(awk "BEGIN{print int($size*(1-$scale)/2)}")
  # ImageMagick draws nothing for a round rectangle with radius 0.
  if [ "$radius" -gt 0 ]; then background="roundrectangle 0,0 $((size - 1)),$((size - 1)) $radius,$radius"; else background="rectangle 0,0 $((size - 1)),$((size - 1))"; fi
  convert -size "${size}x${size}" xc:none \
    -fill "$theme" -draw "$background" \
    \( -size 512x512 xc:none \
       -fill '#ef4444' -draw 'circle 160,176 160,86' \
       -fill '#3b82f6' -draw 'rectangle 280,96 440,256' \
       -fill '#22c55e' -draw 'polygon 256,276 356,436 156,436' \
       -resize "$(awk "BEGIN{print int($size*$scale)}")x" \) \
    -geometry "+${c}+${c}" -composite \
    -strip "PNG32:$out/$file"
}

draw 512 1.0 96 icon-512.png
draw 192 1.0 36 icon-192.png
draw 180 1.0 0 apple-touch-icon.png
draw 32 1.0 6 favicon-32.png
# Full-bleed background, shapes scaled into the safe zone.
draw 512 0.72 0 icon-maskable-512.png
