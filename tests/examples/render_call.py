#!/usr/bin/python3
"""Renders a recording (a voicemanifestsink directory) into one
self-contained HTML page to look at a call: a lane per speaker with its
waveform and segments, the timeline's events on the time axis, each
answer's latency drawn from the end of the user's turn to the agent's first
sample, interruptions marked, and the full file playable with a cursor that
follows it (click a lane to seek).

  render_call.py DIR [--html FILE]
  render_call.py --demo [--html FILE] [--check [--screenshot PNG]]

--demo records the built-in conversation first (record_conversation.py).
With --check, the page is loaded in headless Chromium and the program exits
1 unless the lanes, segments, events and latencies that the manifest holds
are all drawn; --screenshot keeps what Chromium saw.
"""
import argparse
import base64
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import record_conversation  # noqa: E402

POINTS_PER_SECOND = 50          # waveform resolution
MIME = {"wav": "audio/wav", "flac": "audio/flac", "ogg": "audio/ogg",
        "opus": "audio/ogg", "mp3": "audio/mpeg"}


def decode(path, rate=8000):
    """Any file the recorder writes, as float frames of every channel."""
    frames = record_conversation.decode(path, rate)
    return frames.astype(np.float32) / 32768.0, rate


def envelope(samples, rate, duration):
    """Peak level per point, for the whole call."""
    n = int(np.ceil(duration * POINTS_PER_SECOND))
    step = rate / POINTS_PER_SECOND
    out = np.zeros(n)
    for i in range(n):
        part = samples[int(i * step):int((i + 1) * step)]
        if len(part):
            out[i] = float(np.max(np.abs(part)))
    return [round(v, 3) for v in out]


