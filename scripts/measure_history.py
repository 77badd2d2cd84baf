#!/usr/bin/env python3
"""The measurements behind docs/HISTORY.md's goals (issue 17), driven through
the edgeperf binary in throw-away git repositories. Run it through
scripts/measure-history.sh, which builds the binary and records the load.

  G1  11 accepts as main's workflow makes them (edgeperf run, baseline pair,
      baseline accept --paired, report alerts --dry-run --commit): 10 of
      unchanged code, then one whose committed model is +6% (8 blocks).
  G2  bisect over 16 commits whose model is a build artifact (build.sh runs
      slow_variant.py from a committed block count), the +6% commit at a
      position drawn from each seed 1..10.
  G3  backfill of 8 commits, SIGINT once 4 are done, then the same command
      again.

Standard library only. Writes OUT.json (every figure and the raw bisect and
history documents) and prints the Markdown tables (the caller keeps them as
OUT.md). Sizes for a shorter run while developing: EDGEPERF_HISTORY_ACCEPTS
(10), EDGEPERF_HISTORY_COMMITS (16), EDGEPERF_HISTORY_SEEDS (10),
EDGEPERF_HISTORY_BACKFILL (8), EDGEPERF_HISTORY_ONLY (g1, g2 or g3),
EDGEPERF_HISTORY_SUITE=short (short runs and confirmation budget; the goals
are measured with the suite defaults).
"""
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / ".edgeperf"
EXE = ROOT / "target/release/edgeperf"
SLOWER_BLOCKS = 8


def env_int(name, default):
    v = os.environ.get(name, "")
    return int(v) if v.strip() else default


def suite_text():
    """The cpu device and mobilenet_v2 as the shipped edgeperf.toml has them
    (sampling, threads, runtime); latency only; [compare] at its defaults
    unless EDGEPERF_HISTORY_SUITE=short."""
    short = os.environ.get("EDGEPERF_HISTORY_SUITE") == "short"
    sampling = (
        "warmup = 3\nsamples = 100\nrounds = 2\nmax_seconds = 1.5\nmin_samples = 10"
        if short
        else "warmup = 10\nsamples = 200\nrounds = 3\nmax_seconds = 12\nmin_samples = 20"
    )
    compare = (
        "[compare]\nconfirm.min_rounds = 6\nconfirm.rounds = 12\nconfirm.max_rounds = 16\n"
        "confirm.budget_seconds = 5\nconfirm.max_budget_seconds = 7\nconfirm.round_seconds = 0.4\n"
        if short
        else ""
    )
    return f"""schema_version = 1
[sampling]
{sampling}
[dataset]
root = "{ASSETS / 'data/imagenet-samples'}"
limit = 5
[[device]]
name = "cpu"
provider = "cpu"
intra_threads = 1
inter_threads = 1
runtime = "{ASSETS / 'runtime/onnxruntime-1.31.1/libonnxruntime.so.1.31.1'}"
[[model]]
name = "mobilenet_v2"
file = "models/m.onnx"
accuracy = false
preprocess = {{ resize = 256, crop = 224, interpolation = "bilinear", divisor = 255, mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225] }}
{compare}"""


BUILD_SH = f"""#!/bin/sh
# Makes models/m.onnx from the committed block count (0: mobilenet_v2 itself).
set -e
n="$(cat blocks)"
mkdir -p models
if [ "$n" = 0 ]; then
  cp "{ASSETS}/models/mobilenet_v2.onnx" models/m.onnx
else
  "{ASSETS}/venv/bin/python" "{ROOT}/scripts/assets/slow_variant.py" \\
    "{ASSETS}/models/mobilenet_v2.onnx" models/m.onnx --blocks "$n" >/dev/null
fi
"""


