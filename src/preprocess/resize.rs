//! Resizing: torchvision's `Resize(n)` size rule and a port of PIL's
//! `Resample.c` (8 bits per channel), bit-exact with `PIL.Image.resize`.

use image::RgbImage;

use super::error::ShapeError;
use crate::suite::Interpolation;

/// torchvision `Resize(n)` size rule: the shorter side becomes `n`, the longer
/// `int(n * long / short)` (truncated). Returns `(width, height)`.
pub fn shorter_side_size(width: u32, height: u32, n: u32) -> (u32, u32) {
    if width == 0 || height == 0 {
        return (0, 0);
    }
    let (short, long) = if width <= height {
        (width, height)
    } else {
        (height, width)
    };
    // The exact rational floor equals Python's int() of the float division for
    // any realistic size; saturates instead of wrapping for absurd aspect ratios.
    let new_long =
        u32::try_from(u64::from(n) * u64::from(long) / u64::from(short)).unwrap_or(u32::MAX);
    if width <= height {
        (n, new_long)
    } else {
        (new_long, n)
    }
}

/// Resizes so that the shorter side is `n` (torchvision `Resize(n)` semantics,
/// see [`shorter_side_size`]) with PIL's resampling.
pub fn resize_shorter(
    img: &RgbImage,
    n: u32,
    interp: Interpolation,
) -> Result<RgbImage, ShapeError> {
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 {
        return Err(ShapeError::Empty {
            width: w,
            height: h,
        });
    }
    let (nw, nh) = shorter_side_size(w, h, n);
    resize_exact(img, nw, nh, interp)
}

/// Resizes to exactly `width x height`, bit-exact with PIL's
/// `Image.resize((width, height), resample)` on an RGB image.
pub fn resize_exact(
    img: &RgbImage,
    width: u32,
    height: u32,
    interp: Interpolation,
) -> Result<RgbImage, ShapeError> {
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 {
        return Err(ShapeError::Empty {
            width: w,
            height: h,
        });
    }
    let full = Region {
        left: 0,
        top: 0,
        width,
        height,
    };
    resize_region(img, width, height, interp, full)
}

/// A rectangle of the resized image.
#[derive(Debug, Clone, Copy)]
pub(super) struct Region {
    pub(super) left: u32,
    pub(super) top: u32,
    pub(super) width: u32,
    pub(super) height: u32,
}

/// Computes only `region` of the `width x height` resize of `img`
/// (`img` non-empty, `region` non-empty and inside `width x height`).
pub(super) fn resize_region(
    img: &RgbImage,
    width: u32,
    height: u32,
    interp: Interpolation,
    region: Region,
) -> Result<RgbImage, ShapeError> {
    let (w, h) = img.dimensions();
    if width == 0 || height == 0 {
        return Err(ShapeError::BadResize {
            width: w,
            height: h,
            to_width: width,
            to_height: height,
        });
    }
    debug_assert!(region.width > 0 && region.left + region.width <= width);
    debug_assert!(region.height > 0 && region.top + region.height <= height);
    if (width, height) == (w, h) {
        // PIL returns a copy; an identity resize touches nothing.
        return Ok(image::imageops::crop_imm(
            img,
            region.left,
            region.top,
            region.width,
            region.height,
        )
        .to_image());
    }
    let filter = match interp {
        Interpolation::Nearest => return Ok(resize_nearest(img, width, height, region)),
        Interpolation::Bilinear => Filter::Bilinear,
        Interpolation::Bicubic => Filter::Bicubic,
    };
    Ok(resample(img, width, height, filter, region))
}

// ---------------------------------------------------------------------------
// PIL Resample.c port (8 bits per channel).

const PRECISION_BITS: u32 = 32 - 8 - 2;

#[derive(Clone, Copy)]
enum Filter {
    Bilinear,
    Bicubic,
}

