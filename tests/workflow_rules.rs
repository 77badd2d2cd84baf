//! The trust rules of the workflows (docs/RUNNERS.md 1.4), checked by
//! `scripts/check-workflows.py` (PyYAML): edgeperf's two workflows pass, and each
//! planted change that would hand a write token or an OIDC token something a
//! device job or a pull request could have written fails it, naming the job and
//! the step. The planted workflows are the real ones with one edit each, so the
//! test also fails if the real ones drift out of shape.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workflow(name: &str) -> String {
    let p = common::root().join(".github/workflows").join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn check(files: &[PathBuf]) -> Output {
    let out = Command::new("python3")
        .arg(common::root().join("scripts/check-workflows.py"))
        .args(files)
        .output()
        .expect("python3 is needed to check the workflows");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("PyYAML is needed"),
        "install PyYAML for python3 (apt install python3-yaml): {stderr}"
    );
    out
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn the_workflows_keep_every_rule() {
    let dir = common::root().join(".github/workflows");
    let files: Vec<PathBuf> = ["edgeperf-pr.yml", "edgeperf-main.yml"]
        .iter()
        .map(|f| dir.join(f))
        .collect();
    let out = check(&files);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// One planted change: in `file`, `from` (which must occur exactly once) becomes
/// `to`, and the checker must report a line holding every part of `expect`.
struct Plant {
    what: &'static str,
    file: &'static str,
    from: &'static str,
    to: &'static str,
    expect: &'static [&'static str],
}

const PLANTS: &[Plant] = &[
    Plant {
        what: "the contents: write job runs its tool without checking it",
        file: "edgeperf-main.yml",
        from: "      - name: Verify the tool (the sha256 its build job gave)
        env:
          WANT: ${{ needs.build-x64.outputs.tool-sha256 }}
        run: |
          echo \"$WANT  $RUNNER_TEMP/edgeperf-tool/edgeperf\" | sha256sum --check --strict
          chmod +x \"$RUNNER_TEMP/edgeperf-tool/edgeperf\"

      - name: Download the devices' run records (one folder per device's artifact)
        uses: actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093 # v4.3.0
        with:
          pattern: edgeperf-run-*
          path: runs

      - name: Verify the run records",
        to: "      - name: Make the tool executable
        run: chmod +x \"$RUNNER_TEMP/edgeperf-tool/edgeperf\"

      - name: Download the devices' run records (one folder per device's artifact)
        uses: actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093 # v4.3.0
        with:
          pattern: edgeperf-run-*
          path: runs

      - name: Verify the run records",
        expect: &[
            "jobs.baselines.steps[",
            "$RUNNER_TEMP/edgeperf-tool",
            "before it is verified",
        ],
    },
    Plant {
        what: "the contents: write job takes run records no job checked",
        file: "edgeperf-main.yml",
        from: "        env:
          WANT: ${{ needs.collect.outputs.runs }}",
        to: "        env:
          WANT: '{}'",
        expect: &["jobs.baselines.steps[", "to runs", "verif"],
    },
    Plant {
        what: "the contents: write job restores a cache",
        file: "edgeperf-main.yml",
        from: "      - name: Check out (the scripts of this commit)\n",
        to: "      - name: Restore a cache
        uses: actions/cache/restore@5a3ec84eff668545956fd18022155c47e93e2684 # v4.2.3
        with:
          path: target
          key: edgeperf-build-Linux-X64
      - name: Check out (the scripts of this commit)\n",
        expect: &["jobs.baselines.steps[0]", "uses a cache"],
    },
    Plant {
        what: "the contents: write job runs on a device",
        file: "edgeperf-main.yml",
        from: "    runs-on: ubuntu-latest
    timeout-minutes: 15",
        to: "    runs-on: [self-hosted, edgeperf, cpu]
    timeout-minutes: 15",
        expect: &["jobs.baselines:", "not a GitHub-hosted runner"],
    },
    Plant {
        what: "the id-token: write job restores a cache",
        file: "edgeperf-main.yml",
        from: "      - name: Configure Pages\n",
        to: "      - name: Restore a cache
        uses: actions/cache/restore@5a3ec84eff668545956fd18022155c47e93e2684 # v4.2.3
        with:
          path: target
          key: edgeperf-build-Linux-X64
      - name: Configure Pages\n",
        expect: &["jobs.pages.steps[", "uses a cache"],
    },
    Plant {
        what: "the id-token: write job downloads a binary no step verifies",
        file: "edgeperf-main.yml",
        from: "      - name: Configure Pages
        uses: actions/configure-pages@983d7736d9b0ae728b81ab479565c72886d7745b # v5.0.0
",
        to: "      - name: Download a device's binary
        uses: actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093 # v4.3.0
        with:
          name: edgeperf-bin-X64
          path: ${{ runner.temp }}/edgeperf-bin

      - name: Configure Pages
        uses: actions/configure-pages@983d7736d9b0ae728b81ab479565c72886d7745b # v5.0.0
",
        expect: &[
            "jobs.pages.steps[",
            "$RUNNER_TEMP/edgeperf-bin",
            "no later step verifies",
        ],
    },
    Plant {
        what: "the PR report job restores a cache a PR could have written",
        file: "edgeperf-pr.yml",
        from:
            "      - name: Build edgeperf from the base commit (no cache a PR could have written)\n",
        to: "      - name: Restore a cache
        uses: actions/cache/restore@5a3ec84eff668545956fd18022155c47e93e2684 # v4.2.3
        with:
          path: target
          key: edgeperf-build-Linux-X64
      - name: Build edgeperf from the base commit (no cache a PR could have written)\n",
        expect: &["jobs.report.steps[", "uses a cache"],
    },
    Plant {
        what: "the PR report merges every device's artifact into one folder",
        file: "edgeperf-pr.yml",
        from: "          pattern: edgeperf-result-*
          path: results
",
        to: "          pattern: edgeperf-result-*
          path: results
          merge-multiple: true
",
        expect: &["jobs.report.steps[", "merge-multiple"],
    },
    Plant {
        what: "a device job without the admission hook check",
        file: "edgeperf-pr.yml",
        from: "read -r version run <<<\"${EDGEPERF_RUNNER_HOOK:-}\" || true",
        to: "read -r version run <<<\"${NOTHING:-}\" || true",
        expect: &["jobs.bench:", "does not check EDGEPERF_RUNNER_HOOK"],
    },
    Plant {
        what: "pull_request_target",
        file: "edgeperf-pr.yml",
        from: "  pull_request:\n    types:",
        to: "  pull_request_target:\n    types:",
        expect: &["on: pull_request_target"],
    },
    Plant {
        what: "a checkout that keeps the token in .git/config",
        file: "edgeperf-main.yml",
        from: "      - name: Check out (the scripts of this commit)
        uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false",
        to: "      - name: Check out (the scripts of this commit)
        uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: true",
        expect: &["jobs.baselines.steps[0]", "persist-credentials: false"],
    },
    Plant {
        what: "a PR title expanded into a shell script",
        file: "edgeperf-pr.yml",
        from: "echo \"edgeperf: PR #$pr at $sha against $base_ref ($base_sha)\"",
        to: "echo \"${{ github.event.pull_request.title }}\"",
        expect: &["jobs.gate.steps[0]", "github.event."],
    },
    Plant {
        what: "the issues: write alerts job downloads the tool a device job could overwrite",
        file: "edgeperf-main.yml",
        from: "      - name: Build edgeperf from the branch (no cache, no artifact)\n",
        to: "      - name: Download the x86_64 tool
        uses: actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093 # v4.3.0
        with:
          name: edgeperf-tool-X64
          path: tool
      - name: Build edgeperf from the branch (no cache, no artifact)\n",
        expect: &["jobs.alerts.steps[", "downloads a binary"],
    },
    Plant {
        what: "the bisect device job gets a write token",
        file: "edgeperf-main.yml",
        from: "      cancel-in-progress: false
    permissions:
      contents: read
    env:
      GOOD:",
        to: "      cancel-in-progress: false
    permissions:
      contents: write
    env:
      GOOD:",
        expect: &["jobs.bisect:", "not a GitHub-hosted runner"],
    },
    Plant {
        what: "the bisect device job without the admission hook check",
        file: "edgeperf-main.yml",
        from: "      - name: Check the runner's admission hook (docs/RUNNERS.md 2.3; version 3 admits a bisect)
        env:
          MIN_VERSION: \"3\"
          THIS_RUN: ${{ github.run_id }}.${{ github.run_attempt }}
        run: |
          read -r version run <<<\"${EDGEPERF_RUNNER_HOOK:-}\" || true",
        to: "      - name: Check the runner's admission hook (docs/RUNNERS.md 2.3; version 3 admits a bisect)
        env:
          MIN_VERSION: \"3\"
          THIS_RUN: ${{ github.run_id }}.${{ github.run_attempt }}
        run: |
          read -r version run <<<\"${NOTHING:-}\" || true",
        expect: &["jobs.bisect:", "does not check EDGEPERF_RUNNER_HOOK"],
    },
    Plant {
        what: "a bisect input expanded into a shell script",
        file: "edgeperf-main.yml",
        from: "          [ -z \"$BUILD\" ] || build=(--build \"$BUILD\")",
        to: "          [ -z \"${{ inputs.bisect_build }}\" ] || build=(--build \"$BUILD\")",
        expect: &["jobs.bisect.steps[", "inputs."],
    },
    Plant {
        what: "a write token for every job",
        file: "edgeperf-main.yml",
        from: "permissions: {}\n",
        to: "permissions:\n  contents: write\n",
        expect: &["permissions: the top-level token grants `write`"],
    },
];

