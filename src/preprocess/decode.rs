//! Decoding: JPEG or PNG bytes to 8-bit RGB, as PIL's
//! `Image.open(path).convert("RGB")`.

use std::io::ErrorKind;
use std::path::Path;

use image::{DynamicImage, RgbImage};

use super::error::PreprocessError;
use super::truncated;

/// Reads and decodes an image file into 8-bit RGB, as PIL's
/// `Image.open(path).convert("RGB")`. The format is guessed from the content.
pub fn decode_file(path: &Path) -> Result<RgbImage, PreprocessError> {
    let bytes = crate::fs::read(path).map_err(|e| read_error(path, e))?;
    decode_bytes(&bytes).map_err(|source| PreprocessError::Decode {
        path: path.to_path_buf(),
        source,
    })
}

/// Decodes an in-memory JPEG or PNG into 8-bit RGB (see [`decode_file`]).
///
/// Data that ends early is refused, as PIL refuses it ("image file is
/// truncated"), rather than decoded with the missing part filled in: a JPEG
/// must reach its end-of-image marker (see `truncated.rs`), and a decoder that
/// runs out of data (PNG) is reported the same way.
pub fn decode_bytes(bytes: &[u8]) -> Result<RgbImage, image::ImageError> {
    if truncated::is_jpeg(bytes) {
        if let Some(detail) = truncated::jpeg_truncation(bytes) {
            return Err(truncated_error(detail));
        }
    }
    match image::load_from_memory(bytes) {
        Ok(img) => Ok(to_rgb8_like_pil(img)),
        // Decoding from memory, the one I/O error is running out of data.
        Err(image::ImageError::IoError(e)) if e.kind() == ErrorKind::UnexpectedEof => Err(
            truncated_error("the data ends before the whole image is decoded"),
        ),
        Err(e) => Err(e),
    }
}

/// PIL's wording, as an I/O error of kind `UnexpectedEof`.
fn truncated_error(detail: &str) -> image::ImageError {
    image::ImageError::IoError(std::io::Error::new(
        ErrorKind::UnexpectedEof,
        format!("image file is truncated ({detail})"),
    ))
}

/// `convert("RGB")`: grey replicated, alpha dropped (not composited), 16-bit
/// samples reduced to their high byte.
pub(super) fn to_rgb8_like_pil(img: DynamicImage) -> RgbImage {
    fn high_bytes<const N: usize>(
        width: u32,
        height: u32,
        samples: &[u16],
        pick: impl Fn(&[u16]) -> [u16; 3],
    ) -> RgbImage {
        let mut raw = Vec::with_capacity(samples.len() / N * 3);
        for px in samples.chunks_exact(N) {
            raw.extend(pick(px).iter().map(|&v| (v >> 8) as u8));
        }
        RgbImage::from_raw(width, height, raw).expect("buffer size matches dimensions")
    }
    let (w, h) = (img.width(), img.height());
    match img {
        DynamicImage::ImageRgb8(rgb) => rgb,
        DynamicImage::ImageRgb16(i) => high_bytes::<3>(w, h, i.as_raw(), |p| [p[0], p[1], p[2]]),
        DynamicImage::ImageRgba16(i) => high_bytes::<4>(w, h, i.as_raw(), |p| [p[0], p[1], p[2]]),
        DynamicImage::ImageLuma16(i) => high_bytes::<1>(w, h, i.as_raw(), |p| [p[0]; 3]),
        DynamicImage::ImageLumaA16(i) => high_bytes::<2>(w, h, i.as_raw(), |p| [p[0]; 3]),
        // Luma8 / LumaA8 / Rgba8: replicate grey, drop alpha.
        other => other.to_rgb8(),
    }
}

