//! Finding the commit that changed a path: a binary search over the
//! first-parent commits after GOOD up to BAD, each probe a whole-path replay of
//! GOOD against that commit, interleaved on one machine (`edgeperf bisect`).
//! Pure: the replays come from the caller ([`Prober`]), so the search runs the
//! same on a fake (the tests) as on a device.
//!
//! **Decisions.** BAD is replayed first: its paired change must be a step
//! (the confirmation's rule decides a change of at least the threshold); its
//! direction (slower or faster) is what the search looks for, and if BAD is
//! not changed there is nothing to find. A probe is **bad** when its change is
//! a step in that direction, **good** when the rule calls it unchanged or a
//! change that is not such a step (smaller than the threshold, or the other
//! way), and otherwise (inconclusive) measured once more; inconclusive twice,
//! it is **skipped** like a commit whose path cannot be built or had (as `git
//! bisect skip`): the search never takes a side on a coin flip. Skipped commits
//! can leave the culprit as one of a few commits; the report names them.
//!
//! **Cost.** The culprit is one of the n candidates (BAD itself included), and
//! each decided probe halves the commits left, so a search without skips or
//! re-measurements takes 1 + ceil(log2 n) replays: 5 for 16 commits.
//!
//! The search assumes the change, once made, stays (as `git bisect` does).

use serde::Serialize;

use super::chain::{step_of, Direction};
use crate::error::Result;
use crate::record::paired::{PairedChange, PairedStep, PairedVerdict};

/// A commit that may be the culprit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub commit: String,
    /// The first line of its message.
    pub subject: String,
}

/// What the caller got for one probe of a commit.
#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
    /// A replay of GOOD against the commit.
    Measured(PairedChange),
    /// The commit's path cannot be built or had here: why.
    Skip(String),
}

/// A probe and the wall seconds it took (building included).
#[derive(Debug, Clone, PartialEq)]
pub struct Probed {
    pub probe: Probe,
    pub seconds: f64,
}

/// The caller's side of a search: replays GOOD against a commit. `attempt` is
/// 1, or 2 when the first replay was inconclusive.
pub trait Prober {
    fn probe(&mut self, c: &Candidate, attempt: u32) -> Result<Probed>;
    /// Told after every decision (progress), with the step just taken.
    fn decided(&mut self, _step: &Step) {}
}

/// What a probe decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "decision", content = "reason")]
pub enum Decision {
    /// Changed like BAD: the culprit is this commit or an earlier one.
    Bad,
    /// Not changed like BAD: the culprit comes after it.
    Good,
    /// Inconclusive: measured again.
    Remeasure,
    /// Not judged (cannot be built or had, or inconclusive twice).
    Skip(String),
}

impl Decision {
    pub fn label(&self) -> &'static str {
        match self {
            Decision::Bad => "bad",
            Decision::Good => "good",
            Decision::Remeasure => "inconclusive: again",
            Decision::Skip(_) => "skip",
        }
    }
}

/// One probe of the search, in the order they were made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub commit: String,
    pub subject: String,
    /// Position among the candidates (0 = the first commit after GOOD).
    pub position: usize,
    pub attempt: u32,
    /// The replay's outcome, when there was a replay.
    pub paired: Option<PairedChange>,
    #[serde(flatten)]
    pub decision: Decision,
    pub seconds: f64,
}

/// How a search ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Outcome {
    /// The first commit changed like BAD.
    Culprit { commit: String, subject: String },
    /// Skipped commits leave these (oldest first; the last is known bad).
    OneOf { commits: Vec<Candidate> },
    /// BAD is not changed against GOOD (unchanged, or a change smaller than
    /// the threshold): nothing to find.
    NoChange,
    /// BAD could not be judged: why.
    Undecided { reason: String },
}