impl Filter {
    fn support(self) -> f64 {
        match self {
            Filter::Bilinear => 1.0,
            Filter::Bicubic => 2.0,
        }
    }

    #[inline]
    fn eval(self, x: f64) -> f64 {
        let x = x.abs();
        match self {
            Filter::Bilinear => {
                if x < 1.0 {
                    1.0 - x
                } else {
                    0.0
                }
            }
            Filter::Bicubic => {
                const A: f64 = -0.5;
                if x < 1.0 {
                    ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
                } else if x < 2.0 {
                    (((x - 5.0) * x + 8.0) * x - 4.0) * A
                } else {
                    0.0
                }
            }
        }
    }
}

/// Fixed-point coefficient table for one axis: output position `i` reads
/// `len[i]` input samples from `start[i]` with weights
/// `weights[i * ksize..][..len[i]]`.
struct Coeffs {
    ksize: usize,
    start: Vec<usize>,
    len: Vec<usize>,
    weights: Vec<i32>,
}

/// `precompute_coeffs` + `normalize_coeffs_8bpc` for the box `0..in_size`,
/// for output positions `range` only.
///
/// When `in_size == out_size` PIL skips the pass; the table is then the
/// identity (one weight of exactly 1.0), which gives the same bytes.
fn precompute_coeffs(
    in_size: u32,
    out_size: u32,
    filter: Filter,
    range: std::ops::Range<u32>,
) -> Coeffs {
    if in_size == out_size {
        let n = range.len();
        return Coeffs {
            ksize: 1,
            start: range.map(|i| i as usize).collect(),
            len: vec![1; n],
            weights: vec![1 << PRECISION_BITS; n],
        };
    }
    // The box edges are C floats in PIL; exact for any realistic size.
    let in0 = 0.0f32;
    let in1 = in_size as f32;
    let scale = f64::from(in1 - in0) / f64::from(out_size);
    let filterscale = scale.max(1.0);
    let support = filter.support() * filterscale;
    let ksize = support.ceil() as usize * 2 + 1;
    let ss = 1.0 / filterscale;
    let n = range.len();
    let mut start = Vec::with_capacity(n);
    let mut len = Vec::with_capacity(n);
    let mut weights = vec![0i32; n * ksize];
    let mut k = vec![0.0f64; ksize];
    for (i, xx) in range.enumerate() {
        let center = f64::from(in0) + (f64::from(xx) + 0.5) * scale;
        // C `(int)` truncates toward zero; negatives clamp to 0 either way.
        let xmin = ((center - support + 0.5) as i64).max(0);
        let xmax = ((center + support + 0.5) as i64).min(i64::from(in_size)) - xmin;
        let xmax = xmax.clamp(0, ksize as i64) as usize;
        let mut ww = 0.0;
        for (x, kx) in k.iter_mut().enumerate().take(xmax) {
            let w = filter.eval(((x as i64 + xmin) as f64 - center + 0.5) * ss);
            *kx = w;
            ww += w;
        }
        let row = &mut weights[i * ksize..i * ksize + xmax];
        for (dst, &kx) in row.iter_mut().zip(&k) {
            let kx = if ww != 0.0 { kx / ww } else { kx };
            let f = kx * f64::from(1u32 << PRECISION_BITS);
            *dst = if kx < 0.0 {
                (f - 0.5) as i32
            } else {
                (f + 0.5) as i32
            };
        }
        start.push(xmin as usize);
        len.push(xmax);
    }
    Coeffs {
        ksize,
        start,
        len,
        weights,
    }
}

#[inline]
fn clip8(v: i32) -> u8 {
    (v >> PRECISION_BITS).clamp(0, 255) as u8
}

const ROUND: i32 = 1 << (PRECISION_BITS - 1);

