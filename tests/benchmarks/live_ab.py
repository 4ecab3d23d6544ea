#!/usr/bin/python3
"""Two builds of ours against each other, live, under the same load.

live_capacity.py --together measures ours against the stock pipeline; a
change of a percent or two to ours is lost in how much one run moves
(a tenth or more on this shared machine). Here the same live calls as
live_capacity.py's run twice at once, each N calls in a process of its
own: one with the plugin of this build, one with the plugin of another
build directory (--against, for instance a `git worktree` of the commit
before the change, built with the same options). Both meet the same load,
so the ratio of their CPU time moves by a few percent where one run's
CPU moves by a tenth: two processes of the same code gave 0.97 to 1.00.

  meson devenv -C build /usr/bin/python3 ../tests/benchmarks/live_ab.py \\
      --against /tmp/before/build [--calls 80] [--seconds 30] [--repeat 3]

It prints each run's CPU (% of all cores) for both, their ratio (this
build / the other), dropped audio, and the median ratio. Keep N low
enough that neither drops audio (80 calls each on two cores).
--check (the suite) runs a few seconds and only checks that both runs
are whole.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

CAPACITY = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "live_capacity.py")


def environment(build, registry):
    """This process's environment with the plugin and library of @build
    (None: as it is) and a registry of its own in @registry."""
    env = dict(os.environ, GST_REGISTRY=registry,
               GST_REGISTRY_1_0=registry)
    if build:
        # the other build's plugin in place of this one's, the other
        # plugin directories kept (the suite gives the system's this way)
        plugins = os.path.join(build, "plugins", "voice")
        for var in ("GST_PLUGIN_PATH", "GST_PLUGIN_PATH_1_0"):
            if var in env or var == "GST_PLUGIN_PATH":
                env[var] = os.pathsep.join([plugins] + [
                    d for d in env.get(var, "").split(os.pathsep)
                    if d and not os.path.exists(
                        os.path.join(d, "libgstvoice.so"))])
        env["LD_LIBRARY_PATH"] = os.pathsep.join(
            [os.path.join(build, "gst", "voice")] +
            [p for p in env.get("LD_LIBRARY_PATH", "").split(os.pathsep)
             if p])
    return env


def run_both(args, tmp):
    """One run of this build and the other at once; their results."""
    children = {}
    for key, build in (("this", None), ("other", args.against)):
        env = environment(build, os.path.join(tmp, key + ".registry"))
        # the registry is made before the run, not during it
        subprocess.run(["gst-inspect-1.0", "voicetimeline"], env=env,
                       stdout=subprocess.DEVNULL, check=True)
        out = tempfile.mkdtemp(dir=tmp)
        children[key] = subprocess.Popen(
            [sys.executable, CAPACITY, "--one", "ours", "--calls",
             str(args.calls), "--seconds", str(args.seconds), "--tmp", out],
            env=env, stdout=subprocess.PIPE, text=True)
    results = {}
    for key, child in children.items():
        out, _ = child.communicate()
        if child.returncode != 0:
            sys.exit("%s build: the run failed" % key)
        results[key] = json.loads(out.splitlines()[-1])
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--against", required=True,
                    help="the other build directory")
    ap.add_argument("--calls", type=int, default=80)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--check", action="store_true",
                    help="exit 1 unless every run is whole")
    args = ap.parse_args()
    if not os.path.isdir(os.path.join(args.against, "plugins", "voice")):
        ap.error("%s is not a build directory of this project" %
                 args.against)

    print("| run | this build CPU | other build CPU | this / other | "
          "dropped (this, other) |")
    print("|---|---|---|---|---|")
    ratios = []
    whole = True
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            r = run_both(args, tmp)
            ratio = r["this"]["cpu"] / max(1e-9, r["other"]["cpu"])
            ratios.append(ratio)
            whole = whole and r["this"]["ok"] and r["other"]["ok"]
            print("| %d | %.1f %% | %.1f %% | %.3f | %d, %d |" % (
                i + 1, 100 * r["this"]["cpu"], 100 * r["other"]["cpu"],
                ratio, r["this"]["qos"], r["other"]["qos"]))
            sys.stdout.flush()
    print("median ratio, this build / the other: %.3f" %
          statistics.median(ratios))
    if args.check and not whole:
        sys.exit(1)


if __name__ == "__main__":
    main()
