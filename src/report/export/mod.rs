//! Every output format of `run`, `compare`, `history`, `env` and `doctor`
//! (`--format`), one file per format behind one [`Exporter`] trait, as
//! hyperfine's `export/`:
//!
//! | format | run | compare | history | env | doctor |
//! |---|---|---|---|---|---|
//! | `text` | the table + device state | table + reasons | one table per path | labelled lines | a check per line |
//! | `json` | the run record | the comparison | paths with entries and change points | the fingerprint | the checks |
//! | `csv` | a row per path | a row per path | a row per entry | `key,value` rows | a row per check |
//! | `markdown` | the table | the PR comment | a table per path | a two-column table | a table + verdict |
//! | `bmf` | Bencher Metric Format: a benchmark per `device/model` | head values | latest entry per path | (refused) | (refused) |
//!
//! Commands pick an exporter with [`exporter`] and print what it returns. Pure:
//! strings from documents.

pub mod bmf;
pub mod csv;
mod exporter;
pub mod json;
pub mod markdown;
pub mod text;

pub use crate::report::markdown::PathLink;
pub use exporter::{Exporter, Format, Options};

/// The exporter of `format`.
pub fn exporter<'a>(format: Format, options: Options<'a>) -> Box<dyn Exporter + 'a> {
    match format {
        Format::Text => Box::new(text::Text {
            color: options.color,
        }),
        Format::Json => Box::new(json::Json),
        Format::Csv => Box::new(csv::Csv),
        Format::Markdown => Box::new(markdown::Markdown {
            path_link: options.path_link,
        }),
        Format::Bmf => Box::new(bmf::Bmf),
    }
}