/// `fs::read` fails only with [`Error::Io`](crate::Error::Io), whose I/O error
/// becomes the source of [`PreprocessError::Read`] (the path is named there).
fn read_error(path: &Path, e: crate::fs::FsError) -> PreprocessError {
    PreprocessError::Read {
        path: path.to_path_buf(),
        source: e.source,
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::super::load;
    use super::super::test_support::{png_bytes, tmp_file};
    use super::*;
    use crate::suite::Preprocess;
    use image::{ImageEncoder, Rgb};

    /// The real photos of the assets (`<class>/<file>` under the dataset),
    /// sorted. Panics with the fix when the assets are missing: these tests
    /// must not pass by skipping.
    fn real_photos() -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(".edgeperf/data/imagenet-samples");
        assert!(
            root.is_dir(),
            "{}: assets missing: run scripts/setup-assets.sh",
            root.display()
        );
        let mut files = Vec::new();
        for class in std::fs::read_dir(&root).unwrap() {
            for f in std::fs::read_dir(class.unwrap().path()).unwrap() {
                files.push(f.unwrap().path());
            }
        }
        files.sort();
        files
    }

    #[test]
    #[cfg_attr(
        not(feature = "slow-tests"),
        ignore = "slow tier: needs the photos of scripts/setup-assets.sh"
    )]
    fn every_real_photo_decodes() {
        let photos = real_photos();
        assert_eq!(photos.len(), 70, "the sample dataset has 70 photos");
        for p in &photos {
            let img = decode_file(p).unwrap_or_else(|e| panic!("{e}"));
            assert!(img.width() > 0 && img.height() > 0, "{}", p.display());
        }
    }

    fn assert_truncated(what: &str, r: Result<RgbImage, image::ImageError>) {
        match r {
            Ok(img) => panic!("{what}: decoded as {}x{}", img.width(), img.height()),
            Err(e) => assert!(
                e.to_string().starts_with("image file is truncated ("),
                "{what}: {e}"
            ),
        }
    }

    /// PIL 13 (`Image.open(...).convert("RGB")`) refuses every one of these
    /// with "image file is truncated": the 20 JPEGs (all progressive) cut at
    /// 25, 50, 90 and 99 % of their bytes and just before their EOI, the 50
    /// PNGs cut at 25, 50, 90 and 99 %.
    #[test]
    #[cfg_attr(
        not(feature = "slow-tests"),
        ignore = "slow tier: needs the photos of scripts/setup-assets.sh"
    )]
    fn real_photos_cut_short_are_refused_like_pil() {
        let (mut jpegs, mut pngs) = (0, 0);
        for p in real_photos() {
            let bytes = std::fs::read(&p).unwrap();
            let name = p.display();
            let mut cuts: Vec<usize> = [25, 50, 90, 99]
                .iter()
                .map(|pct| bytes.len() * pct / 100)
                .collect();
            if truncated::is_jpeg(&bytes) {
                jpegs += 1;
                assert!(bytes.ends_with(&[0xFF, 0xD9]), "{name}: no final EOI");
                cuts.push(bytes.len() - 2);
            } else {
                pngs += 1;
            }
            for cut in cuts {
                assert_truncated(&format!("{name} cut at {cut}"), decode_bytes(&bytes[..cut]));
            }
        }
        assert_eq!((jpegs, pngs), (20, 50));
    }

    /// PIL accepts a PNG that lacks its IEND chunk (all image data is there);
    /// the `image` crate's PNG decoder reads on to the next chunk and refuses
    /// it. Stricter than PIL, never silently wrong: kept as it is.
    #[test]
    fn png_without_iend_is_refused_unlike_pil() {
        let bytes = png_bytes(&gradient(64, 48), 64, 48, image::ExtendedColorType::Rgb8);
        assert_eq!(&bytes[bytes.len() - 8..bytes.len() - 4], b"IEND");
        assert!(decode_bytes(&bytes).is_ok());
        assert_truncated("no IEND", decode_bytes(&bytes[..bytes.len() - 12]));
    }

    /// `w` x `h` RGB pixels that vary in both directions (so an encoder cannot
    /// make them a handful of bytes).
    fn gradient(w: u32, h: u32) -> Vec<u8> {
        (0..w * h)
            .flat_map(|i| {
                let (x, y) = (i % w, i / w);
                [(x * 4) as u8, (y * 5) as u8, ((x * y) % 251) as u8]
            })
            .collect()
    }

    #[test]
    fn truncated_file_error_names_the_path() {
        let mut jpg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpg, 90)
            .write_image(&gradient(64, 48), 64, 48, image::ExtendedColorType::Rgb8)
            .unwrap();
        assert!(decode_bytes(&jpg).is_ok());
        let p = tmp_file("quarter.jpg", &jpg[..jpg.len() / 4]);
        let e = load(&Preprocess::imagenet(), &p).unwrap_err();
        assert!(matches!(e, PreprocessError::Decode { .. }), "{e:?}");
        let want = format!(
            "cannot decode image {}: image file is truncated (",
            p.display()
        );
        assert!(e.to_string().starts_with(&want), "{e}");
    }

    #[test]
    fn missing_file_error_names_the_path() {
        let p = Path::new("/nonexistent/dir/cat.jpg");
        let e = load(&Preprocess::imagenet(), p).unwrap_err();
        assert!(matches!(e, PreprocessError::Read { .. }));
        assert_eq!(e.path(), p);
        assert!(
            e.to_string()
                .starts_with("cannot read image /nonexistent/dir/cat.jpg: "),
            "{e}"
        );
    }

    #[test]
    fn corrupt_bytes_error_names_the_path() {
        let p = tmp_file("corrupt.jpg", b"this is not an image at all");
        let e = load(&Preprocess::imagenet(), &p).unwrap_err();
        assert!(matches!(e, PreprocessError::Decode { .. }), "{e:?}");
        let prefix = format!("cannot decode image {}: ", p.display());
        assert!(e.to_string().starts_with(&prefix), "{e}");

        // A PNG cut in half, and a JPEG header followed by garbage.
        let png = png_bytes(&[7u8; 3 * 64 * 64], 64, 64, image::ExtendedColorType::Rgb8);
        let p = tmp_file("truncated.png", &png[..png.len() / 2]);
        assert!(matches!(
            decode_file(&p),
            Err(PreprocessError::Decode { .. })
        ));
        let p = tmp_file(
            "garbage.jpg",
            &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 1, 2, 3, 4],
        );
        assert!(matches!(
            decode_file(&p),
            Err(PreprocessError::Decode { .. })
        ));
        let p = tmp_file("empty.png", b"");
        assert!(matches!(
            decode_file(&p),
            Err(PreprocessError::Decode { .. })
        ));
        // A directory is a read error, not a panic.
        assert!(matches!(
            decode_file(&std::env::temp_dir()),
            Err(PreprocessError::Read { .. })
        ));
    }

    #[test]
    fn format_is_guessed_from_content_not_extension() {
        let png = png_bytes(&[1, 2, 3, 4, 5, 6], 2, 1, image::ExtendedColorType::Rgb8);
        let p = tmp_file("really-a-png.jpg", &png);
        assert_eq!(decode_file(&p).unwrap().into_raw(), [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn convert_rgb_like_pil() {
        // RGBA: alpha dropped, colour kept even where fully transparent.
        let png = png_bytes(
            &[10, 20, 30, 0, 40, 50, 60, 128],
            2,
            1,
            image::ExtendedColorType::Rgba8,
        );
        assert_eq!(
            decode_bytes(&png).unwrap().into_raw(),
            [10, 20, 30, 40, 50, 60]
        );
        // Grey and grey+alpha: replicated.
        let png = png_bytes(&[9, 200], 2, 1, image::ExtendedColorType::L8);
        assert_eq!(
            decode_bytes(&png).unwrap().into_raw(),
            [9, 9, 9, 200, 200, 200]
        );
        let png = png_bytes(&[9, 0, 200, 255], 2, 1, image::ExtendedColorType::La8);
        assert_eq!(
            decode_bytes(&png).unwrap().into_raw(),
            [9, 9, 9, 200, 200, 200]
        );
        // 16-bit RGB: high byte, as PIL's "RGB;16B" unpacker.
        let v16: [u16; 6] = [0, 255, 256, 32768, 65279, 65535];
        let img16 = image::ImageBuffer::<Rgb<u16>, _>::from_raw(2, 1, v16.to_vec()).unwrap();
        let mut png = Vec::new();
        DynamicImage::ImageRgb16(img16)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert_eq!(
            decode_bytes(&png).unwrap().into_raw(),
            [0, 0, 1, 128, 254, 255]
        );
        // Grey JPEG -> three equal channels.
        let mut jpg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpg, 95)
            .write_image(&[50u8; 64], 8, 8, image::ExtendedColorType::L8)
            .unwrap();
        let d = decode_bytes(&jpg).unwrap();
        assert_eq!(d.dimensions(), (8, 8));
        assert!(d
            .pixels()
            .all(|p| p[0] == p[1] && p[1] == p[2] && p[0].abs_diff(50) <= 1));
    }
}
