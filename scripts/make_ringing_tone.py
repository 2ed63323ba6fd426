"""Writes audio/music/ringing.wav: the North American ringback tone (440 + 480 Hz, two seconds on,
four off), softly, for a caller to hear while professionals' phones ring. Plain Python, no sox."""
import math
import struct
import wave
from pathlib import Path

RATE, ON, OFF, VOLUME = 8000, 2.0, 4.0, 0.18
target = Path(__file__).resolve().parent.parent / "audio" / "music" / "ringing.wav"
frames = bytearray()
for i in range(int(RATE * (ON + OFF))):
    t = i / RATE
    value = 0.0
    if t < ON:
        fade = min(1.0, t / 0.02, (ON - t) / 0.02)      # no click at either end
        value = VOLUME * fade * (math.sin(2 * math.pi * 440 * t) + math.sin(2 * math.pi * 480 * t)) / 2
    frames += struct.pack("<h", int(value * 32767))
with wave.open(str(target), "wb") as out:
    out.setnchannels(1)
    out.setsampwidth(2)
    out.setframerate(RATE)
    out.writeframes(bytes(frames))
print(f"{target}: {ON + OFF:.0f} s")
