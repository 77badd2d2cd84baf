//! Validation errors of one suite table: the key at fault (relative to the
//! table, prefixed by the caller: `model[2].preprocess.crop`) and the message.

/// A validation failure inside one table: (key relative to the table, message).
pub(super) type KeyError = (String, String);

pub(super) fn key_err(key: &str, message: impl Into<String>) -> KeyError {
    (key.to_string(), message.into())
}

/// The rule for device and model names: they name folders and files under
/// `baselines/` (and run records, comparisons and PR statuses carry them), so
/// only letters, digits, '-', '_' and '.', and never a leading '.' (no `..`,
/// no hidden file). Run records and comparisons are checked by the same rule
/// when they are read (`record::check_path_names`).
pub fn check_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if name.starts_with('.') {
        return Err(format!(
            "{name:?} must not start with '.' (it names files in baselines/)"
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(format!("{name:?} may only hold letters, digits, '-', '_' and '.' (it names files in baselines/)"));
    }
    Ok(())
}
