#!/usr/bin/env python3
"""Trust rules of edgeperf's GitHub Actions workflows (docs/RUNNERS.md 1.4).

    python3 scripts/check-workflows.py [workflow.yml ...]   (default .github/workflows/*.yml)

Reads each workflow with PyYAML and checks, job by job:

* pins: every `uses:` is a local action or pinned by a full 40-hex commit SHA;
* triggers: no `pull_request_target` or `workflow_run` (they run with the base
  repository's write token on events others start);
* permissions: the workflow sets `permissions:` and grants no write at the top;
  every job's token is known (its own `permissions:` or the workflow's), never
  `write-all`;
* checkouts keep no credentials (`persist-credentials: false`);
* `run:` blocks expand no attacker-controlled context (`github.event.*`,
  `github.head_ref`, `inputs.*`): those go through `env:`;
* a job with any `write` permission runs on a GitHub-hosted runner, restores or
  saves no cache, and:
  - with contents/id-token/pages/actions/packages/deployments (or any other
    write but the comment and status ones) `write`: every artifact it downloads
    is checked by `sha256sum --check` against a hash from `needs.<job>.outputs`
    before any other step touches it;
  - with only pull-requests/statuses/issues/checks `write`: it downloads no
    binary, and one folder per artifact (no `merge-multiple`);
* a job on a self-hosted runner has no write permission, and its first step
  reads the admission hook's marker (`${EDGEPERF_RUNNER_HOOK...}`).

Prints one line per finding (`file: jobs.<id>[.steps[<n>]]: what`) and exits 1
if there is any, 0 when every rule holds, 2 on unreadable input.
"""

import glob
import re
import sys

try:
    import yaml
except ImportError:  # pragma: no cover
    print("check-workflows: PyYAML is needed (pip install pyyaml, or apt install python3-yaml)", file=sys.stderr)
    sys.exit(2)

SHA_PIN = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")
HOSTED = re.compile(r"^(ubuntu|windows|macos)-[A-Za-z0-9.\-]+$")
UNSAFE_EXPR = re.compile(r"\$\{\{[^}]*\b(github\.event\.|github\.head_ref|inputs\.)")
COMMENT_WRITES = {"pull-requests", "statuses", "issues", "checks"}
HOOK_MARKER = "EDGEPERF_RUNNER_HOOK"
HOOK_READ = "${" + HOOK_MARKER


def action_name(uses):
    return uses.split("@", 1)[0].lower()


def is_cache_step(step):
    uses = step.get("uses") or ""
    name = action_name(uses)
    if name.startswith("actions/cache") or "cache" in name.split("/", 1)[-1]:
        return True
    with_ = step.get("with") or {}
    return name.startswith("actions/setup-") and bool(with_.get("cache"))


def writes(perms):
    """Scopes granted `write`; None when the token is unknown or write-all."""
    if perms is None or perms == "write-all":
        return None
    if perms == "read-all" or perms == {}:
        return set()
    if not isinstance(perms, dict):
        return None
    return {k for k, v in perms.items() if v == "write"}


def labels(runs_on):
    if isinstance(runs_on, str):
        return [runs_on]
    if isinstance(runs_on, list):
        return [str(x) for x in runs_on]
    if isinstance(runs_on, dict):
        return [str(x) for x in (runs_on.get("labels") or [])] + ["group:" + str(runs_on.get("group"))]
    return [str(runs_on)]


def norm(text):
    """Step text with `${{ runner.temp }}` spelled as the shell sees it."""
    return re.sub(r"\$\{\{\s*runner\.temp\s*\}\}", "$RUNNER_TEMP", text)


def step_text(step):
    parts = [str(step.get("run") or "")]
    for v in (step.get("with") or {}).values():
        parts.append(str(v))
    return norm("\n".join(parts))


def verifies(step, path):
    run = norm(str(step.get("run") or ""))
    env = " ".join(str(v) for v in (step.get("env") or {}).values())
    return (
        "sha256sum" in run
        and re.search(r"(--check|\s-c\b)", run) is not None
        and path in run
        and re.search(r"needs\.[\w-]+\.outputs\.", env) is not None
    )


