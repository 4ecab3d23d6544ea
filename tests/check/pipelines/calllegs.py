"""Call legs for the pipeline tests: real speech at known times, sent in
20 ms chunks as a telephony leg sends them, and a reader for the
recording's full file."""
import os
import struct
import wave

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = os.path.join(HERE, "..", "..", "files")
RATE = 16000
CHUNK = 320                       # 20 ms
HUM_HZ = 61                       # no whole number of periods in 20 ms
CAPS = "audio/x-raw,format=S16LE,rate=%d,channels=1,layout=interleaved" % RATE


def read_utterance():
    with wave.open(os.path.join(FILES, "utterance-16k.wav")) as w:
        assert w.getframerate() == RATE and w.getnchannels() == 1
        return w.readframes(w.getnframes())


class Leg:
    """What one leg sends: speech at the given times, silence between,
    nothing while it is stalled or after it left."""

    def __init__(self, name, speech, utterance, stall=None, leaves=None,
                 hum=0):
        self.name, self.speech, self.utterance = name, speech, utterance
        self.stall, self.leaves = stall, leaves
        # a steady tone of this amplitude under everything (HUM_HZ): a
        # sample dropped or added anywhere is a break in it
        self.hum = hum

    def sending(self, t):
        if self.leaves is not None and t >= self.leaves:
            return False
        return not (self.stall and self.stall[0] <= t < self.stall[1])

    def chunk(self, sample):
        """CHUNK samples from @sample on (16-bit little-endian)."""
        out = bytearray(CHUNK * 2)
        for start in self.speech:
            first = int(round(start * RATE))
            lo, hi = max(sample, first), min(sample + CHUNK,
                                             first + len(self.utterance) // 2)
            if lo < hi:
                out[(lo - sample) * 2:(hi - sample) * 2] = \
                    self.utterance[(lo - first) * 2:(hi - first) * 2]
        if self.hum:
            n = np.arange(sample, sample + CHUNK)
            mixed = (np.frombuffer(bytes(out), dtype="<i2")
                     + np.round(self.hum * np.sin(2 * np.pi * HUM_HZ * n
                                                  / RATE)))
            return np.clip(mixed, -32768, 32767).astype("<i2").tobytes()
        return bytes(out)


def channels_of(path):
    """The channels of a 16-bit WAV (more than two channels make it
    WAVE_FORMAT_EXTENSIBLE, which Python's wave module does not read)."""
    with open(path, "rb") as f:
        riff = f.read()
    pos, ch, data = 12, 0, b""
    while pos + 8 <= len(riff):
        tag, size = riff[pos:pos + 4], struct.unpack("<I", riff[pos + 4:pos + 8])[0]
        if tag == b"fmt ":
            ch = struct.unpack("<H", riff[pos + 10:pos + 12])[0]
        elif tag == b"data":
            data = riff[pos + 8:pos + 8 + size]
        pos += 8 + size + (size & 1)
    n = len(data) // (2 * ch)
    samples = struct.unpack("<%dh" % (n * ch), data[:n * ch * 2])
    return [samples[c::ch] for c in range(ch)], n
