//! Truncated JPEG data, refused as PIL refuses it ("image file is truncated").
//!
//! The `image` crate's JPEG decoder (zune-jpeg, in its lenient mode) fills what
//! is missing with grey and reports success, so a photo cut to a quarter of its
//! bytes would be scored as a mostly grey image. The check here is structural:
//! walk the marker segments from SOI, skip each scan's entropy-coded data, and
//! require the end-of-image marker (EOI). Segments are skipped by their length,
//! so an EOI inside an embedded EXIF thumbnail does not count; bytes after EOI
//! are ignored, as PIL ignores them.
//!
//! PIL (libjpeg-turbo) refuses every cut of the sample photos at 25, 50, 90
//! and 99 % of their bytes and just before their EOI: they are progressive, and
//! libjpeg reads every scan up to EOI before it gives a row. For a *baseline*
//! JPEG that lacks only its EOI, PIL accepts it in the rare case where libjpeg
//! never needed to look past the last byte (2 of 24 re-encoded photos); this
//! check refuses those too.

/// Marker codes (the byte after `0xFF`).
const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const TEM: u8 = 0x01;

/// Whether `data` starts like a JPEG, as the `image` crate guesses formats.
pub(super) fn is_jpeg(data: &[u8]) -> bool {
    data.starts_with(&[0xFF, SOI, 0xFF])
}

/// Where a JPEG's data stops before its end-of-image marker, or `None` when the
/// marker is reached. `data` starts with SOI (see [`is_jpeg`]).
pub(super) fn jpeg_truncation(data: &[u8]) -> Option<&'static str> {
    let mut pos = 2;
    loop {
        let Some((code, after)) = next_marker(data, pos) else {
            return Some("the JPEG data ends before its end-of-image marker");
        };
        pos = after;
        match code {
            EOI => return None,
            // Standalone markers: no length, no payload.
            SOI | TEM | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let Some(len) = data.get(pos..pos + 2) else {
            return Some("the JPEG data ends inside a marker segment");
        };
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        if len < 2 {
            // Corrupt, not cut short: the decoder says what is wrong.
            return None;
        }
        if pos + len > data.len() {
            return Some("the JPEG data ends inside a marker segment");
        }
        pos += len;
        if code == SOS {
            match end_of_scan(data, pos) {
                Some(p) => pos = p,
                None => return Some("the JPEG data ends inside a scan"),
            }
        }
    }
}

/// The next marker at or after `pos`: its code and the position after it.
/// Bytes before a marker that are not `0xFF` (garbage, which libjpeg skips with
/// a warning) and `0xFF` fill bytes are skipped.
fn next_marker(data: &[u8], mut pos: usize) -> Option<(u8, usize)> {
    loop {
        pos += data.get(pos..)?.iter().position(|&b| b == 0xFF)?;
        while data.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        match *data.get(pos)? {
            // A stuffed zero is not a marker.
            0x00 => pos += 1,
            code => return Some((code, pos + 1)),
        }
    }
}

/// The position of the `0xFF` that starts the first marker after the
/// entropy-coded data beginning at `pos`, skipping stuffed `0xFF 0x00` bytes and
/// restart markers; `None` when the data ends first.
fn end_of_scan(data: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let ff = pos + data.get(pos..)?.iter().position(|&b| b == 0xFF)?;
        let mut next = ff + 1;
        while data.get(next) == Some(&0xFF) {
            next += 1;
        }
        match *data.get(next)? {
            0x00 | 0xD0..=0xD7 => pos = next + 1,
            _ => return Some(ff),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SOI, an APP1 segment holding a thumbnail's EOI, a DQT-like segment,
    /// SOS with entropy data (stuffed 0xFF00, a restart marker, fill bytes),
    /// a second scan, EOI, then trailing bytes.
    fn synthetic() -> Vec<u8> {
        let mut v = vec![0xFF, SOI];
        v.extend([0xFF, 0xE1, 0x00, 0x06, 0xFF, 0xD8, 0xFF, 0xD9]); // APP1
        v.extend([0xFF, 0xDB, 0x00, 0x03, 0x42]); // DQT (short)
        v.extend([0x13, 0x37]); // garbage between segments, skipped
        v.extend([0xFF, SOS, 0x00, 0x03, 0x01]); // SOS header
        v.extend([0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56, 0xFF, 0xFF]); // scan data
        v.extend([0xFF, SOS, 0x00, 0x02, 0x78, 0x9A]); // second scan
        v.extend([0xFF, EOI]);
        v
    }

    #[test]
    fn complete_data_reaches_eoi() {
        let v = synthetic();
        assert!(is_jpeg(&v));
        assert_eq!(jpeg_truncation(&v), None);
        // Bytes after EOI are ignored, as PIL ignores them.
        let mut trailing = v.clone();
        trailing.extend([0x00, 0x11, 0xFF]);
        assert_eq!(jpeg_truncation(&trailing), None);
    }

    #[test]
    fn every_cut_before_the_end_is_truncated() {
        let v = synthetic();
        for cut in 2..v.len() {
            assert!(
                jpeg_truncation(&v[..cut]).is_some(),
                "cut at {cut} of {} accepted",
                v.len()
            );
        }
        assert_eq!(
            jpeg_truncation(&v[..v.len() - 2]),
            Some("the JPEG data ends inside a scan")
        );
        assert_eq!(
            jpeg_truncation(&v[..9]),
            Some("the JPEG data ends inside a marker segment")
        );
        assert_eq!(
            jpeg_truncation(&v[..10]),
            Some("the JPEG data ends before its end-of-image marker")
        );
    }
}