/// PIL's two-pass resample of an RGB image (`ImagingResampleInner`),
/// restricted to `region` of the output.
fn resample(img: &RgbImage, width: u32, height: u32, filter: Filter, region: Region) -> RgbImage {
    let (w, h) = img.dimensions();
    let ch = precompute_coeffs(w, width, filter, region.left..region.left + region.width);
    let cv = precompute_coeffs(h, height, filter, region.top..region.top + region.height);
    // Only the source rows the vertical pass reads.
    let first = cv.start[0];
    let n = cv.len.len();
    let last = cv.start[n - 1] + cv.len[n - 1];
    let tmp = horizontal(img.as_raw(), w as usize, first..last, &ch);
    let out = vertical(&tmp, region.width as usize, first, &cv);
    RgbImage::from_raw(region.width, region.height, out).expect("size")
}

/// Horizontal pass over rows `rows` of `src` (row width `in_w` pixels).
fn horizontal(src: &[u8], in_w: usize, rows: std::ops::Range<usize>, c: &Coeffs) -> Vec<u8> {
    let out_w = c.start.len();
    let mut out = vec![0u8; rows.len() * out_w * 3];
    for (row_out, y) in out.chunks_exact_mut(out_w * 3).zip(rows) {
        let row_in = &src[y * in_w * 3..(y + 1) * in_w * 3];
        for (xx, px) in row_out.chunks_exact_mut(3).enumerate() {
            let s = c.start[xx];
            let n = c.len[xx];
            let k = &c.weights[xx * c.ksize..xx * c.ksize + n];
            let input = &row_in[s * 3..(s + n) * 3];
            let (mut s0, mut s1, mut s2) = (ROUND, ROUND, ROUND);
            for (&kx, p) in k.iter().zip(input.chunks_exact(3)) {
                s0 += i32::from(p[0]) * kx;
                s1 += i32::from(p[1]) * kx;
                s2 += i32::from(p[2]) * kx;
            }
            px[0] = clip8(s0);
            px[1] = clip8(s1);
            px[2] = clip8(s2);
        }
    }
    out
}

/// Vertical pass; `src` holds rows starting at source row `row_offset`, each
/// `w` pixels wide.
fn vertical(src: &[u8], w: usize, row_offset: usize, c: &Coeffs) -> Vec<u8> {
    let out_h = c.start.len();
    let stride = w * 3;
    let mut out = vec![0u8; out_h * stride];
    let mut acc = vec![0i32; stride];
    for (yy, row_out) in out.chunks_exact_mut(stride).enumerate() {
        let s = c.start[yy] - row_offset;
        let n = c.len[yy];
        let k = &c.weights[yy * c.ksize..yy * c.ksize + n];
        acc.fill(ROUND);
        for (i, &ky) in k.iter().enumerate() {
            let row_in = &src[(s + i) * stride..(s + i + 1) * stride];
            for (a, &p) in acc.iter_mut().zip(row_in) {
                *a += i32::from(p) * ky;
            }
        }
        for (o, &a) in row_out.iter_mut().zip(&acc) {
            *o = clip8(a);
        }
    }
    out
}

/// PIL's `ImagingScaleAffine` nearest-neighbour resize (positions accumulated
/// in `f64` exactly as PIL does), restricted to `region` of the output.
fn resize_nearest(img: &RgbImage, width: u32, height: u32, region: Region) -> RgbImage {
    let (w, h) = img.dimensions();
    let positions = |in_size: u32, out_size: u32, from: u32, count: u32| -> Vec<usize> {
        let a = f64::from(in_size) / f64::from(out_size);
        let mut o = a * 0.5;
        (0..out_size)
            .map(|_| {
                // COORD(v) = v < 0 ? -1 : (int)v; v >= 0 here, the min guards rounding.
                let i = (o as usize).min(in_size as usize - 1);
                o += a;
                i
            })
            .skip(from as usize)
            .take(count as usize)
            .collect()
    };
    let xs = positions(w, width, region.left, region.width);
    let ys = positions(h, height, region.top, region.height);
    let src = img.as_raw();
    let stride = w as usize * 3;
    let mut out = Vec::with_capacity(xs.len() * ys.len() * 3);
    for &y in &ys {
        let row = &src[y * stride..(y + 1) * stride];
        for &x in &xs {
            out.extend_from_slice(&row[x * 3..x * 3 + 3]);
        }
    }
    RgbImage::from_raw(region.width, region.height, out).expect("size")
}

