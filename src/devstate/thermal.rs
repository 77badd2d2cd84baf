//! Thermal zones (`/sys/class/thermal/thermal_zone*/{type,temp}`, millidegrees
//! Celsius) and cooling devices (`cooling_device*/{type,cur_state,max_state}`).

use super::root::Root;
use crate::record::devstate::{CoolingDevice, ThermalZone};

const CLASS: &str = "/sys/class/thermal";

/// Every zone whose temperature reads as a number; a zone whose `temp` errors
/// (some report EINVAL or ENODATA when their sensor is off) is left out.
pub fn zones(root: &Root) -> Vec<ThermalZone> {
    root.entries(CLASS, "thermal_zone")
        .into_iter()
        .filter_map(|e| {
            let milli = root.number(&e.path.join("temp"))?;
            let zone = root
                .read_path(&e.path.join("type"))
                .filter(|t| !t.is_empty())
                .unwrap_or(e.name);
            Some(ThermalZone {
                zone,
                temp_c: milli / 1000.0,
            })
        })
        .collect()
}

/// Every cooling device with a readable state.
pub fn cooling(root: &Root) -> Vec<CoolingDevice> {
    root.entries(CLASS, "cooling_device")
        .into_iter()
        .filter_map(|e| {
            let state = |f: &str| root.number(&e.path.join(f)).map(|x| x.max(0.0) as u32);
            Some(CoolingDevice {
                kind: root
                    .read_path(&e.path.join("type"))
                    .unwrap_or_else(|| e.name.clone()),
                cur_state: state("cur_state")?,
                max_state: state("max_state").unwrap_or(0),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_read_in_degrees_and_unreadable_ones_are_left_out() {
        let d = tempfile::tempdir().unwrap();
        let z = |n: &str, t: &str, temp: Option<&str>| {
            let dir = d.path().join("sys/class/thermal").join(n);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("type"), t).unwrap();
            if let Some(v) = temp {
                std::fs::write(dir.join("temp"), v).unwrap();
            }
        };
        z("thermal_zone0", "cpu-thermal\n", Some("48312\n"));
        z("thermal_zone1", "gpu-thermal\n", None);
        z("thermal_zone2", "\n", Some("-1000"));
        let root = Root::at(d.path());
        assert_eq!(
            zones(&root),
            vec![
                ThermalZone {
                    zone: "cpu-thermal".into(),
                    temp_c: 48.312
                },
                ThermalZone {
                    zone: "thermal_zone2".into(),
                    temp_c: -1.0
                }
            ]
        );
        assert!(cooling(&root).is_empty());
        assert!(zones(&Root::at(d.path().join("nothing"))).is_empty());
    }
}