/// The whole search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub good: String,
    pub bad: String,
    pub device: String,
    pub model: String,
    /// The threshold a change must reach (a fraction).
    pub threshold: f64,
    /// Commits after GOOD up to BAD on the first-parent chain.
    pub candidates: usize,
    /// BAD's direction, once known.
    pub direction: Option<Direction>,
    pub steps: Vec<Step>,
    pub outcome: Outcome,
    /// Replays measured (every probe but the skipped-before-measuring ones).
    pub replays: usize,
    /// Wall seconds of all probes.
    pub seconds: f64,
}

/// What a measured probe says, for BAD's `direction` (`None`: BAD itself).
fn classify(c: &PairedChange, direction: Option<Direction>, threshold: f64) -> Decision {
    if c.verdict == PairedVerdict::Inconclusive {
        return Decision::Remeasure;
    }
    let step = PairedStep {
        base: String::new(),
        change: c.clone(),
    };
    match (direction, step_of(&step, threshold)) {
        (Some(d), Some(x)) if d == x => Decision::Bad,
        (None, Some(_)) => Decision::Bad,
        _ => Decision::Good,
    }
}

/// The search state over `n` candidates: `lo` the last known good (-1 =
/// GOOD), `hi` the first known bad.
struct Range {
    lo: isize,
    hi: usize,
    skipped: Vec<bool>,
}

impl Range {
    /// The next commit to probe: the untried one nearest the middle of
    /// (lo, hi), the older on a tie; `None` when none is left.
    fn next(&self) -> Option<usize> {
        let open = (self.lo + 1) as usize..self.hi;
        let mid = (self.lo + (self.hi as isize - self.lo) / 2).max(0) as usize;
        open.filter(|i| !self.skipped[*i])
            .min_by_key(|i| (i.abs_diff(mid), *i))
    }
}

/// Searches `candidates` (oldest first, BAD last) for the first commit whose
/// path changed by at least `threshold` against GOOD, replaying through
/// `prober`. `report` arrives with good, bad, device and model set by the
/// caller; the rest is filled here.
pub fn bisect(
    candidates: &[Candidate],
    mut report: Report,
    prober: &mut dyn Prober,
) -> Result<Report> {
    report.candidates = candidates.len();
    let Some(bad) = candidates.len().checked_sub(1) else {
        report.outcome = Outcome::Undecided {
            reason: "no commit after GOOD up to BAD on the first-parent chain".into(),
        };
        return Ok(report);
    };
    let t = report.threshold;
    let first = judge(candidates, bad, None, t, &mut report, prober)?;
    match (first, report.steps.last().and_then(|s| s.paired.clone())) {
        (Decision::Bad, Some(c)) => {
            report.direction = Some(if c.change.unwrap_or(0.0) > 0.0 {
                Direction::Slower
            } else {
                Direction::Faster
            });
        }
        (Decision::Good, _) => {
            report.outcome = Outcome::NoChange;
            return Ok(report);
        }
        (d, _) => {
            let why = match d {
                Decision::Skip(why) => why,
                _ => "no decision".into(),
            };
            report.outcome = Outcome::Undecided {
                reason: format!("BAD {}: {why}", short(&candidates[bad].commit)),
            };
            return Ok(report);
        }
    }
    let mut r = Range {
        lo: -1,
        hi: bad,
        skipped: vec![false; candidates.len()],
    };
    while let Some(i) = r.next() {
        match judge(candidates, i, report.direction, t, &mut report, prober)? {
            Decision::Bad => r.hi = i,
            Decision::Good => r.lo = i as isize,
            _ => r.skipped[i] = true,
        }
    }
    let left = &candidates[(r.lo + 1) as usize..=r.hi];
    report.outcome = match left {
        [only] => Outcome::Culprit {
            commit: only.commit.clone(),
            subject: only.subject.clone(),
        },
        _ => Outcome::OneOf {
            commits: left.to_vec(),
        },
    };
    Ok(report)
}