#[cfg(test)]
mod tests {
    use super::super::test_support::rgb;
    use super::*;
    use image::Rgb;
    use proptest::prelude::*;

    /// The 4x4 image used for the PIL reference values below.
    fn src4() -> RgbImage {
        rgb(
            4,
            4,
            &[
                0, 0, 255, 60, 5, 215, 120, 10, 175, 180, 15, 135, 10, 70, 225, 70, 75, 185, 130,
                80, 145, 190, 85, 105, 20, 140, 195, 80, 145, 155, 140, 150, 115, 200, 155, 75, 30,
                210, 165, 90, 215, 125, 150, 220, 85, 210, 225, 45,
            ],
        )
    }

    fn resized(img: &RgbImage, w: u32, h: u32, i: Interpolation) -> Vec<u8> {
        resize_exact(img, w, h, i).unwrap().into_raw()
    }

    // Expected values: PIL 13.0 `Image.fromarray(a).resize((w, h), resample)`.
    #[test]
    fn downscale_4x4_to_2x2_matches_pil() {
        let s = src4();
        assert_eq!(
            resized(&s, 2, 2, Interpolation::Bilinear),
            [50, 54, 205, 144, 61, 143, 66, 164, 157, 160, 171, 95]
        );
        assert_eq!(
            resized(&s, 2, 2, Interpolation::Bicubic),
            [41, 44, 214, 151, 53, 140, 59, 172, 160, 169, 181, 86]
        );
        assert_eq!(
            resized(&s, 2, 2, Interpolation::Nearest),
            [70, 75, 185, 190, 85, 105, 90, 215, 125, 210, 225, 45]
        );
    }

    #[test]
    fn mixed_down_and_up_4x4_to_3x5_matches_pil() {
        let s = src4();
        assert_eq!(
            resized(&s, 3, 5, Interpolation::Bilinear),
            [
                18, 1, 243, 90, 8, 195, 162, 14, 147, 25, 50, 222, 97, 57, 174, 169, 63, 126, 33,
                106, 198, 105, 113, 150, 177, 119, 102, 41, 162, 174, 113, 169, 126, 185, 175, 78,
                48, 211, 153, 120, 218, 105, 192, 224, 57
            ]
        );
        assert_eq!(
            resized(&s, 3, 5, Interpolation::Bicubic),
            [
                11, 0, 248, 90, 5, 196, 169, 11, 144, 17, 46, 228, 96, 53, 176, 175, 59, 124, 26,
                106, 202, 105, 113, 150, 184, 119, 98, 35, 166, 176, 114, 173, 124, 193, 179, 72,
                41, 214, 156, 120, 221, 104, 199, 227, 52
            ]
        );
        assert_eq!(
            resized(&s, 3, 5, Interpolation::Nearest),
            [
                0, 0, 255, 120, 10, 175, 180, 15, 135, 10, 70, 225, 130, 80, 145, 190, 85, 105, 20,
                140, 195, 140, 150, 115, 200, 155, 75, 20, 140, 195, 140, 150, 115, 200, 155, 75,
                30, 210, 165, 150, 220, 85, 210, 225, 45
            ]
        );
    }