fn plant(dir: &Path, p: &Plant) -> PathBuf {
    let original = workflow(p.file);
    assert_eq!(
        original.matches(p.from).count(),
        1,
        "{}: the text to change is not exactly once in {}",
        p.what,
        p.file
    );
    let f = dir.join(p.file);
    std::fs::write(&f, original.replacen(p.from, p.to, 1)).unwrap();
    f
}

#[test]
fn each_planted_breach_of_a_rule_fails_the_check() {
    let d = tempfile::tempdir().unwrap();
    for p in PLANTS {
        let f = plant(d.path(), p);
        let out = check(&[f]);
        assert_eq!(out.status.code(), Some(1), "{}: {}", p.what, text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout
                .lines()
                .any(|l| p.expect.iter().all(|e| l.contains(e))),
            "{}: no finding with {:?}:\n{}",
            p.what,
            p.expect,
            text(&out)
        );
    }
}

#[test]
fn an_action_pinned_by_tag_and_a_job_without_permissions_fail_the_check() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("tag.yml");
    std::fs::write(
        &f,
        workflow("edgeperf-pr.yml").replacen(
            "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2",
            "actions/checkout@v4",
            1,
        ),
    )
    .unwrap();
    let out = check(&[f]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("actions/checkout@v4 is not pinned by a full commit SHA"),
        "{}",
        text(&out)
    );
    let f = d.path().join("noperms.yml");
    std::fs::write(
        &f,
        workflow("edgeperf-main.yml")
            .replacen("permissions: {}\n", "", 1)
            .replacen("    permissions:\n      actions: write\n", "", 1),
    )
    .unwrap();
    let out = check(&[f]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("permissions: not set at the top")
            && stdout.contains("jobs.sweep: its token is not limited"),
        "{}",
        text(&out)
    );
}
