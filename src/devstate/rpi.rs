//! A Raspberry Pi's firmware throttle flags (`get_throttled`: under-voltage,
//! ARM clock capped, throttled, soft temperature limit; now and since boot).
//! Read from the firmware driver's sysfs file where the kernel has one, else,
//! on the machine's own root of a board whose device tree says "Raspberry Pi",
//! from `vcgencmd get_throttled`.

use std::process::{Command, Stdio};

use super::root::Root;

/// Where the firmware driver puts `get_throttled` (the SoC bus differs
/// between Pi models and kernels).
pub const SYSFS: [&str; 2] = [
    "/sys/devices/platform/soc/soc:firmware/get_throttled",
    "/sys/devices/platform/scb/soc:firmware/get_throttled",
];

/// The flags, when this board has them.
pub fn throttled(root: &Root) -> Option<u32> {
    if let Some(v) = SYSFS.iter().find_map(|p| root.read(p)) {
        return parse(&v);
    }
    if !root.is_system() || !is_pi(root) {
        return None;
    }
    vcgencmd()
}

/// Whether the device tree names a Raspberry Pi.
pub fn is_pi(root: &Root) -> bool {
    [
        "/proc/device-tree/model",
        "/sys/firmware/devicetree/base/model",
    ]
    .iter()
    .find_map(|p| root.read(p))
    .is_some_and(|m| m.contains("Raspberry Pi"))
}

/// `vcgencmd get_throttled` ("throttled=0x50005"), when it runs and answers.
fn vcgencmd() -> Option<u32> {
    let out = Command::new("vcgencmd")
        .arg("get_throttled")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    parse(&String::from_utf8_lossy(&out.stdout))
}

/// The flags in the forms the firmware writes them: `50005` (sysfs, hex
/// without a prefix), `0x50005`, `throttled=0x50005` (vcgencmd).
pub fn parse(text: &str) -> Option<u32> {
    let t = text.trim();
    let t = t.strip_prefix("throttled=").unwrap_or(t);
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    u32::from_str_radix(t, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_the_flags_parses() {
        assert_eq!(parse("0\n"), Some(0));
        assert_eq!(parse("50005"), Some(0x5_0005));
        assert_eq!(parse("0x50000"), Some(0x5_0000));
        assert_eq!(parse("throttled=0x80008\n"), Some(0x8_0008));
        assert_eq!(parse("nope"), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn a_fake_tree_is_never_asked_through_vcgencmd() {
        let d = tempfile::tempdir().unwrap();
        let root = Root::at(d.path());
        std::fs::create_dir_all(d.path().join("proc/device-tree")).unwrap();
        std::fs::write(
            d.path().join("proc/device-tree/model"),
            "Raspberry Pi 4 Model B Rev 1.4\0",
        )
        .unwrap();
        assert!(is_pi(&root));
        assert_eq!(throttled(&root), None, "no sysfs file: absent");
        let f = d.path().join("sys/devices/platform/soc/soc:firmware");
        std::fs::create_dir_all(&f).unwrap();
        std::fs::write(f.join("get_throttled"), "50005\n").unwrap();
        assert_eq!(throttled(&root), Some(0x5_0005));
    }
}