class Repo:
    """A throw-away repository; commits a minute apart."""

    def __init__(self, parent, name, models_in_git):
        self.path = Path(parent) / name
        self.path.mkdir(parents=True)
        self.models_in_git = models_in_git
        self.n = 0
        self.git("init", "-q", "-b", "main")
        (self.path / "edgeperf.toml").write_text(suite_text())
        (self.path / "build.sh").write_text(BUILD_SH)
        ignore = ".edgeperf/\nbaselines/\n/*.json\n" + ("" if models_in_git else "models/\n")
        (self.path / ".gitignore").write_text(ignore)

    def git(self, *args):
        date = f"{1_767_323_045 + self.n * 60} +0000"
        env = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1",
                   GIT_AUTHOR_NAME="edgeperf-bench", GIT_AUTHOR_EMAIL="bench@edgeperf.invalid",
                   GIT_COMMITTER_NAME="edgeperf-bench", GIT_COMMITTER_EMAIL="bench@edgeperf.invalid",
                   GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
        out = subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=self.path, env=env,
                             check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def commit(self, blocks, message):
        """Commits `blocks` (and a note, so every commit differs); with the
        model in git, builds it into the work tree first. Its id."""
        self.n += 1
        (self.path / "blocks").write_text(f"{blocks}\n")
        (self.path / "note").write_text(f"commit {self.n}\n")
        if self.models_in_git:
            subprocess.run(["sh", "build.sh"], cwd=self.path, check=True)
        self.git("add", "-A")
        self.git("commit", "-qm", message)
        return self.git("rev-parse", "HEAD")

    def command(self, args):
        env = dict(os.environ, NO_COLOR="1", EDGEPERF_ARTIFACTS="off")
        env.pop("ORT_DYLIB_PATH", None)
        return [str(EXE), *args], env

    def edgeperf(self, *args, ok=(0,)):
        cmd, env = self.command(args)
        t = time.monotonic()
        p = subprocess.run(cmd, cwd=self.path, env=env, capture_output=True, text=True)
        took = time.monotonic() - t
        if p.returncode not in ok:
            sys.exit(f"measure-history: edgeperf {' '.join(args)} exited {p.returncode}:\n"
                     f"{p.stdout}{p.stderr}")
        return p, took

    def history(self):
        f = self.path / "baselines/cpu/mobilenet_v2.history.jsonl"
        return [json.loads(l) for l in f.read_text().splitlines() if l.strip()]


def log(msg):
    print(f"measure-history: {msg}", file=sys.stderr, flush=True)


def paired_of(e):
    p = e.get("paired")
    if not p:
        return None
    return {"base": p["base"], "change": p.get("change"), "ci": p.get("ci"),
            "verdict": p["verdict"], "rounds": p["rounds"]}


def g1(work):
    n = env_int("EDGEPERF_HISTORY_ACCEPTS", 10)
    r = Repo(work, "g1", models_in_git=True)
    accepts = []
    for k in range(n + 1):
        slower = k == n
        sha = r.commit(SLOWER_BLOCKS if slower else 0,
                       "a +6% slower model" if slower else f"unchanged code {k + 1}")
        t = time.monotonic()
        r.edgeperf("run", "--out", "run.json")
        r.edgeperf("baseline", "pair", "run.json", "--out", "paired.json")
        r.edgeperf("baseline", "accept", "run.json", "--paired", "paired.json")
        alert, _ = r.edgeperf("report", "alerts", "--dry-run", "--commit", sha, ok=(0, 1))
        accepts.append({"commit": sha, "slower_model": slower, "alert": alert.returncode == 1,
                        "seconds": round(time.monotonic() - t, 1)})
        log(f"g1 accept {k + 1}/{n + 1} {sha[:10]}: alert {alert.returncode == 1}")
    p, _ = r.edgeperf("history", "--format", "json")
    hist = json.loads(p.stdout)[0]
    chain = hist["chain"]
    for i, (a, e) in enumerate(zip(accepts, hist["entries"])):
        assert e["commit"] == a["commit"], "history out of commit order"
        lv = chain["levels"][i]
        a.update(p50=e["p50"], p10_rounds=e["p10_rounds"], paired=paired_of(e),
                 level=lv and lv["level"], level_lo=lv and lv["lo"], level_hi=lv and lv["hi"],
                 step=chain["steps"][i])
    same = accepts[:n]
    p50s = [a["p50"] for a in same]
    levels = [a["level"] for a in same if a["level"] is not None]
    last = accepts[n]
    summary = {
        "accepts_unchanged": n,
        "steps_unchanged": sum(1 for a in same if a["step"]),
        "alerts_unchanged": sum(1 for a in same if a["alert"]),
        "chain_max_drift": max(abs(l - 1) for l in levels) if len(levels) > 1 else None,
        "chained": len(levels),
        "p50_swing": (max(p50s) - min(p50s)) / min(p50s),
        "slower_step": last["step"],
        "slower_alert": last["alert"],
        "slower_paired": last["paired"],
        "change_points": hist["latency_change_points"],
    }
    return {"accepts": accepts, "summary": summary, "history": hist}