def lanes(directory, m):
    """Each speaker's waveform: its channel of the full file, or, when the
    full file is mixed, its segment files placed at their times."""
    duration = max(m["full"]["duration"] if m.get("full") else 0,
                   m["duration"])
    full = os.path.join(directory, m["full"]["file"]) if m.get("full") \
        else None
    speakers = m["speakers"] or [{"name": r, "role": r, "channel": i}
                                 for i, r in enumerate(("user", "agent"))]
    waves = {}
    if full and m["full"]["layout"] == "channels":
        frames, rate = decode(full)
        for sp in speakers:
            ch = min(sp["channel"], frames.shape[1] - 1)
            waves[sp["name"]] = envelope(frames[:, ch], rate, duration)
    else:
        rate = 8000
        for sp in speakers:
            track = np.zeros(int(duration * rate) + 1, np.float32)
            for seg in m["segments"]:
                if seg.get("speaker", seg["role"]) != sp["name"] or \
                        not seg["file"]:
                    continue
                frames, _ = decode(os.path.join(directory, seg["file"]))
                at = int((seg["start_time"] - seg.get("padding_before", 0))
                         * rate)
                part = frames[:len(track) - at, 0]
                track[at:at + len(part)] = part
            waves[sp["name"]] = envelope(track, rate, duration)
    return speakers, waves, duration


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>%(title)s</title>
<style>
 body { font: 14px sans-serif; margin: 16px; color: #222; }
 h1 { font-size: 18px; margin: 0 0 4px; }
 .summary { color: #555; margin-bottom: 12px; }
 #call { width: 100%%; display: block; cursor: pointer; }
 .lane-bg { fill: #f6f6f6; }
 .lane-name { font-size: 12px; fill: #333; }
 .wave { fill: #7a8ca6; }
 .segment { fill-opacity: 0.18; stroke-width: 1; }
 .segment.user { fill: #2b7bd6; stroke: #2b7bd6; }
 .segment.agent { fill: #1b9e5a; stroke: #1b9e5a; }
 .segment.truncated { stroke: #d33; stroke-dasharray: 4 2; }
 .event line { stroke: #999; stroke-width: 1; }
 .event.tool_call line, .event.tool_result line { stroke: #a55cd6; }
 .event.user_interrupt line { stroke: #d33; stroke-width: 2; }
 .event text { font-size: 10px; fill: #555; }
 .latency line { stroke: #e08a00; stroke-width: 2; }
 .latency text { font-size: 11px; fill: #b86e00; }
 .axis text { font-size: 10px; fill: #666; }
 .axis line { stroke: #ccc; }
 #cursor { stroke: #d33; stroke-width: 1.5; }
 audio { width: 100%%; margin-top: 8px; }
</style></head>
<body>
<h1>%(title)s</h1>
<div class="summary">%(summary)s</div>
<svg id="call" xmlns="http://www.w3.org/2000/svg"></svg>
<audio id="audio" controls src="%(audio)s"></audio>
<script>
const call = %(data)s;
const NS = "http://www.w3.org/2000/svg";
const svg = document.getElementById("call");
const W = 1200, LEFT = 90, LANE = 90, TOP = 40;
const H = TOP + call.lanes.length * (LANE + 10) + 30;
svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
const x = t => LEFT + (W - LEFT - 10) * t / call.duration;
function el(name, attrs, parent, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  (parent || svg).appendChild(e);
  return e;
}
const laneY = {};
call.lanes.forEach((lane, i) => {
  const y = TOP + i * (LANE + 10);
  laneY[lane.name] = y;
  const g = el("g", {class: "lane", "data-speaker": lane.name});
  el("rect", {class: "lane-bg", x: LEFT, y: y, width: W - LEFT - 10, height: LANE}, g);
  el("text", {class: "lane-name", x: 4, y: y + LANE / 2}, g, `${lane.name} (${lane.role})`);
  let d = "";
  lane.wave.forEach((v, k) => {
    const h = Math.max(0.5, v * LANE / 2);
    d += `M${x(k / call.points_per_second).toFixed(1)},${(y + LANE / 2 - h).toFixed(1)}v${(2 * h).toFixed(1)}`;
  });
  el("path", {class: "wave", d: d, stroke: "#7a8ca6", "stroke-width": 1}, g);
});
call.segments.forEach(s => {
  const y = laneY[s.speaker];
  if (y === undefined) return;
  const r = el("rect", {class: `segment ${s.role}` + (s.truncated ? " truncated" : ""),
    "data-idx": s.idx, x: x(s.start), y: y + 2, width: Math.max(1, x(s.end) - x(s.start)),
    height: LANE - 4});
  el("title", {}, r, `#${s.idx} ${s.speaker} ${s.start.toFixed(3)}-${s.end.toFixed(3)} s` +
    (s.transcript ? `: ${s.transcript}` : ""));
});
const evTop = TOP - 14, evBottom = H - 30;
call.events.forEach(e => {
  const g = el("g", {class: `event ${e.type}`, "data-type": e.type});
  el("line", {x1: x(e.time), x2: x(e.time), y1: evTop, y2: evBottom}, g);
  if (e.type.startsWith("tool") || e.type === "user_interrupt")
    el("text", {x: x(e.time) + 2, y: evTop + (e.type === "tool_result" ? 0 : 8)}, g,
      e.type === "tool_result" ? "result" : e.name || "interrupt");
});
call.latencies.forEach(l => {
  const y = (laneY[l.agent] !== undefined ? laneY[l.agent] : TOP) - 4;
  const g = el("g", {class: "latency"});
  el("line", {x1: x(l.from), x2: x(l.to), y1: y, y2: y}, g);
  el("text", {x: x(l.from), y: y - 3}, g, `${Math.round(l.latency * 1000)} ms`);
});
const axis = el("g", {class: "axis"});
const step = call.duration > 120 ? 30 : call.duration > 30 ? 5 : 1;
for (let t = 0; t <= call.duration; t += step) {
  el("line", {x1: x(t), x2: x(t), y1: H - 28, y2: H - 22}, axis);
  el("text", {x: x(t) - 4, y: H - 10}, axis, `${t}s`);
}
const cursor = el("line", {id: "cursor", x1: x(0), x2: x(0), y1: evTop, y2: evBottom});
const audio = document.getElementById("audio");
function follow() {
  cursor.setAttribute("x1", x(audio.currentTime));
  cursor.setAttribute("x2", x(audio.currentTime));
  requestAnimationFrame(follow);
}
requestAnimationFrame(follow);
svg.addEventListener("click", ev => {
  const p = svg.createSVGPoint(); p.x = ev.clientX; p.y = ev.clientY;
  const at = p.matrixTransform(svg.getScreenCTM().inverse()).x;
  audio.currentTime = Math.max(0, (at - LEFT) / (W - LEFT - 10) * call.duration);
});
document.body.setAttribute("data-drawn", "yes");
</script>
</body></html>
"""


def render(directory, out_html):
    with open(os.path.join(directory, "manifest.json")) as f:
        m = json.load(f)
    speakers, waves, duration = lanes(directory, m)
    # each answer's latency, from the end of the user's turn it answers
    latencies = []
    for e in m["events"]:
        if e["type"] == "agent_start_speaking" and "latency" in e:
            latencies.append({
                "from": e["time"] - e["latency"], "to": e["time"],
                "latency": e["latency"],
                "agent": (e.get("metadata") or {}).get("speaker", "")})
    data = {
        "duration": duration,
        "points_per_second": POINTS_PER_SECOND,
        "lanes": [{"name": sp["name"], "role": sp["role"],
                   "wave": waves[sp["name"]]} for sp in speakers],
        "segments": [{"idx": s["idx"], "speaker": s.get("speaker", s["role"]),
                      "role": s["role"], "start": s["start_time"],
                      "end": s["end_time"], "transcript": s["transcript"],
                      "truncated": s.get("transcript_truncated", False)}
                     for s in m["segments"]],
        "events": [{"time": e["time"], "type": e["type"],
                    "name": e.get("name")} for e in m["events"]],
        "latencies": latencies,
    }
    audio = ""
    if m.get("full"):
        ext = m["full"]["file"].rsplit(".", 1)[-1]
        with open(os.path.join(directory, m["full"]["file"]), "rb") as f:
            audio = "data:%s;base64,%s" % (MIME.get(ext, "audio/wav"),
                                           base64.b64encode(f.read())
                                           .decode())
    lat = m["latency"]
    summary = "%.1f s, %d segments, %d events; latency p50 %s, p95 %s; " \
        "%d interruptions; started %s" % (
            duration, m["segment_count"], len(m["events"]),
            "%.0f ms" % (lat["p50"] * 1000) if lat["p50"] is not None
            else "n/a",
            "%.0f ms" % (lat["p95"] * 1000) if lat["p95"] is not None
            else "n/a",
            sum(e["type"] == "user_interrupt" for e in m["events"]),
            m.get("started_at") or "?")
    # JSON inside a script element: "</" must not end it
    text = PAGE % {
        "title": html.escape("Call " + os.path.basename(
            os.path.abspath(directory))),
        "summary": html.escape(summary),
        "audio": audio,
        "data": json.dumps(data).replace("</", "<\\/"),
    }
    with open(out_html, "w") as f:
        f.write(text)
    return m, data


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def check_in_browser(page, data, screenshot):
    browser = chromium()
    if not browser:
        print("SKIP: no chromium (apt-get install chromium)")
        return True
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu",
             "--hide-scrollbars", "--window-size=1300,600",
             "--virtual-time-budget=2000"]
    # a sanitizer runtime preloaded for this interpreter is not Chromium's
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    with tempfile.TemporaryDirectory() as profile:
        flags.append("--user-data-dir=" + profile)
        dom = subprocess.run(flags + ["--dump-dom", "file://" + page],
                             capture_output=True, text=True, env=env,
                             timeout=120).stdout
        if screenshot:
            subprocess.run(flags + ["--screenshot=" + screenshot,
                                    "file://" + page],
                           capture_output=True, env=env, timeout=120)
    ok = True
    counts = {
        "drawn": len(re.findall(r'data-drawn="yes"', dom)),
        "lanes": len(re.findall(r'<g class="lane"', dom)),
        "segments": len(re.findall(r'<rect class="segment', dom)),
        "events": len(re.findall(r'<g class="event ', dom)),
        "latencies": len(re.findall(r'<g class="latency"', dom)),
        "cursor": len(re.findall(r'id="cursor"', dom)),
    }
    want = {"drawn": 1, "lanes": len(data["lanes"]),
            "segments": len(data["segments"]), "events": len(data["events"]),
            "latencies": len(data["latencies"]), "cursor": 1}
    print("drawn by Chromium:", counts)
    if counts != want:
        print("check: want", want)
        ok = False
    if screenshot and not (os.path.exists(screenshot)
                           and os.path.getsize(screenshot) > 10000):
        print("check: no screenshot")
        ok = False
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", nargs="?")
    ap.add_argument("--demo", action="store_true")
    ap.add_argument("--html")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--screenshot")
    args = ap.parse_args()
    Gst.init(None)
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.dir
        if args.demo:
            directory = os.path.join(tmp, "call")
            record_conversation.record(directory, "wav", "channels")
        if not directory:
            ap.error("give a recording directory, or --demo")
        page = os.path.abspath(args.html or os.path.join(directory,
                                                          "call.html"))
        m, data = render(directory, page)
        print("page:", page)
        if args.demo and not args.html:
            print("(in a temporary directory, removed now: --html FILE "
                  "keeps the page)")
        if args.check and not check_in_browser(page, data, args.screenshot):
            sys.exit(1)


if __name__ == "__main__":
    main()
