#!/usr/bin/python3
"""Does gstvoice write the manifest that the reference writes?

The reference is VoiceRecording.save_segments of the seed data model
(scenario.voice.recording); its manifest-building lines are copied below
unchanged, with the WAV writing left out. For the same segments and events,
the manifest that gstvoice writes must start with exactly the same text,
member for member, the members gstvoice adds following after them; and
all of it, the added members set or not, must be the text that the
reference's json.dumps (indent=2) makes of it.

  reference_parity.py MANIFEST_DUMP
"""
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional


# --- from the reference (scenario/voice/recording.py) ----------------------
@dataclass
class AudioSegment:
    speaker: str
    start_time: float
    end_time: float
    audio: bytes
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

    def manifest(self, generated_at):
        ordered = sorted(self.segments, key=lambda s: s.start_time)
        segment_entries: List[Dict[str, Any]] = []
        for idx, seg in enumerate(ordered):
            start_ms = int(seg.start_time * 1000)
            filename = f"{idx:02d}-{seg.speaker}-{start_ms:04d}ms.wav"
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
            "generated_at": generated_at.isoformat(),
            "duration": self.duration,
            "segment_count": len(ordered),
            "segments": segment_entries,
            "events": event_entries,
        }
        return json.dumps(manifest_data, indent=2)
# --- end of the reference ---------------------------------------------------


SEGMENTS = [
    {"role": "agent", "start_time": 4.813, "end_time": 7.5,
     "transcript": "Of course. Which flight?", "transcript_truncated": True},
    {"role": "user", "start_time": 0.1, "end_time": 4.0529375,
     "transcript": "Hi, I'd like to \"change\" my flight\n\u00e9\u2028\U0001F600"},
    {"role": "user", "start_time": 1.001 + 7, "end_time": 9.25},
    {"role": "agent", "start_time": 12.3, "end_time": 14.0, "transcript": ""},
    {"role": "user", "start_time": 123.456789, "end_time": 130.0,
     "transcript": "late"},
]

EVENTS = [
    {"time": 4.813, "type": "agent_start_speaking", "latency": 0.7600625},
    {"time": 0.1, "type": "user_start_speaking"},
    {"time": 4.0529375, "type": "user_stop_speaking"},
    {"time": 6.0, "type": "tool_call", "name": "lookup_flight",
     "args": {"date": "friday", "seats": 2, "price": 2.5, "ok": True,
              "tags": ["a", None]},
     "metadata": {"call_id": "c1"}},
    {"time": 6.5, "type": "tool_result", "name": "lookup_flight",
     "result": [1, "two", {"three": 3.0}], "metadata": {"call_id": "c1"}},
    {"time": 8.001, "type": "user_interrupt",
     "metadata": {"speaker": "alice"}},
    {"time": 7.5, "type": "agent_stop_speaking"},
]

GENERATED_AT = [2026, 11, 26, 9, 30, 15.25]


# the members gstvoice adds, given (the other run leaves them unset)
ADDED = {
    "started_at": [2026, 11, 26, 9, 29, 58.5],
    "sample_rate": 16000,
    # free text, escaped as json.dumps escapes it
    "format": "w\u00e4v \"x\"\\",
    "full": {"file": "f\u00fcll\t\u0001\u007f\U0001F600.wav",
             "layout": "channels", "duration": 130.25},
    "speakers": [{"name": "alice_1", "role": "user", "channel": 0},
                 {"name": "bot", "role": "agent", "channel": 1}],
    "latency": {"measurements": [0.7600625, 1.1, 0.25],
                "time_to_first_byte": 0.5,
                "interrupt_response_time": 0.1 + 0.2},
}


def dump(tool, added):
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(dict({"generated_at": GENERATED_AT, "segments": SEGMENTS,
                        "events": EVENTS}, **added), f)
        f.flush()
        return subprocess.run([tool, f.name], check=True,
                              capture_output=True, text=True).stdout


def differs(what, want, got):
    for i, (a, b) in enumerate(zip(want.splitlines(), got.splitlines())):
        if a != b:
            print("%s: line %d differs:\n  want:     %s\n  gstvoice: %s"
                  % (what, i + 1, a, b))
            return
    print("%s: %d lines, not %d" % (what, len(got.splitlines()),
                                    len(want.splitlines())))


def main():
    tool = sys.argv[1]
    rec = VoiceRecording(
        segments=[AudioSegment(speaker=s["role"], start_time=s["start_time"],
                               end_time=s["end_time"], audio=b"",
                               transcript=s.get("transcript"),
                               transcript_truncated=s.get(
                                   "transcript_truncated", False))
                  for s in SEGMENTS],
        timeline=[VoiceEvent(**e) for e in EVENTS])
    when = datetime(2026, 11, 26, 9, 30, 15, 250000, tzinfo=timezone.utc)
    reference = rec.manifest(when)
    ok = True
    for added in ({}, ADDED):
        ours = dump(tool, added)
        what = "with the added members given" if added else "without"
        # the reference's members, as text, then ours
        prefix = reference[:-2] + ",\n"
        if not ours.startswith(prefix):
            differs(what + ", the reference's members", prefix, ours)
            ok = False
        # and all of it as the reference's json.dumps writes it
        whole = json.dumps(json.loads(ours), indent=2)
        if ours != whole:
            differs(what + ", as json.dumps writes it", whole, ours)
            ok = False
        m = json.loads(ours)
        lat = m["latency"]
        if added:
            got = {k: m[k] for k in ("sample_rate", "format", "full",
                                     "speakers")}
            want = {k: ADDED[k] for k in got}
            if got != want or m["started_at"] != \
                    "2026-11-26T09:29:58.500000+00:00" or \
                    lat["measurements"] != ADDED["latency"]["measurements"] \
                    or lat["count"] != 3 or lat["min"] != 0.25 \
                    or lat["max"] != 1.1 or lat["p50"] != 0.7600625 \
                    or lat["time_to_first_byte"] != 0.5 \
                    or lat["interrupt_response_time"] != 0.1 + 0.2:
                print("added members:", {k: m[k] for k in ADDED})
                ok = False
        elif (m["started_at"], m["full"], m["speakers"], lat["count"],
              lat["avg"]) != (None, None, [], 0, None):
            print("unset members:", {k: m[k] for k in ADDED})
            ok = False
    if not ok:
        sys.exit(1)
    print("gstvoice writes the reference's %d lines unchanged, and all of "
          "its manifest as json.dumps does" % (len(reference.splitlines())
                                                - 1))


if __name__ == "__main__":
    main()