def g2(work):
    commits = env_int("EDGEPERF_HISTORY_COMMITS", 16)
    seeds = env_int("EDGEPERF_HISTORY_SEEDS", 10)
    runs = []
    for seed in range(1, seeds + 1):
        at = random.Random(seed).randrange(commits)
        r = Repo(work, f"g2-seed{seed}", models_in_git=False)
        good = r.commit(0, "good")
        ids = [r.commit(SLOWER_BLOCKS if i >= at else 0,
                        f"commit {i + 1}" + (" (the +6% model)" if i == at else ""))
               for i in range(commits)]
        p, took = r.edgeperf("bisect", good, "HEAD", "--path", "cpu/mobilenet_v2",
                             "--build", "sh build.sh", "--format", "json", "--out", "bisect.json",
                             ok=(0, 1))
        rep = json.loads((r.path / "bisect.json").read_text())
        out = rep["outcome"]
        named = out.get("commit") if out["kind"] == "culprit" else None
        runs.append({"seed": seed, "position": at + 1, "expected": ids[at],
                     "outcome": out["kind"], "culprit": named, "right": named == ids[at],
                     "replays": rep["replays"], "probes": len(rep["steps"]),
                     "seconds": round(rep["seconds"], 1), "wall_seconds": round(took, 1),
                     "exit": p.returncode, "report": rep})
        log(f"g2 seed {seed}: culprit at {at + 1}/{commits}: {out['kind']}, right {named == ids[at]}, "
            f"{rep['replays']} replays, {took:.0f} s")
    right = sum(1 for x in runs if x["right"])
    summary = {"commits": commits, "runs": len(runs), "culprit_named": right,
               "max_replays": max(x["replays"] for x in runs),
               "mean_replays": sum(x["replays"] for x in runs) / len(runs),
               "mean_seconds": sum(x["wall_seconds"] for x in runs) / len(runs),
               "max_seconds": max(x["wall_seconds"] for x in runs)}
    return {"runs": runs, "summary": summary}


def progress_done(repo):
    best = 0
    for f in (repo / ".edgeperf/backfill").glob("*.json"):
        try:
            best = max(best, len(json.loads(f.read_text())["done"]))
        except (OSError, ValueError, KeyError):
            pass
    return best


