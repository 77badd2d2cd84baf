//! One file per subcommand.

pub mod baseline;
pub mod compare;
pub mod env;
pub mod history;
pub mod report;
pub mod run;
pub mod worker;
