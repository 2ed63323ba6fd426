#!/usr/bin/env bash
# Makes audio/music/hold.wav: a calm plucked arpeggio, 8 kHz mono (a phone line needs no more).
set -euo pipefail
work=$(mktemp -d)
i=0
for note in C4 E4 G4 B4 A4 E4 C4 G3 F3 A3 C4 E4 D4 B3 G3 D4; do
  i=$((i + 1))
  sox -q -n -r 8000 -c 1 -b 16 "$work/note$(printf %02d $i).wav" synth 1.6 pluck "$note" fade 0 1.6 1.3 vol 0.5
done
sox -q "$work"/note*.wav "$work/arpeggio.wav" reverb 60
sox -q "$work/arpeggio.wav" "$(dirname "$0")/../audio/music/hold.wav" fade 0.3 0 1.5 norm -6
rm -r "$work"
