//! What every verdict of the comparator shares: the [`Verdict`] itself and the
//! serde helper that reads an unknown value back as NaN. A leaf: it imports no
//! other file of `compare/`, so each of them can use it without a cycle.

use serde::{Deserialize, Serialize};

/// What a comparison concluded about one quantity of a path (latency, accuracy,
/// memory, cold start).
///
/// Only a base-vs-head comparison that ran says `Regressed`, `Improved` or
/// `Unchanged`; `Inconclusive` is a comparison that ran without deciding.
/// Latency alone has two more: `NotConfirmed` (no comparison ran: switched
/// off, no suite, or the base side not available here) and `Identical` (every
/// input of the path is byte-identical between base and head, so there was
/// nothing to measure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Regressed,
    Improved,
    Unchanged,
    Inconclusive,
    NotConfirmed,
    Identical,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Regressed => "regressed",
            Verdict::Improved => "improved",
            Verdict::Unchanged => "unchanged",
            Verdict::Inconclusive => "inconclusive",
            Verdict::NotConfirmed => "not confirmed",
            Verdict::Identical => "identical",
        }
    }

    /// The value as JSON and CSV write it (`not_confirmed`).
    pub fn token(self) -> &'static str {
        match self {
            Verdict::NotConfirmed => "not_confirmed",
            v => v.as_str(),
        }
    }
}

/// Which way an undecided latency estimate points, when it is past the
/// minimum change ("probably slower: +12% [+9, +18.5] ...").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Leaning {
    Slower,
    Faster,
}

/// serde_json writes non-finite floats (an unknown change) as `null`; read `null`
/// back as NaN so a comparison always loads again (`report github`).
pub mod null_as_nan {
    use serde::{Deserialize, Deserializer};

    pub fn f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }

    pub fn pair<'de, D: Deserializer<'de>>(d: D) -> Result<[f64; 2], D::Error> {
        let [a, b] = <[Option<f64>; 2]>::deserialize(d)?;
        Ok([a.unwrap_or(f64::NAN), b.unwrap_or(f64::NAN)])
    }
}
