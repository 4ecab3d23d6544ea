#!/usr/bin/python3
"""Real speech with known spans, made with espeak-ng (and sox to resample).

Used by the unit-test fixtures, the demo conversation and the benchmarks.
An utterance's span is where its 5 ms windows are above -40 dBFS RMS: the
synthesised audio is cut to exactly that, so its first and last samples are
the first and last of the speech, and the truth is known to the sample.
"""
import os
import subprocess
import sys
import tempfile
import wave

import numpy as np

TRUTH_WINDOW_S = 0.005
TRUTH_LEVEL_DBFS = -40.0

USER_VOICE = "en-us"
AGENT_VOICE = "en-gb"

USER_LINES = [
    "Hi, I would like to change my flight to Boston, please.",
    "It is the one on Friday morning, at nine thirty.",
    "Actually, can you check the afternoon flights first?",
    "Great, the three o'clock one works for me.",
    "Yes, please use the card that you have on file.",
    "No, that is everything, thank you so much.",
    "Could you also send the receipt to my email address?",
    "Perfect. Have a nice day.",
]

AGENT_LINES = [
    "Of course. Which flight would you like to change?",
    "I found your booking. There are two flights on Friday afternoon.",
    "One leaves at one fifteen, and the other at three o'clock.",
    "Done. Your new flight leaves Friday at three o'clock.",
    "The fare difference is forty dollars. Shall I charge it?",
    "The payment went through, and your seat is twelve A.",
    "Sure, the receipt is on its way to your inbox.",
    "Thank you for calling, and have a good trip.",
]


def tool_env():
    """The environment for espeak-ng and sox: without a sanitizer runtime
    that the test suite may preload for us (espeak-ng hangs under it)."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    return env


def synth(text, voice, rate):
    """Float32 mono speech at `rate`, trimmed to its truth span."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "raw.wav")
        out = os.path.join(tmp, "out.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-s", "165", "-w", raw,
                        text], check=True, env=tool_env())
        subprocess.run(["sox", raw, "-r", str(rate), "-b", "16", out],
                       check=True, env=tool_env())
        audio = read_wav(out)[0]
    return trim(audio, rate)


def trim(audio, rate):
    win = int(rate * TRUTH_WINDOW_S)
    n = len(audio) // win
    frames = audio[: n * win].reshape(n, win)
    rms_db = 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-20)
    loud = np.nonzero(rms_db > TRUTH_LEVEL_DBFS)[0]
    return audio[loud[0] * win:(loud[-1] + 1) * win].copy()


def read_wav(path):
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return data.astype(np.float32) / 32768.0, w.getframerate()


def write_wav(path, audio, rate):
    pcm = np.clip(np.round(audio * 32768.0), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def add_noise(audio, spans, rate, snr_db, seed=1):
    """White noise plus 50 Hz mains hum (with its odd harmonics), at `snr_db`
    below the mean power of the speech inside `spans` (sample ranges)."""
    if snr_db is None:
        return audio
    speech = np.concatenate([audio[a:b] for a, b in spans])
    noise_power = np.mean(speech ** 2) / (10 ** (snr_db / 10))
    rng = np.random.default_rng(seed)
    t = np.arange(len(audio)) / rate
    hum = (np.sin(2 * np.pi * 50 * t) + 0.5 * np.sin(2 * np.pi * 150 * t)
           + 0.25 * np.sin(2 * np.pi * 250 * t))
    hum *= np.sqrt(0.3 * noise_power / np.mean(hum ** 2))
    white = rng.standard_normal(len(audio)) * np.sqrt(0.7 * noise_power)
    return (audio + hum + white).astype(np.float32)


def conversation(rate, lines=None, gap_s=(0.6, 0.9), lead_s=0.5, tail_s=1.0,
                 jitter_seed=None):
    """Two streams of one conversation that alternates user and agent.

    With `jitter_seed`, every utterance moves by a random 0-10 ms so that
    its boundaries fall anywhere inside the 10 ms analysis frames.
    Returns (user_audio, agent_audio, user_spans, agent_spans), spans as
    sample ranges [start, end) in the conversation's time."""
    rng = np.random.default_rng(jitter_seed)
    lines = lines or list(zip(USER_LINES, AGENT_LINES))
    utts = []
    for u, a in lines:
        utts.append(("user", synth(u, USER_VOICE, rate)))
        utts.append(("agent", synth(a, AGENT_VOICE, rate)))
    pos = int(lead_s * rate)
    placed = []
    for i, (who, audio) in enumerate(utts):
        if jitter_seed is not None:
            pos += int(rng.integers(0, rate // 100))
        placed.append((who, pos, audio))
        pos += len(audio) + int(gap_s[i % len(gap_s)] * rate)
    total = pos + int(tail_s * rate)
    streams = {"user": np.zeros(total, np.float32),
               "agent": np.zeros(total, np.float32)}
    spans = {"user": [], "agent": []}
    for who, start, audio in placed:
        streams[who][start:start + len(audio)] = audio
        spans[who].append((start, start + len(audio)))
    return streams["user"], streams["agent"], spans["user"], spans["agent"]


def make_fixtures(outdir):
    """The small files the unit tests and the demo read."""
    for rate in (16000, 8000):
        audio = synth(USER_LINES[0], USER_VOICE, rate)
        write_wav(os.path.join(outdir, "utterance-%dk.wav" % (rate // 1000)),
                  audio, rate)
    user, agent, uspans, aspans = conversation(16000, lines=[
        (USER_LINES[0], AGENT_LINES[0]), (USER_LINES[1], AGENT_LINES[1])])
    write_wav(os.path.join(outdir, "conversation-user.wav"), user, 16000)
    write_wav(os.path.join(outdir, "conversation-agent.wav"), agent, 16000)
    with open(os.path.join(outdir, "conversation-spans.txt"), "w") as f:
        f.write("# speaker start_sample end_sample (16 kHz)\n")
        for who, spans in (("user", uspans), ("agent", aspans)):
            for a, b in spans:
                f.write("%s %d %d\n" % (who, a, b))


if __name__ == "__main__":
    make_fixtures(sys.argv[1] if len(sys.argv) > 1 else
                  os.path.dirname(os.path.abspath(__file__)))
