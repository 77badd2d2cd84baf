//! The sampler on fake `/proc` trees: what it reads, and what it says when a
//! source is missing or malformed.

use super::*;

/// A fake `/proc` with the given files (relative path, text).
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let files: Vec<(String, String)> = files
        .iter()
        .map(|(r, t)| (r.to_string(), t.to_string()))
        .collect();
    write_moment(d.path(), &files);
    d
}

fn stat(total_busy: u64, idle: u64, steal: u64) -> String {
    format!("cpu  {total_busy} 0 0 {idle} 0 0 0 {steal} 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\ncpu1 0 0 0 0 0 0 0 0 0 0\n")
}

/// A machine at one moment: counters as given, two threads of `self`.
fn moment(steal: u64, run_delay: [u64; 2], psi_us: u64, load: &str) -> Vec<(String, String)> {
    vec![
        ("stat".into(), stat(1000, 900, steal)),
        ("self/task/1/schedstat".into(), format!("5000 {} 10\n", run_delay[0])),
        ("self/task/2/schedstat".into(), format!("5000 {} 10\n", run_delay[1])),
        (
            "pressure/cpu".into(),
            format!("some avg10=1.00 avg60=0.50 avg300=0.10 total={psi_us}\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"),
        ),
        ("loadavg".into(), format!("{load} 1.00 0.50 2/100 4242\n")),
    ]
}

fn write_moment(root: &Path, files: &[(String, String)]) {
    for (rel, text) in files {
        let p = root.join(rel);
        crate::fs::create_dir_all(crate::fs::parent_dir(&p)).unwrap();
        crate::fs::write(&p, text.as_bytes()).unwrap();
    }
}

#[test]
fn a_busy_round_reads_as_waits_steal_and_pressure() {
    let d = tree(&[]);
    let s = Sampler::with_root(d.path());
    write_moment(d.path(), &moment(100, [1_000_000, 0], 2_000_000, "0.50"));
    let a = s.read_at(10.0);
    // Two seconds later: 100 more ticks of which 10 stolen; the two threads
    // waited 0.4 s and 0.2 s; some task waited 1 s of the 2.
    let mut later = moment(110, [401_000_000, 200_000_000], 3_000_000, "3.25");
    later[0].1 = stat(1080, 910, 110);
    write_moment(d.path(), &later);
    let b = s.read_at(12.0);
    let m = s.between(&a, &b);
    assert_eq!(m.seconds, 2.0);
    assert_eq!(m.load1, Reading::Value(3.25));
    assert_eq!(m.cpus, Reading::Value(2));
    assert_eq!(m.steal, Reading::Value(0.1));
    let w = m.run_wait.value().unwrap();
    assert!((w - 0.3).abs() < 1e-12, "{w}");
    assert_eq!(m.cpu_pressure, Reading::Value(0.5));
}

#[test]
fn absent_sources_are_named_never_invented() {
    // No PSI (an older kernel or CONFIG_PSI off), no schedstat (another process's
    // task folder gone), a malformed loadavg.
    let d = tree(&[("stat", &stat(10, 10, 0)), ("loadavg", "garbage\n")]);
    let s = Sampler::with_root(d.path());
    let m = s.between(&s.read_at(0.0), &s.read_at(1.0));
    let why = |r: &Reading<f64>| match r {
        Reading::Absent(w) => w.clone(),
        Reading::Value(v) => panic!("invented {v}"),
    };
    assert!(
        why(&m.cpu_pressure).contains("pressure/cpu: not found"),
        "{m:?}"
    );
    assert!(why(&m.run_wait).contains("self/task: not found"), "{m:?}");
    assert!(
        why(&m.load1).contains("loadavg: not a load average"),
        "{m:?}"
    );
    // stat did not move between the two readings: no steal share to give.
    assert!(why(&m.steal).contains("no CPU time passed"), "{m:?}");
    assert_eq!(m.cpus, Reading::Value(2));
    // Another pid: its own task folder.
    let d = tree(&[("4242/task/4242/schedstat", "1 7000000 1\n")]);
    let s = Sampler::with_root(d.path()).for_pid(4242);
    let (a, b) = (s.read_at(0.0), s.read_at(0.5));
    assert_eq!(s.between(&a, &b).run_wait, Reading::Value(0.0));
}

#[test]
fn a_thread_that_ended_does_not_make_the_wait_negative() {
    let d = tree(&[]);
    let s = Sampler::with_root(d.path());
    write_moment(d.path(), &moment(0, [5_000_000, 9_000_000], 0, "1"));
    let a = s.read_at(0.0);
    crate::fs::remove_all(&d.path().join("self/task/2")).unwrap();
    let b = s.read_at(1.0);
    assert_eq!(s.between(&a, &b).run_wait, Reading::Value(0.0));
}

#[test]
fn lockstep_workers_add_their_waits() {
    let one = MachineState {
        seconds: 2.0,
        run_wait: Reading::Value(0.1),
        load1: Reading::Value(1.0),
        ..MachineState::default()
    };
    let two = MachineState {
        seconds: 2.1,
        run_wait: Reading::Value(0.2),
        load1: Reading::Value(2.0),
        ..MachineState::default()
    };
    let c = combine(&[one.clone(), two]).unwrap();
    assert!((c.run_wait.value().unwrap() - 0.3).abs() < 1e-12);
    assert_eq!((c.seconds, c.load1.value()), (2.1, Some(2.0)));
    let absent = MachineState::default();
    assert_eq!(combine(&[one, absent]).unwrap().run_wait.value(), None);
    assert!(combine(&[]).is_none());
}

#[test]
fn the_real_proc_of_this_machine_reads_where_linux_has_it() {
    // Not an assertion about this machine's load: only that the sources Linux
    // always has (stat, loadavg, this process's schedstat) read as values.
    let s = Sampler::this_process();
    let a = s.read();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let m = s.between(&a, &s.read());
    assert!(m.seconds > 0.0);
    if crate::fs::exists(Path::new("/proc/self/task")) {
        assert!(m.run_wait.value().is_some(), "{m:?}");
        assert!(m.load1.value().is_some(), "{m:?}");
    }
}
