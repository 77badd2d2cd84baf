//! Image preprocessing that reproduces the torchvision + PIL ImageNet pipeline.
//!
//! The reference pipeline is
//!
//! ```text
//! img = Image.open(path).convert("RGB")
//! img = transforms.Resize(resize, interpolation)(img)   # shorter side -> resize
//! img = transforms.CenterCrop(crop)(img)
//! x   = transforms.ToTensor()(img)                      # uint8 / 255
//! x   = transforms.Normalize(mean, std)(x)
//! ```
//!
//! and this module follows it step by step:
//!
//! * **Decoding** ([`decode_file`], [`decode_bytes`]): the format is guessed
//!   from the file's content, never its extension. Alpha is dropped without
//!   compositing and grey is replicated to three channels, as PIL's
//!   `convert("RGB")` does; palette PNGs are expanded by the decoder; 16-bit
//!   samples keep their high byte (PIL does the same for 16-bit RGB(A); for
//!   16-bit *grey* PIL clips the raw value to 255 instead, a quirk that is not
//!   reproduced). EXIF orientation and ICC profiles are ignored by both.
//!   Data cut short is an error, as PIL's "image file is truncated", never
//!   an image with the missing part filled in.
//! * **Resizing** ([`resize_shorter`], [`resize_exact`]): a port of PIL's
//!   `Resample.c` for 8-bit images: antialiased separable convolution
//!   (support scaled by the downscale factor), horizontal pass first, each pass
//!   rounding and clipping to `u8`, coefficients in 22-bit fixed point. It is
//!   bit-exact with `PIL.Image.resize` (no `reducing_gap`, as torchvision
//!   calls it). [`Interpolation::Nearest`](crate::suite::Interpolation::Nearest)
//!   ports PIL's `ImagingScaleAffine`.
//! * **Cropping** ([`center_crop`]): torchvision's offsets,
//!   `round((h - crop) / 2)` with Python's round-half-to-even.
//! * **Normalisation** ([`Normalize`](crate::suite::Normalize)):
//!   `(x / divisor - mean[c]) / std[c]` evaluated in `f32` in that order,
//!   which is bit-exact with `ToTensor` + `Normalize` for `divisor = 255`.
//! * **Layout** ([`Layout`](crate::suite::Layout),
//!   [`ChannelOrder`](crate::suite::ChannelOrder)): NCHW or NHWC, RGB or BGR.
//!
//! The recipe ([`Preprocess`] and its parts) is configuration and lives with the
//! suite (`crate::suite`); this adapter reads, decodes and computes.
//!
//! JPEG decoding is the one step that is not bit-exact: PIL uses
//! libjpeg-turbo, the `image` crate its own decoder, whose IDCT and chroma
//! upsampling round differently (a few levels on some pixels).
//!
//! Module map: `decode` (bytes to RGB like PIL), `truncated` (JPEG data cut
//! short, refused as PIL refuses it), `resize` (the `Resample.c` port), `crop`
//! (torchvision's center crop), `normalize` (values and layout of the tensor),
//! `error` (what can go wrong, naming the file); this file holds the pipeline.

mod crop;
mod decode;
mod error;
mod normalize;
mod resize;
mod truncated;

use std::path::Path;

use image::RgbImage;

use crate::suite::Preprocess;
pub use crop::{center_crop, crop_offsets};
pub use decode::{decode_bytes, decode_file};
pub use error::{PreprocessError, ShapeError};
pub use resize::{resize_exact, resize_shorter, shorter_side_size};

use resize::{resize_region, Region};

/// Decodes, resizes, crops and normalises the image file at `path` as `p` says.
pub fn load(p: &Preprocess, path: &Path) -> Result<Vec<f32>, PreprocessError> {
    let img = decode_file(path)?;
    apply(p, &img).map_err(|source| PreprocessError::Shape {
        path: path.to_path_buf(),
        source,
    })
}

/// Resizes, crops and normalises an already decoded RGB image.
///
/// Fails only for an empty image (any non-empty image is large enough,
/// since `crop <= resize` is checked by [`Preprocess::new`]).
pub fn apply(p: &Preprocess, img: &RgbImage) -> Result<Vec<f32>, ShapeError> {
    let cropped = resize_and_crop(p, img)?;
    let mut out = vec![0.0; p.input_len()];
    write_tensor(p, &cropped, &mut out);
    Ok(out)
}