/// Probes candidate `i` (again once when inconclusive) and records each step.
fn judge(
    candidates: &[Candidate],
    i: usize,
    direction: Option<Direction>,
    threshold: f64,
    report: &mut Report,
    prober: &mut dyn Prober,
) -> Result<Decision> {
    let c = &candidates[i];
    for attempt in 1..=2 {
        let got = prober.probe(c, attempt)?;
        report.seconds += got.seconds;
        let (paired, decision) = match got.probe {
            Probe::Skip(why) => (None, Decision::Skip(why)),
            Probe::Measured(m) => {
                report.replays += 1;
                let mut d = classify(&m, direction, threshold);
                if d == Decision::Remeasure && attempt == 2 {
                    d = Decision::Skip("inconclusive twice".into());
                }
                (Some(m), d)
            }
        };
        let step = Step {
            commit: c.commit.clone(),
            subject: c.subject.clone(),
            position: i,
            attempt,
            paired,
            decision: decision.clone(),
            seconds: got.seconds,
        };
        prober.decided(&step);
        report.steps.push(step);
        if decision != Decision::Remeasure {
            return Ok(decision);
        }
    }
    unreachable!("the second attempt always decides")
}

fn short(c: &str) -> &str {
    &c[..c.len().min(10)]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake machine: commit `k` (of `n`) is `factor` slower from `culprit`
    /// on; `skips` cannot be built; `flaky` come out inconclusive `flaky_times`.
    struct Fake {
        culprit: usize,
        factor: f64,
        skips: Vec<usize>,
        flaky: Vec<usize>,
        flaky_times: u32,
        probed: Vec<(usize, u32)>,
    }

    fn fake(culprit: usize) -> Fake {
        Fake {
            culprit,
            factor: 0.06,
            skips: Vec::new(),
            flaky: Vec::new(),
            flaky_times: 1,
            probed: Vec::new(),
        }
    }

    fn index(c: &Candidate) -> usize {
        c.subject.trim_start_matches("commit ").parse().unwrap()
    }

    impl Prober for Fake {
        fn probe(&mut self, c: &Candidate, attempt: u32) -> Result<Probed> {
            let k = index(c);
            self.probed.push((k, attempt));
            if self.skips.contains(&k) {
                return Ok(Probed {
                    probe: Probe::Skip("the build failed (exit 1)".into()),
                    seconds: 1.0,
                });
            }
            let change = if k >= self.culprit {
                self.factor
            } else {
                0.002
            };
            let verdict = if self.flaky.contains(&k) && attempt <= self.flaky_times {
                PairedVerdict::Inconclusive
            } else if change.abs() >= 0.03 {
                if change > 0.0 {
                    PairedVerdict::Regressed
                } else {
                    PairedVerdict::Improved
                }
            } else {
                PairedVerdict::Unchanged
            };
            Ok(Probed {
                probe: Probe::Measured(PairedChange {
                    change: Some(change),
                    ci: Some([change - 0.01, change + 0.01]),
                    verdict,
                    rounds: 10,
                    seconds_per_side: 6.0,
                }),
                seconds: 15.0,
            })
        }
    }

    fn candidates(n: usize) -> Vec<Candidate> {
        (0..n)
            .map(|k| Candidate {
                commit: crate::fixtures::fake_commit(k),
                subject: format!("commit {k}"),
            })
            .collect()
    }

    fn run(n: usize, f: &mut Fake) -> Report {
        let start = Report {
            good: "good".into(),
            bad: "bad".into(),
            device: "cpu".into(),
            model: "m".into(),
            threshold: 0.03,
            candidates: 0,
            direction: None,
            steps: Vec::new(),
            outcome: Outcome::NoChange,
            replays: 0,
            seconds: 0.0,
        };
        bisect(&candidates(n), start, f).unwrap()
    }

    fn culprit(r: &Report) -> Option<usize> {
        match &r.outcome {
            Outcome::Culprit { subject, .. } => {
                Some(subject.trim_start_matches("commit ").parse().unwrap())
            }
            _ => None,
        }
    }

    #[test]
    fn every_position_of_15_is_found_in_at_most_5_replays() {
        for k in 0..15 {
            let mut f = fake(k);
            let r = run(15, &mut f);
            assert_eq!(culprit(&r), Some(k), "{r:?}");
            assert!(r.replays <= 5, "culprit {k}: {} replays", r.replays);
            assert_eq!(r.direction, Some(Direction::Slower));
            assert_eq!(f.probed[0], (14, 1), "BAD is replayed first");
            assert_eq!(r.seconds, 15.0 * r.replays as f64);
        }
    }

    #[test]
    fn the_culprit_at_either_end() {
        // The first commit after GOOD, and BAD itself.
        let r = run(8, &mut fake(0));
        assert_eq!(culprit(&r), Some(0));
        let r = run(8, &mut fake(7));
        assert_eq!(culprit(&r), Some(7));
        // One candidate: BAD, found by its own replay.
        let r = run(1, &mut fake(0));
        assert_eq!((culprit(&r), r.replays), (Some(0), 1));
        // None: nothing after GOOD.
        let r = run(0, &mut fake(0));
        assert!(matches!(r.outcome, Outcome::Undecided { .. }), "{r:?}");
    }

    #[test]
    fn a_faster_change_is_searched_as_faster() {
        let mut f = fake(5);
        f.factor = -0.08;
        let r = run(12, &mut f);
        assert_eq!(
            (culprit(&r), r.direction),
            (Some(5), Some(Direction::Faster))
        );
    }

    #[test]
    fn no_change_between_good_and_bad_stops_after_one_replay() {
        let mut f = fake(99);
        let r = run(12, &mut f);
        assert_eq!((r.outcome.clone(), r.replays), (Outcome::NoChange, 1));
        // A change below the threshold is no change either.
        let mut f = fake(3);
        f.factor = 0.02;
        assert_eq!(run(12, &mut f).outcome, Outcome::NoChange);
    }

    #[test]
    fn an_inconclusive_probe_is_measured_again_then_skipped() {
        // Inconclusive once: re-measured, decided, the search goes on.
        let mut f = fake(9);
        f.flaky = vec![6];
        let r = run(15, &mut f);
        assert_eq!(culprit(&r), Some(9));
        assert!(f.probed.contains(&(6, 2)), "{:?}", f.probed);
        let again = r.steps.iter().find(|s| s.position == 6).unwrap();
        assert_eq!(again.decision, Decision::Remeasure);
        // Inconclusive twice: skipped, and a neighbour is probed instead.
        let mut f = fake(9);
        f.flaky = vec![6];
        f.flaky_times = 2;
        let r = run(15, &mut f);
        assert_eq!(culprit(&r), Some(9), "{:?}", r.steps);
        assert!(r
            .steps
            .iter()
            .any(|s| s.decision == Decision::Skip("inconclusive twice".into())));
    }

    #[test]
    fn skipped_commits_are_named_and_can_leave_a_range() {
        // A skipped commit away from the culprit changes nothing.
        let mut f = fake(10);
        f.skips = vec![6];
        let r = run(15, &mut f);
        assert_eq!(culprit(&r), Some(10));
        assert!(r.steps.iter().any(|s| s.position == 6
            && s.decision == Decision::Skip("the build failed (exit 1)".into())
            && s.paired.is_none()));
        // The commit just before the culprit cannot be built: the culprit is
        // one of the two, and the report says so.
        let mut f = fake(10);
        f.skips = vec![9];
        let r = run(15, &mut f);
        match &r.outcome {
            Outcome::OneOf { commits } => {
                let ks: Vec<usize> = commits.iter().map(index).collect();
                assert_eq!(ks, vec![9, 10]);
            }
            o => panic!("{o:?}"),
        }
        // BAD cannot be built: nothing to search.
        let mut f = fake(3);
        f.skips = vec![11];
        let r = run(12, &mut f);
        assert!(
            matches!(&r.outcome, Outcome::Undecided { reason } if reason.contains("build failed")),
            "{r:?}"
        );
    }
}
