#!/usr/bin/python3
"""Offline throughput of the whole recording job, as ratios to what a
GStreamer user would otherwise run on the same input, in the same run.

The input is a two-party conversation made here: espeak-ng speech
(tests/files/speechsynth.py, two voices, pauses between the turns) with
white noise and mains hum 30 dB below it, repeated to the length asked
(one hour by default), one mono WAV file per speaker. The job records it
as gst-launch-1.0 does:

  voicetimeline name=t ! voicemanifestsink location=OUT
  filesrc location=user.wav ! wavparse ! voicesegmenter role=user ! t.sink_0
  filesrc location=agent.wav ! wavparse ! voicesegmenter role=agent ! t.sink_1

(both speakers segmented, aligned, every segment file, the full file and
the manifest, WAV). Against:

  A          audiointerleave ! wavenc ! filesink over the same two files:
             alignment and one output file, no analysis
  B          filesrc ! wavparse ! wavenc ! filesink of each file, one after
             the other: the I/O floor of reading both and writing them out
  reference  the seed's VoiceRecording.save_segments (copied below), given
             the segments that we found: no detection, no alignment. Two
             times: its job (reading both files, making the segments from
             their audio, save_segments) and the save_segments call alone,
             the audio already in memory; the peak memory of its process

Then the cost as the work grows: 1, 2, 4 and 8 speakers at 16 kHz, and two
speakers at 8, 16 and 48 kHz, each next to A on the same files; the cost
per input sample should stay the same.

Every figure is the best (shortest) of --repeat runs, the runs of all
pipelines interleaved, since the machine may be shared. CPU is user +
system time of the process.

  meson devenv -C build /usr/bin/python3 ../tests/benchmarks/offline_throughput.py \
      [--seconds 3600] [--scale-seconds 900] [--repeat 3] [--check]

--check verifies every recording (manifest, files, full-file length) and
exits 1 if one is wrong; it never judges wall-clock times.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Literal, Optional, Union

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "files"))
import speechsynth  # noqa: E402

SNR_DB = 30


# --- from the reference (scenario/voice/recording.py) ----------------------
# save_segments and what it uses, unchanged; PCM16_SAMPLE_RATE and
# PCM16_CHANNELS come from its audio_chunk module (16 kHz mono).
PCM16_SAMPLE_RATE = 16000
PCM16_CHANNELS = 1
SpeakerRole = Literal["user", "agent"]


@dataclass
class AudioSegment:
    speaker: SpeakerRole
    start_time: float
    end_time: float
    audio: bytes  # PCM16 bytes
    transcript: Optional[str] = None
    transcript_truncated: bool = False


@dataclass
class VoiceEvent:
    time: float
    type: str
    name: Optional[str] = None
    args: Optional[Dict[str, Any]] = None
    result: Optional[Any] = None
    latency: Optional[float] = None
    metadata: Optional[Dict[str, Any]] = None


@dataclass
class VoiceRecording:
    segments: List[AudioSegment] = field(default_factory=list)
    timeline: List["VoiceEvent"] = field(default_factory=list)

    @property
    def duration(self) -> float:
        if not self.segments:
            return 0.0
        return max(s.end_time for s in self.segments)

    @property
    def full_wav(self) -> bytes:
        from io import BytesIO
        import wave
        buf = BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(PCM16_CHANNELS)
            w.setsampwidth(2)
            w.setframerate(PCM16_SAMPLE_RATE)
            for seg in sorted(self.segments, key=lambda s: s.start_time):
                w.writeframes(seg.audio)
        return buf.getvalue()

    def save_segments(self, dir: Union[str, Path], manifest: bool = True) -> Path:
        from io import BytesIO
        import wave
        target = Path(dir).resolve()
        segments_dir = target / "segments"
        target.mkdir(parents=True, exist_ok=True)
        segments_dir.mkdir(parents=True, exist_ok=True)
        ordered = sorted(self.segments, key=lambda s: s.start_time)
        segment_entries: List[Dict[str, Any]] = []
        for idx, seg in enumerate(ordered):
            start_ms = int(seg.start_time * 1000)
            filename = f"{idx:02d}-{seg.speaker}-{start_ms:04d}ms.wav"
            seg_path = segments_dir / filename
            buf = BytesIO()
            with wave.open(buf, "wb") as w:
                w.setnchannels(PCM16_CHANNELS)
                w.setsampwidth(2)
                w.setframerate(PCM16_SAMPLE_RATE)
                w.writeframes(seg.audio)
            seg_path.write_bytes(buf.getvalue())
            rel_file = f"segments/{filename}"
            entry: Dict[str, Any] = {
                "idx": idx,
                "file": rel_file,
                "role": seg.speaker,
                "start_time": seg.start_time,
                "end_time": seg.end_time,
                "duration": seg.end_time - seg.start_time,
                "transcript": seg.transcript,
            }
            if seg.transcript_truncated:
                entry["transcript_truncated"] = True
            segment_entries.append(entry)
        # Write the full mixed WAV.
        (target / "full.wav").write_bytes(self.full_wav)
        if manifest:
            event_entries: List[Dict[str, Any]] = []
            for evt in sorted(self.timeline, key=lambda e: e.time):
                entry: Dict[str, Any] = {"time": evt.time, "type": evt.type}
                if evt.latency is not None:
                    entry["latency"] = evt.latency
                if evt.name is not None:
                    entry["name"] = evt.name
                if evt.args is not None:
                    entry["args"] = evt.args
                if evt.result is not None:
                    entry["result"] = evt.result
                if evt.metadata is not None:
                    entry["metadata"] = evt.metadata
                event_entries.append(entry)
            manifest_data: Dict[str, Any] = {
                "generated_at": datetime.now(timezone.utc).isoformat(),
                "duration": self.duration,
                "segment_count": len(ordered),
                "segments": segment_entries,
                "events": event_entries,
            }
            (target / "manifest.json").write_text(
                json.dumps(manifest_data, indent=2), encoding="utf-8"
            )
        return target
# ---------------------------------------------------------------------------


def reference_run(manifest_path, wavs, out):
    """In a process of its own (for its peak memory): the reference's
    VoiceRecording with our segments and events, then save_segments.
    Prints the seconds of the whole job (reading the files, making the
    segments, saving them) and of save_segments alone."""
    job_start = time.monotonic()
    with open(manifest_path) as f:
        manifest = json.load(f)
    pcm = {}
    for path in wavs:
        with wave.open(path, "rb") as w:
            pcm[len(pcm)] = w.readframes(w.getnframes())
    channel = {s["name"]: s["channel"] for s in manifest["speakers"]}
    rate = manifest["sample_rate"]
    segments = []
    for s in manifest["segments"]:
        data = pcm[channel[s["speaker"]]]
        a = round(s["start_time"] * rate) * 2
        b = round(s["end_time"] * rate) * 2
        segments.append(AudioSegment(
            speaker=s["role"], start_time=s["start_time"],
            end_time=s["end_time"], audio=data[a:b],
            transcript=s["transcript"],
            transcript_truncated=s.get("transcript_truncated", False)))
    timeline = [VoiceEvent(**e) for e in manifest["events"]]
    rec = VoiceRecording(segments=segments, timeline=timeline)
    start = time.monotonic()
    rec.save_segments(out)
    end = time.monotonic()
    print(end - job_start, end - start)


def make_input(tmp, rate, speakers, seconds):
    """WAV files of `speakers` legs of a conversation `seconds` long: the
    user and agent streams in turn, each pair moved by a few seconds so
    that no two legs are the same."""
    key = "%d-%d-%d" % (rate, speakers, seconds)
    paths = [os.path.join(tmp, "in-%s-%d.wav" % (key, k))
             for k in range(speakers)]
    if all(os.path.exists(p) for p in paths):
        return paths
    user, agent, uspans, aspans = speechsynth.conversation(rate)
    legs = [speechsynth.add_noise(user, uspans, rate, SNR_DB, 1),
            speechsynth.add_noise(agent, aspans, rate, SNR_DB, 2)]
    n = int(seconds * rate)
    for k, path in enumerate(paths):
        leg = legs[k % 2]
        leg = np.roll(leg, (k // 2) * int(7.3 * rate))
        reps = int(np.ceil(n / len(leg)))
        speechsynth.write_wav(path, np.tile(leg, reps)[:n], rate)
    return paths


def role(k):
    return "user" if k % 2 == 0 else "agent"


def ours(paths, out):
    cmd = ["voicetimeline", "name=t", "!", "voicemanifestsink",
           "location=" + out]
    for k, p in enumerate(paths):
        cmd += ["filesrc", "location=" + p, "!", "wavparse", "!",
                "voicesegmenter", "role=" + role(k), "speaker=s%d" % k, "!",
                "t.sink_%d" % k]
    return [cmd]


def baseline_a(paths, out):
    cmd = ["audiointerleave", "name=i", "!", "wavenc", "!", "filesink",
           "location=" + out + ".wav"]
    for k, p in enumerate(paths):
        cmd += ["filesrc", "location=" + p, "!", "wavparse", "!",
                "i.sink_%d" % k]
    return [cmd]


def baseline_b(paths, out):
    return [["filesrc", "location=" + p, "!", "wavparse", "!", "wavenc", "!",
             "filesink", "location=%s-%d.wav" % (out, k)]
            for k, p in enumerate(paths)]


# Runs a command and writes its wall time, CPU time and peak RSS to a file.
# It is a small process of its own: a child forked from this one would
# count this process's memory as its own peak.
MEASURE = """
import os, sys, time
start = time.monotonic()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write("%f %f %d %d" % (time.monotonic() - start,
                             usage.ru_utime + usage.ru_stime,
                             usage.ru_maxrss, os.waitstatus_to_exitcode(status)))