/// The `u8` image the tensor is made from: resized and center-cropped,
/// before normalisation (what PIL holds before `ToTensor`).
///
/// Only the cropped region is computed, with the same result as
/// [`resize_shorter`] followed by [`center_crop`].
pub fn resize_and_crop(p: &Preprocess, img: &RgbImage) -> Result<RgbImage, ShapeError> {
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 {
        return Err(ShapeError::Empty {
            width: w,
            height: h,
        });
    }
    let (nw, nh) = shorter_side_size(w, h, p.resize());
    let s = p.crop();
    if s > nw || s > nh {
        return Err(ShapeError::SmallerThanCrop {
            width: nw,
            height: nh,
            crop: s,
        });
    }
    let (left, top) = crop_offsets(nw, nh, s);
    resize_region(
        img,
        nw,
        nh,
        p.interpolation(),
        Region {
            left,
            top,
            width: s,
            height: s,
        },
    )
}

/// Normalises a `crop x crop` image into `out` (length [`Preprocess::input_len`]).
///
/// # Panics
/// If `img` is not `crop x crop` or `out` has the wrong length.
pub fn write_tensor(p: &Preprocess, img: &RgbImage, out: &mut [f32]) {
    assert_eq!(img.dimensions(), (p.crop(), p.crop()), "image size");
    assert_eq!(out.len(), p.input_len(), "tensor length");
    normalize::write_tensor(img, &p.normalize(), p.layout(), p.channel_order(), out);
}

/// Helpers shared by the unit tests of the submodules.
#[cfg(test)]
mod test_support {
    use std::path::PathBuf;

    use image::{ImageEncoder, RgbImage};

    use crate::suite::Normalize;

    pub(super) fn rgb(w: u32, h: u32, data: &[u8]) -> RgbImage {
        RgbImage::from_raw(w, h, data.to_vec()).unwrap()
    }

    pub(super) fn identity_norm() -> Normalize {
        Normalize {
            divisor: 1.0,
            mean: [0.0; 3],
            std: [1.0; 3],
        }
    }