def g3(work):
    n = env_int("EDGEPERF_HISTORY_BACKFILL", 8)
    stop = n // 2
    r = Repo(work, "g3", models_in_git=False)
    base = r.commit(0, "A")
    ids = [r.commit(SLOWER_BLOCKS if i >= n - 2 else 0, f"commit {i + 1}") for i in range(n)]
    args = ["backfill", f"{base}..HEAD", "--build", "sh build.sh"]
    cmd, env = r.command(args)
    t = time.monotonic()
    child = subprocess.Popen(cmd, cwd=r.path, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    while progress_done(r.path) < stop:
        if child.poll() is not None:
            sys.exit(f"measure-history: backfill ended before {stop} commits:\n{child.stderr.read()}")
        time.sleep(0.1)
    child.send_signal(signal.SIGINT)
    _, err1 = child.communicate()
    first = {"exit": child.returncode, "lines": len(r.history()),
             "seconds": round(time.monotonic() - t, 1)}
    log(f"g3 interrupted after {stop}: exit {child.returncode}, {first['lines']} lines")
    p, took = r.edgeperf(*args)
    h = r.history()
    got = [e["commit"] for e in h]
    pairs = [(paired_of(e) or {}).get("base") for e in h]
    summary = {"commits": n, "interrupted_after": stop, "interrupt_exit": first["exit"],
               "lines_after_interrupt": first["lines"], "entries": len(h),
               "unique": len(set(got)), "in_commit_order": got == ids,
               "paired_with_previous": pairs[1:] == got[:-1],
               "resume_seconds": round(took, 1)}
    return {"summary": summary, "first_stderr": err1.splitlines()[-3:],
            "resume_stderr": p.stderr.splitlines()[-3:],
            "entries": [{"commit": e["commit"], "p50": e["p50"], "paired": paired_of(e)} for e in h]}


def pct(x, digits=1):
    return "-" if x is None else f"{x * 100:+.{digits}f}%"


def paired_text(p):
    if not p:
        return "not paired"
    ci = p["ci"] or [None, None]
    return f"{pct(p['change'])} [{pct(ci[0])}, {pct(ci[1])}] {p['verdict']} ({p['rounds']} rounds)"


def markdown(doc):
    out = [f"# History goals, {doc['date']} ({doc['condition']})", "",
           f"loadavg before: `{doc['loadavg_before']}`, after: `{doc['loadavg_after']}`; "
           f"suite: {doc['suite']}; {doc['seconds']:.0f} s in all.", ""]
    if "g1" in doc:
        s = doc["g1"]["summary"]
        out += ["## G1: accepts on main (run + baseline pair + accept --paired)", "",
                "| # | commit | p50 ms (absolute) | paired change vs previous [90% CI] | chain level [CI] | step | alert |",
                "|---|---|---|---|---|---|---|"]
        for i, a in enumerate(doc["g1"]["accepts"]):
            lvl = "-" if a["level"] is None else f"{a['level']:.4f} [{a['level_lo']:.4f}, {a['level_hi']:.4f}]"
            tag = " (+6% model)" if a["slower_model"] else ""
            out.append(f"| {i + 1} | {a['commit'][:10]}{tag} | {a['p50']:.3f} | {paired_text(a['paired'])} "
                       f"| {lvl} | {a['step'] or '-'} | {'yes' if a['alert'] else 'no'} |")
        out += ["", f"- unchanged accepts: {s['accepts_unchanged']}; paired steps flagged: {s['steps_unchanged']} "
                f"(goal 0); alerts: {s['alerts_unchanged']} (goal 0)",
                f"- paired chain: largest drift from its start {pct(s['chain_max_drift'], 2)} over "
                f"{s['chained']} chained accepts (goal within ±2%)",
                f"- absolute p50 swing over the same accepts: {pct(s['p50_swing'], 1)} ((max - min) / min)",
                f"- the +6% model: step {s['slower_step']}, alert {s['slower_alert']}, "
                f"paired {paired_text(s['slower_paired'])}; change points {s['change_points']}", ""]
    if "g2" in doc:
        s = doc["g2"]["summary"]
        out += [f"## G2: bisect over {s['commits']} commits (models built by --build)", "",
                "| seed | +6% at | outcome | right | replays | probes | seconds |", "|---|---|---|---|---|---|---|"]
        for x in doc["g2"]["runs"]:
            out.append(f"| {x['seed']} | {x['position']} | {x['outcome']} | {'yes' if x['right'] else 'no'} "
                       f"| {x['replays']} | {x['probes']} | {x['wall_seconds']:.0f} |")
        out += ["", f"- culprit named in {s['culprit_named']} of {s['runs']} (goal >= 9 of 10); replays: at most "
                f"{s['max_replays']}, mean {s['mean_replays']:.1f} (goal <= 5); seconds per run: mean "
                f"{s['mean_seconds']:.0f}, at most {s['max_seconds']:.0f}", ""]
    if "g3" in doc:
        s = doc["g3"]["summary"]
        out += [f"## G3: backfill of {s['commits']} commits, SIGINT after {s['interrupted_after']}", "",
                f"- interrupted: exit {s['interrupt_exit']}, {s['lines_after_interrupt']} history lines kept",
                f"- resumed ({s['resume_seconds']:.0f} s): {s['entries']} entries, {s['unique']} distinct commits, "
                f"in commit order: {s['in_commit_order']}, each paired with the one before: "
                f"{s['paired_with_previous']} (goal: {s['commits']} entries, none duplicated)", "",
                "| # | commit | p50 ms (absolute) | paired change vs previous |", "|---|---|---|---|"]
        for i, e in enumerate(doc["g3"]["entries"]):
            out.append(f"| {i + 1} | {e['commit'][:10]} | {e['p50']:.3f} | {paired_text(e['paired'])} |")
        out.append("")
    return "\n".join(out)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: measure_history.py CONDITION DATE OUT.json")
    condition, date, out = sys.argv[1:]
    only = os.environ.get("EDGEPERF_HISTORY_ONLY", "")
    doc = {"schema_version": 1, "condition": condition, "date": date,
           "suite": "short (EDGEPERF_HISTORY_SUITE=short)"
           if os.environ.get("EDGEPERF_HISTORY_SUITE") == "short" else "defaults (shipped sampling, [compare] defaults)",
           "loadavg_before": Path("/proc/loadavg").read_text().strip()}
    t = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="edgeperf-history-") as work:
        for name, goal in (("g1", g1), ("g2", g2), ("g3", g3)):
            if not only or only == name:
                doc[name] = goal(work)
    doc["seconds"] = time.monotonic() - t
    doc["loadavg_after"] = Path("/proc/loadavg").read_text().strip()
    Path(out).write_text(json.dumps(doc, indent=1) + "\n")
    print(markdown(doc))


if __name__ == "__main__":
    main()
