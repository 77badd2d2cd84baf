//! Issue 11: concurrent use loses nothing. Six `edgeperf baseline accept`
//! processes started at the same moment into one baselines directory leave six
//! history lines (the accept holds `<baselines>/.edgeperf.lock`), and atomic
//! writes go through uniquely named temporary files created exclusively, so a
//! symbolic link planted at a predictable name is never followed and two
//! writers never share a temporary file.

mod common;
#[path = "common/fixtures.rs"]
mod fixtures;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use edgeperf::suite::Provider;

/// Six runs of the same path `cpu/mobilenet_v2`, each at its own commit, with
/// enough samples (3 rounds x 4000) that reading and writing them takes a while.
fn six_runs(dir: &Path) -> Vec<(PathBuf, String)> {
    (0..6)
        .map(|i| {
            let commit = fixtures::fake_commit(i);
            let rounds = fixtures::synth_rounds(9.0 + i as f64 / 10.0, 3, 4000);
            let p = fixtures::path_record("cpu", "mobilenet_v2", Provider::Cpu, &rounds, None);
            let run = fixtures::run_record(vec![p], &commit, true);
            let f = dir.join(format!("run-{i}.json"));
            fixtures::write_json(&f, &run);
            (f, commit)
        })
        .collect()
}

/// Starts one `edgeperf baseline accept` per run, each held in a shell reading a
/// line from a FIFO until all are started, then releases them at once by writing
/// one newline each; returns each one's exit code and stderr.
fn accept_all_at_once(
    dir: &Path,
    runs: &[(PathBuf, String)],
    baselines: &Path,
) -> Vec<(i32, String)> {
    let gate = dir.join("gate");
    let c = std::ffi::CString::new(gate.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo(3) on a path this test owns.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    // Held open for reading and writing (which does not block on Linux), so the
    // shells' opens never block and a late one still finds its newline.
    let mut held = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&gate)
        .unwrap();
    let children: Vec<_> = runs
        .iter()
        .map(|(run, _)| {
            Command::new("sh")
                .arg("-c")
                .arg("read _ < \"$0\"; exec \"$1\" baseline accept \"$2\" --baselines \"$3\"")
                .arg(&gate)
                .arg(env!("CARGO_BIN_EXE_edgeperf"))
                .arg(run)
                .arg(baselines)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    // Let every shell reach its `read`, then release them together.
    std::thread::sleep(std::time::Duration::from_millis(500));
    std::io::Write::write_all(&mut held, &[b'\n'; 6]).unwrap();
    let ends = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            (
                out.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        })
        .collect();
    drop(held);
    ends
}

#[test]
fn six_concurrent_accepts_of_one_path_leave_six_history_lines() {
    // A race lost once in a while would pass a single try; five tries in a row
    // fail reliably without the lock.
    for attempt in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let runs = six_runs(dir.path());
        let baselines = dir.path().join("baselines");
        for (code, stderr) in accept_all_at_once(dir.path(), &runs, &baselines) {
            assert_eq!(code, 0, "attempt {attempt}: accept failed: {stderr}");
        }
        let history = baselines.join("cpu/mobilenet_v2.history.jsonl");
        let text = std::fs::read_to_string(&history).unwrap();
        let mut commits: Vec<String> = text
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("attempt {attempt}: bad line {l:?}: {e}"));
                v["commit"].as_str().unwrap().to_string()
            })
            .collect();
        commits.sort();
        let mut want: Vec<String> = runs.iter().map(|(_, c)| c.clone()).collect();
        want.sort();
        assert_eq!(
            commits, want,
            "attempt {attempt}: history lost accepted runs:\n{text}"
        );
        // The baseline is one of the six, whole; no temporary file is left.
        let b: serde_json::Value = serde_json::from_slice(
            &std::fs::read(baselines.join("cpu/mobilenet_v2.json")).unwrap(),
        )
        .unwrap();
        assert!(want.contains(&b["git"]["commit"].as_str().unwrap().to_string()));
        let mut left: Vec<String> = std::fs::read_dir(baselines.join("cpu"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            vec!["mobilenet_v2.history.jsonl", "mobilenet_v2.json"],
            "attempt {attempt}"
        );
    }
}

#[test]
fn a_symlink_planted_at_a_predictable_temp_name_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let victim = common::write(dir.path(), "victim.txt", "precious\n");
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let target = out.join("run.json");
    // The name the rename-based write used: `.<name>.tmp-<pid>`, this process's pid.
    let planted = out.join(format!(".run.json.tmp-{}", std::process::id()));
    std::os::unix::fs::symlink(&victim, &planted).unwrap();
    edgeperf::fs::write_atomic(&target, b"{\"new\": true}\n").expect("atomic write");
    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "precious\n",
        "the write followed the planted link into its target"
    );
    let meta = std::fs::symlink_metadata(&target).unwrap();
    assert!(meta.file_type().is_file(), "run.json is not a plain file");
    assert_eq!(std::fs::read(&target).unwrap(), b"{\"new\": true}\n");
    assert!(
        std::fs::symlink_metadata(&planted)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the planted link was moved or replaced"
    );
}

#[test]
fn concurrent_atomic_writes_of_one_file_never_mix_or_fail() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("record.json");
    // Eight writers in one process (one pid: one predictable temp name before),
    // each writing its own 256 KiB payload fifty times.
    let payload = |t: u8| vec![b'a' + t; 256 * 1024];
    std::thread::scope(|s| {
        for t in 0..8u8 {
            let target = &target;
            s.spawn(move || {
                for _ in 0..50 {
                    edgeperf::fs::write_atomic(target, &payload(t))
                        .unwrap_or_else(|e| panic!("writer {t}: {e:?}"));
                }
            });
        }
    });
    let end = std::fs::read(&target).unwrap();
    assert!(
        (0..8).any(|t| end == payload(t)),
        "the file mixes writers' bytes (len {})",
        end.len()
    );
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "temporary files left");
}