    pub(super) fn tmp_file(name: &str, bytes: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("edgeperf-preprocess-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    pub(super) fn png_bytes(buf: &[u8], w: u32, h: u32, ct: image::ExtendedColorType) -> Vec<u8> {
        let mut v = Vec::new();
        image::codecs::png::PngEncoder::new(&mut v)
            .write_image(buf, w, h, ct)
            .unwrap();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{identity_norm, png_bytes, rgb, tmp_file};
    use super::*;
    use crate::suite::{ChannelOrder, Interpolation, Layout, Normalize};
    use image::Rgb;
    use proptest::prelude::*;

    #[test]
    fn one_pixel_image() {
        let one = rgb(1, 1, &[10, 20, 30]);
        assert_eq!(
            resize_exact(&one, 3, 2, Interpolation::Bicubic)
                .unwrap()
                .into_raw(),
            [10, 20, 30].repeat(6)
        );
        let p = Preprocess::new(
            4,
            3,
            Interpolation::Bilinear,
            Normalize {
                divisor: 1.0,
                mean: [0.0; 3],
                std: [1.0; 3],
            },
            Layout::Nhwc,
            ChannelOrder::Rgb,
        )
        .unwrap();
        assert_eq!(apply(&p, &one).unwrap(), [10.0, 20.0, 30.0].repeat(9));
    }

    /// torchvision `CenterCrop(4)(Resize(4, mode)(img))` on a 40x3 image
    /// (resized to 53x4, crop left = round(24.5) = 24).
    #[test]
    fn elongated_image_resize_and_crop_matches_torchvision() {
        let img = RgbImage::from_fn(40, 3, |x, y| {
            Rgb([(x * 6) as u8, (y * 80) as u8, ((x * y * 7) % 256) as u8])
        });
        let want: [(Interpolation, [u8; 48]); 3] = [
            (
                Interpolation::Bilinear,
                [
                    108, 0, 0, 112, 0, 0, 117, 0, 0, 122, 0, 0, 108, 50, 79, 112, 50, 82, 117, 50,
                    86, 122, 50, 89, 108, 110, 173, 112, 110, 109, 117, 110, 92, 122, 110, 99, 108,
                    160, 252, 112, 160, 72, 117, 160, 17, 122, 160, 28,
                ],
            ),
            (
                Interpolation::Bicubic,
                [
                    108, 0, 0, 112, 0, 0, 117, 0, 0, 122, 0, 0, 108, 45, 70, 112, 45, 87, 117, 45,
                    95, 122, 45, 97, 108, 115, 182, 112, 115, 114, 117, 115, 96, 122, 115, 109,
                    108, 164, 255, 112, 164, 56, 117, 164, 0, 122, 164, 22,
                ],
            ),
            (
                Interpolation::Nearest,
                [
                    108, 0, 0, 114, 0, 0, 120, 0, 0, 120, 0, 0, 108, 80, 126, 114, 80, 133, 120,
                    80, 140, 120, 80, 140, 108, 80, 126, 114, 80, 133, 120, 80, 140, 120, 80, 140,
                    108, 160, 252, 114, 160, 10, 120, 160, 24, 120, 160, 24,
                ],
            ),
        ];
        for (interp, want) in want {
            assert_eq!(
                resize_shorter(&img, 4, interp).unwrap().dimensions(),
                (53, 4)
            );
            let p = Preprocess::new(
                4,
                4,
                interp,
                identity_norm(),
                Layout::Nhwc,
                ChannelOrder::Rgb,
            )
            .unwrap();
            assert_eq!(
                resize_and_crop(&p, &img).unwrap().into_raw(),
                want,
                "{interp}"
            );
        }
    }

    /// A 1x20000 strip: the resized image would be 256 x 5_120_000 pixels
    /// (3.9 GB); only the crop is computed.
    #[test]
    fn extreme_aspect_ratio_computes_only_the_crop() {
        let img = RgbImage::from_fn(1, 20_000, |_, y| Rgb([(y % 256) as u8, 0, 0]));
        for interp in [
            Interpolation::Bilinear,
            Interpolation::Bicubic,
            Interpolation::Nearest,
        ] {
            let out = Preprocess::imagenet();
            let p = Preprocess::new(
                256,
                224,
                interp,
                out.normalize(),
                Layout::Nchw,
                ChannelOrder::Rgb,
            )
            .unwrap();
            assert_eq!(apply(&p, &img).unwrap().len(), 3 * 224 * 224);
        }
        assert_eq!(shorter_side_size(1, u32::MAX, 256), (256, u32::MAX));
    }

    #[test]
    fn the_tensor_has_the_shape_of_the_recipe() {
        let q = Preprocess::new(
            292,
            260,
            Interpolation::Bicubic,
            Normalize::IMAGENET,
            Layout::Nhwc,
            ChannelOrder::Rgb,
        )
        .unwrap();
        assert_eq!(
            apply(&q, &RgbImage::new(300, 400)).unwrap().len(),
            3 * 260 * 260
        );
    }

    #[test]
    fn load_end_to_end_from_png() {
        let img = RgbImage::from_fn(40, 30, |x, y| Rgb([(x * 6) as u8, (y * 8) as u8, 77]));
        let p = tmp_file(
            "e2e.png",
            &png_bytes(img.as_raw(), 40, 30, image::ExtendedColorType::Rgb8),
        );
        let pp = Preprocess::new(
            20,
            16,
            Interpolation::Bicubic,
            Normalize::IMAGENET,
            Layout::Nchw,
            ChannelOrder::Rgb,
        )
        .unwrap();
        assert_eq!(load(&pp, &p).unwrap(), apply(&pp, &img).unwrap());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn fused_resize_and_crop_equals_resize_then_crop(
            w in 1u32..80, h in 1u32..80, resize in 1u32..50, crop_frac in 0.0f64..1.0,
            which in 0usize..3, seed in any::<u64>(),
        ) {
            let interp = [Interpolation::Bilinear, Interpolation::Bicubic, Interpolation::Nearest][which];
            let crop = ((f64::from(resize) * crop_frac) as u32).max(1);
            let mut s = seed;
            let img = RgbImage::from_fn(w, h, |_, _| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let b = s.to_le_bytes();
                Rgb([b[5], b[6], b[7]])
            });
            let p = Preprocess::new(resize, crop, interp, Normalize::IMAGENET, Layout::Nchw,
                ChannelOrder::Rgb).unwrap();
            let two_step = center_crop(&resize_shorter(&img, resize, interp).unwrap(), crop).unwrap();
            prop_assert_eq!(resize_and_crop(&p, &img).unwrap(), two_step);
        }

        #[test]
        fn apply_handles_any_size(
            w in 1u32..300, h in 1u32..300, resize in 1u32..40, crop_frac in 0.0f64..1.0,
            nhwc in any::<bool>(),
        ) {
            let crop = ((f64::from(resize) * crop_frac) as u32).max(1);
            let layout = if nhwc { Layout::Nhwc } else { Layout::Nchw };
            let p = Preprocess::new(resize, crop, Interpolation::Bilinear, Normalize::IMAGENET,
                layout, ChannelOrder::Rgb).unwrap();
            let out = apply(&p, &RgbImage::from_pixel(w, h, Rgb([1, 2, 3]))).unwrap();
            prop_assert_eq!(out.len(), p.input_len());
        }
    }
}