    /// Upscaling a checkerboard: bicubic overshoots and must clip like PIL.
    #[test]
    fn upscale_checkerboard_clips_like_pil() {
        let chk = rgb(
            3,
            2,
            &[
                0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255,
            ],
        );
        assert_eq!(
            resized(&chk, 7, 5, Interpolation::Bicubic),
            [
                0, 255, 0, 6, 249, 6, 166, 89, 166, 255, 0, 255, 166, 89, 166, 6, 249, 6, 0, 255,
                0, 17, 238, 17, 39, 216, 39, 156, 99, 156, 238, 17, 238, 156, 99, 156, 39, 216, 39,
                17, 238, 17, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
                128, 128, 128, 128, 128, 128, 128, 238, 17, 238, 216, 39, 216, 99, 156, 99, 17,
                238, 17, 99, 156, 99, 216, 39, 216, 238, 17, 238, 255, 0, 255, 249, 6, 249, 89,
                166, 89, 0, 255, 0, 89, 166, 89, 249, 6, 249, 255, 0, 255,
            ]
        );
        assert_eq!(
            resized(&chk, 7, 5, Interpolation::Bilinear),
            [
                0, 255, 0, 36, 219, 36, 146, 109, 146, 255, 0, 255, 146, 109, 146, 36, 219, 36, 0,
                255, 0, 25, 230, 25, 54, 201, 54, 142, 113, 142, 230, 25, 230, 142, 113, 142, 54,
                201, 54, 25, 230, 25, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
                128, 128, 128, 128, 128, 128, 128, 128, 128, 230, 25, 230, 201, 54, 201, 113, 142,
                113, 25, 230, 25, 113, 142, 113, 201, 54, 201, 230, 25, 230, 255, 0, 255, 219, 36,
                219, 109, 146, 109, 0, 255, 0, 109, 146, 109, 219, 36, 219, 255, 0, 255,
            ]
        );
    }

    #[test]
    fn same_size_resize_is_identity() {
        let s = src4();
        for i in [
            Interpolation::Bilinear,
            Interpolation::Bicubic,
            Interpolation::Nearest,
        ] {
            assert_eq!(resize_exact(&s, 4, 4, i).unwrap(), s);
            // One axis unchanged: only the other pass runs.
            let r = resize_exact(&s, 4, 2, i).unwrap();
            assert_eq!(r.dimensions(), (4, 2));
        }
    }

    #[test]
    fn shorter_side_size_truncates_like_torchvision() {
        assert_eq!(shorter_side_size(500, 375, 256), (341, 256)); // 341.33
        assert_eq!(shorter_side_size(375, 500, 256), (256, 341));
        assert_eq!(shorter_side_size(640, 427, 256), (383, 256)); // 383.7 -> 383
        assert_eq!(shorter_side_size(512, 512, 292), (292, 292));
        assert_eq!(shorter_side_size(3, 2, 256), (384, 256));
        assert_eq!(shorter_side_size(1, 1, 5), (5, 5));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn resize_never_panics_and_has_the_right_size(
            w in 1u32..40, h in 1u32..40, tw in 1u32..60, th in 1u32..60,
            seed in any::<u64>(), which in 0usize..3,
        ) {
            let interp = [Interpolation::Bilinear, Interpolation::Bicubic, Interpolation::Nearest][which];
            let mut s = seed;
            let img = RgbImage::from_fn(w, h, |_, _| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let b = s.to_le_bytes();
                Rgb([b[5], b[6], b[7]])
            });
            let r = resize_exact(&img, tw, th, interp).unwrap();
            prop_assert_eq!(r.dimensions(), (tw, th));
        }

        #[test]
        fn constant_images_stay_constant(
            w in 1u32..40, h in 1u32..40, tw in 1u32..60, th in 1u32..60,
            c in any::<[u8; 3]>(), bicubic in any::<bool>(),
        ) {
            let interp = if bicubic { Interpolation::Bicubic } else { Interpolation::Bilinear };
            let img = RgbImage::from_pixel(w, h, Rgb(c));
            let r = resize_exact(&img, tw, th, interp).unwrap();
            prop_assert!(r.pixels().all(|p| p.0 == c));
        }
    }
}