"""


def run(cmd, stdout=None):
    """Wall time, CPU time (user + system) and peak RSS (MB) of one
    process; with `stdout`, what it printed too."""
    with tempfile.NamedTemporaryFile("r") as result:
        out = subprocess.run([sys.executable, "-c", MEASURE, result.name]
                             + cmd, check=True, text=True,
                             stdout=subprocess.PIPE if stdout else None)
        wall, cpu, rss, code = result.read().split()
    if int(code) != 0:
        sys.exit("failed: " + " ".join(cmd))
    res = float(wall), float(cpu), int(rss) / 1024
    return res + (out.stdout,) if stdout else res


def launch(pipelines, out):
    """Runs the gst-launch-1.0 pipelines one after the other."""
    total = [0.0, 0.0, 0.0]
    for cmd in pipelines(out):
        wall, cpu, rss = run(["gst-launch-1.0", "-q"] + cmd)
        total = [total[0] + wall, total[1] + cpu, max(total[2], rss)]
    return total


def clear(tmp):
    for name in os.listdir(tmp):
        if name.startswith("out-"):
            path = os.path.join(tmp, name)
            if os.path.isdir(path):
                shutil.rmtree(path)
            else:
                os.remove(path)


def verify(out, paths, rate, failures):
    """The recording is whole: the manifest lists every segment file, each
    there, and the full file is as long as the input. Returns the number
    of segments."""
    with open(os.path.join(out, "manifest.json")) as f:
        manifest = json.load(f)
    files = sorted(os.listdir(os.path.join(out, "segments")))
    listed = sorted(os.path.basename(s["file"]) for s in manifest["segments"])
    if manifest["segment_count"] == 0 or files != listed:
        failures.append("%s: %d segments listed, %d files" %
                        (out, len(listed), len(files)))
    with wave.open(paths[0], "rb") as w:
        frames = w.getnframes()
    with wave.open(os.path.join(out, "full.wav"), "rb") as w:
        if abs(w.getnframes() - frames) > rate // 100:
            failures.append("%s: full.wav has %d frames, the input %d" %
                            (out, w.getnframes(), frames))
    return manifest["segment_count"]


def best_of(repeat, jobs):
    """Runs every job `repeat` times, interleaved; the best wall time of
    each with the CPU and memory of that run."""
    best = {}
    for _ in range(repeat):
        for name, fn in jobs:
            r = fn()
            if name not in best or r[0] < best[name][0]:
                best[name] = r
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3600,
                    help="length of the conversation of the main table")
    ap.add_argument("--scale-seconds", type=float, default=900,
                    help="length of the scaling runs (0 to skip them)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--check", action="store_true",
                    help="exit 1 unless every recording is whole")
    ap.add_argument("--reference-run", nargs="+", metavar="PATH",
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.reference_run:
        manifest, *wavs, out = args.reference_run
        reference_run(manifest, wavs, out)
        return

    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        rate = 16000
        paths = make_input(tmp, rate, 2, args.seconds)
        out = os.path.join(tmp, "out-ours")
        segments = {}

        def job_ours():
            clear(tmp)
            r = launch(lambda o: ours(paths, o), out)
            segments["n"] = verify(out, paths, rate, failures)
            shutil.copy(os.path.join(out, "manifest.json"),
                        os.path.join(tmp, "manifest.json"))
            return r

        calls = []  # the reference's save_segments alone, each run
        jobs = [
            ("ours", job_ours),
            ("A", lambda: (clear(tmp),
                           launch(lambda o: baseline_a(paths, o),
                                  os.path.join(tmp, "out-a")))[1]),
            ("B", lambda: (clear(tmp),
                           launch(lambda o: baseline_b(paths, o),
                                  os.path.join(tmp, "out-b")))[1]),
            ("reference", lambda: reference_job(tmp, paths, calls)),
        ]
        best = best_of(args.repeat, jobs)
        best["reference-call"] = (min(calls),) + best["reference"][1:]
        clear(tmp)

        hours = args.seconds / 3600
        print("| %g s, 2 speakers, 16 kHz (%d segments) | wall | CPU | "
              "peak RSS | ours / it (wall) |" % (args.seconds, segments["n"]))
        print("|---|---|---|---|---|")
        names = {
            "ours": "ours: segmented, aligned, segments + full + manifest",
            "A": "A: audiointerleave ! wavenc ! filesink",
            "B": "B: filesrc ! wavparse ! wavenc ! filesink, both files",
            "reference": "reference: its job (reading both files, making "
                         "the segments, save_segments)",
            "reference-call": "reference: save_segments alone, given the "
                              "segments in memory",
        }
        w_ours = best["ours"][0]
        for name in ("ours", "A", "B", "reference", "reference-call"):
            wall, cpu, rss = best[name]
            print("| %s | %.2f s | %.2f s | %.0f MB | %.2f |"
                  % (names[name], wall, cpu, rss, w_ours / wall))
        print("targets: ours <= 0.5 A: %.2f, <= 4 B: %.2f, < reference: "
              "%.2f (its job), %.2f (its save_segments alone)"
              % (w_ours / best["A"][0], w_ours / best["B"][0],
                 w_ours / best["reference"][0],
                 w_ours / best["reference-call"][0]))
        print("ours: %.0f x real time, %.2f s per hour of conversation"
              % (args.seconds / w_ours, w_ours / hours))

        if args.scale_seconds:
            print()
            print("| speakers | rate | audio, all legs | ours wall | ours CPU | A wall "
                  "| ours / A | ours CPU per Msample | A CPU per Msample |")
            print("|---|---|---|---|---|---|---|---|---|")
            for n, r in ((1, 16000), (2, 16000), (4, 16000), (8, 16000),
                         (2, 8000), (2, 48000)):
                ps = make_input(tmp, r, n, args.scale_seconds)
                o = os.path.join(tmp, "out-scale")

                def job_scale_ours(ps=ps, o=o, r=r):
                    clear(tmp)
                    res = launch(lambda x: ours(ps, x), o)
                    verify(o, ps, r, failures)
                    return res

                b = best_of(args.repeat, [
                    ("ours", job_scale_ours),
                    ("A", lambda ps=ps: (clear(tmp), launch(
                        lambda x: baseline_a(ps, x),
                        os.path.join(tmp, "out-a")))[1])])
                clear(tmp)
                for p in ps:
                    os.remove(p)
                msamples = n * args.scale_seconds * r / 1e6
                print("| %d | %d kHz | %.0f min | %.2f s | %.2f s | %.2f s | "
                      "%.2f | %.1f ms | %.1f ms |"
                      % (n, r // 1000, n * args.scale_seconds / 60,
                         b["ours"][0], b["ours"][1], b["A"][0],
                         b["ours"][0] / b["A"][0],
                         1000 * b["ours"][1] / msamples,
                         1000 * b["A"][1] / msamples))

    for f in failures:
        print("FAIL:", f)
    if args.check and failures:
        sys.exit(1)


def reference_job(tmp, paths, calls):
    """The reference in its own process: the time of its job (printed by
    it), the CPU and peak memory of the whole process; the time of its
    save_segments call appended to `calls`."""
    clear(tmp)
    _, cpu, rss, text = run(
        [sys.executable, os.path.abspath(__file__), "--reference-run",
         os.path.join(tmp, "manifest.json")] + paths
        + [os.path.join(tmp, "out-ref")], stdout=True)
    job, call = text.split()
    calls.append(float(call))
    return float(job), cpu, rss


if __name__ == "__main__":
    main()