def check_downloads(where, steps, out):
    for i, step in enumerate(steps):
        if not action_name(step.get("uses") or "").startswith("actions/download-artifact"):
            continue
        path = norm(str((step.get("with") or {}).get("path") or "")).rstrip("/")
        if not path:
            out.append(f"{where}.steps[{i}]: downloads an artifact without a `path:` (it cannot be verified)")
            continue
        for j in range(i + 1, len(steps)):
            if verifies(steps[j], path):
                break
            if path in step_text(steps[j]):
                out.append(
                    f"{where}.steps[{j}]: uses the artifact downloaded to {path} (steps[{i}]) before it is "
                    "verified by sha256sum --check against needs.<job>.outputs"
                )
                break
        else:
            out.append(
                f"{where}.steps[{i}]: downloads an artifact to {path} that no later step verifies "
                "(sha256sum --check against needs.<job>.outputs)"
            )


def check_job(where, job, top_perms, out):
    steps = job.get("steps") or []
    perms = job.get("permissions", top_perms)
    w = writes(perms)
    if w is None:
        out.append(f"{where}: its token is not limited (set `permissions:` on the job or the workflow; never write-all)")
        w = {"unknown"}
    runner = labels(job.get("runs-on"))
    self_hosted = not all(HOSTED.match(label) for label in runner)
    for i, step in enumerate(steps):
        uses = step.get("uses")
        at = f"{where}.steps[{i}]"
        if uses and not uses.startswith("./") and not uses.startswith("docker://") and not SHA_PIN.match(uses):
            out.append(f"{at}: {uses} is not pinned by a full commit SHA")
        if uses and action_name(uses) == "actions/checkout":
            if (step.get("with") or {}).get("persist-credentials") is not False:
                out.append(f"{at}: actions/checkout without `persist-credentials: false`")
        run = str(step.get("run") or "")
        m = UNSAFE_EXPR.search(run)
        if m:
            out.append(f"{at}: `run:` expands {m.group(1)}... directly (pass it through env:)")
    if self_hosted and any("self-hosted" in label for label in runner):
        first = str(steps[0].get("run") or "") if steps else ""
        if HOOK_READ not in first:
            out.append(f"{where}: runs on a self-hosted runner but its first step does not check {HOOK_MARKER}")
    if not w:
        return
    if self_hosted:
        out.append(f"{where}: has `write` permission ({', '.join(sorted(w))}) and runs on {runner}, not a GitHub-hosted runner")
    for i, step in enumerate(steps):
        if is_cache_step(step):
            out.append(f"{where}.steps[{i}]: a job with `write` permission uses a cache ({step.get('uses')})")
    if w - COMMENT_WRITES:
        check_downloads(where, steps, out)
    else:
        for i, step in enumerate(steps):
            if not action_name(step.get("uses") or "").startswith("actions/download-artifact"):
                continue
            with_ = step.get("with") or {}
            if with_.get("merge-multiple") in (True, "true"):
                out.append(f"{where}.steps[{i}]: merge-multiple puts every device's artifact in one folder")
            what = f"{with_.get('name') or ''} {with_.get('pattern') or ''}".lower()
            if "bin" in what or "tool" in what:
                out.append(f"{where}.steps[{i}]: a job with `write` permission downloads a binary ({what.strip()})")


def check_file(path):
    out = []
    try:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        print(f"{path}: cannot read: {e}", file=sys.stderr)
        sys.exit(2)
    if not isinstance(doc, dict) or "jobs" not in doc:
        print(f"{path}: not a workflow (no jobs)", file=sys.stderr)
        sys.exit(2)
    on = doc.get("on", doc.get(True))
    events = on if isinstance(on, list) else list(on) if isinstance(on, dict) else [on]
    for bad in ("pull_request_target", "workflow_run"):
        if bad in events:
            out.append(f"on: {bad} runs with a write token on events others start")
    if "permissions" not in doc:
        out.append("permissions: not set at the top (jobs would get the repository's default token)")
    elif writes(doc["permissions"]) != set():
        out.append("permissions: the top-level token grants `write`; grant it per job")
    for job_id, job in (doc.get("jobs") or {}).items():
        check_job(f"jobs.{job_id}", job or {}, doc.get("permissions"), out)
    return [f"{path}: {line}" for line in out]


def main(argv):
    files = argv or sorted(glob.glob(".github/workflows/*.yml") + glob.glob(".github/workflows/*.yaml"))
    if not files:
        print("check-workflows: no workflow files", file=sys.stderr)
        return 2
    findings = [line for f in files for line in check_file(f)]
    for line in findings:
        print(line)
    if not findings:
        print(f"ok   {len(files)} workflow(s): pins, triggers, permissions, write jobs, device jobs")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
