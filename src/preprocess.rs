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
//! * **Resizing** ([`resize_shorter`], [`resize_exact`]): a port of PIL's
//!   `Resample.c` for 8-bit images: antialiased separable convolution
//!   (support scaled by the downscale factor), horizontal pass first, each pass
//!   rounding and clipping to `u8`, coefficients in 22-bit fixed point. It is
//!   bit-exact with `PIL.Image.resize` (no `reducing_gap`, as torchvision
//!   calls it). [`Interpolation::Nearest`] ports PIL's `ImagingScaleAffine`.
//! * **Cropping** ([`center_crop`]): torchvision's offsets,
//!   `round((h - crop) / 2)` with Python's round-half-to-even.
//! * **Normalisation** ([`Normalize`]): `(x / divisor - mean[c]) / std[c]`
//!   evaluated in `f32` in that order, which is bit-exact with `ToTensor` +
//!   `Normalize` for `divisor = 255`.
//! * **Layout** ([`Layout`], [`ChannelOrder`]): NCHW or NHWC, RGB or BGR.
//!
//! JPEG decoding is the one step that is not bit-exact: PIL uses
//! libjpeg-turbo, the `image` crate its own decoder, whose IDCT and chroma
//! upsampling round differently (a few levels on some pixels).

use std::fmt;
use std::path::{Path, PathBuf};

use image::{DynamicImage, RgbImage};

/// Resampling filter, as in `torchvision.transforms.InterpolationMode` /
/// `PIL.Image.Resampling`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Interpolation {
    /// Triangle filter (support 1), antialiased when downscaling. torchvision's default.
    Bilinear,
    /// Keys cubic with `a = -0.5` (support 2), antialiased when downscaling.
    Bicubic,
    /// Nearest neighbour, PIL's sampling positions.
    Nearest,
}

impl Interpolation {
    /// Lower-case name (`"bilinear"`, `"bicubic"`, `"nearest"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Interpolation::Bilinear => "bilinear",
            Interpolation::Bicubic => "bicubic",
            Interpolation::Nearest => "nearest",
        }
    }
}

impl fmt::Display for Interpolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Interpolation {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "bilinear" | "linear" => Ok(Interpolation::Bilinear),
            "bicubic" | "cubic" => Ok(Interpolation::Bicubic),
            "nearest" => Ok(Interpolation::Nearest),
            _ => Err(ConfigError::UnknownInterpolation(s.to_string())),
        }
    }
}

/// Memory layout of the output tensor (batch size is always 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Layout {
    /// `[1, 3, S, S]`: channel planes (PyTorch / ONNX default).
    #[default]
    Nchw,
    /// `[1, S, S, 3]`: interleaved pixels (TensorFlow / TFLite exports).
    Nhwc,
}

/// Order of the three colour channels in the output tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ChannelOrder {
    /// Red, green, blue (torchvision).
    #[default]
    Rgb,
    /// Blue, green, red (Caffe / OpenCV exports).
    Bgr,
}

/// Per-channel normalisation: `out = (x / divisor - mean[c]) / std[c]`, with
/// `x` the 0..=255 pixel value, evaluated in `f32` in that order.
///
/// `mean` and `std` are always given in **R, G, B order**, whatever the output
/// [`ChannelOrder`]: the value for red is applied to the red channel, which is
/// then placed wherever the channel order puts it.
///
/// Common settings:
///
/// | model family | `divisor` | `mean` | `std` |
/// |---|---|---|---|
/// | torchvision ImageNet ([`Normalize::IMAGENET`]) | 255 | 0.485, 0.456, 0.406 | 0.229, 0.224, 0.225 |
/// | `(x - 127) / 128` ([`Normalize::SYMMETRIC_127`]) | 1 | 127 ×3 | 128 ×3 |
/// | Inception / TF `x / 127.5 - 1` | 1 | 127.5 ×3 | 127.5 ×3 |
/// | raw 0..1 | 255 | 0 ×3 | 1 ×3 |
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalize {
    /// Pixel values are divided by this first (255 for torchvision's `ToTensor`, 1 to keep 0..255).
    pub divisor: f32,
    /// Subtracted after the division, per channel in R, G, B order.
    pub mean: [f32; 3],
    /// Divides after the subtraction, per channel in R, G, B order.
    pub std: [f32; 3],
}

impl Normalize {
    /// torchvision's ImageNet statistics on 0..1 values.
    pub const IMAGENET: Normalize = Normalize {
        divisor: 255.0,
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
    };
    /// `(x - 127) / 128` on 0..255 values.
    pub const SYMMETRIC_127: Normalize = Normalize {
        divisor: 1.0,
        mean: [127.0; 3],
        std: [128.0; 3],
    };

    /// Normalises one 0..=255 value of RGB channel `c` (0 = red).
    #[inline]
    pub fn apply(&self, c: usize, x: u8) -> f32 {
        (f32::from(x) / self.divisor - self.mean[c]) / self.std[c]
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let ok = |v: f32| v.is_finite() && v != 0.0;
        if !ok(self.divisor) || !self.std.iter().all(|&s| ok(s)) {
            return Err(ConfigError::BadNormalize(*self));
        }
        if !self.mean.iter().all(|m| m.is_finite()) {
            return Err(ConfigError::BadNormalize(*self));
        }
        Ok(())
    }

    /// 256-entry lookup table per RGB channel.
    fn table(&self) -> [[f32; 256]; 3] {
        let mut t = [[0.0; 256]; 3];
        for (c, row) in t.iter_mut().enumerate() {
            for (v, out) in row.iter_mut().enumerate() {
                *out = self.apply(c, v as u8);
            }
        }
        t
    }
}

impl Default for Normalize {
    fn default() -> Self {
        Normalize::IMAGENET
    }
}

/// An invalid [`Preprocess`] configuration.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// `resize` or `crop` is 0.
    #[error("resize ({resize}) and crop ({crop}) must be positive")]
    ZeroSize {
        /// Shorter-side size requested.
        resize: u32,
        /// Crop size requested.
        crop: u32,
    },
    /// The crop would not fit into the resized image.
    #[error("crop ({crop}) must not exceed resize ({resize})")]
    CropLargerThanResize {
        /// Shorter-side size requested.
        resize: u32,
        /// Crop size requested.
        crop: u32,
    },
    /// Divisor or a std is zero or not finite, or a mean is not finite.
    #[error(
        "invalid normalisation {0:?}: divisor and std must be finite and non-zero, mean finite"
    )]
    BadNormalize(Normalize),
    /// Name not recognised by [`Interpolation::from_str`](std::str::FromStr).
    #[error("unknown interpolation {0:?} (expected bilinear, bicubic or nearest)")]
    UnknownInterpolation(String),
}

/// An image whose size does not allow the requested operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    /// Zero width or height.
    #[error("image is empty ({width}x{height})")]
    Empty {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// Smaller than the center crop along at least one side.
    #[error("image is {width}x{height}, smaller than the {crop}x{crop} center crop")]
    SmallerThanCrop {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Crop side.
        crop: u32,
    },
    /// Target size of a resize is zero.
    #[error("cannot resize {width}x{height} to {to_width}x{to_height}")]
    BadResize {
        /// Source width.
        width: u32,
        /// Source height.
        height: u32,
        /// Requested width.
        to_width: u32,
        /// Requested height.
        to_height: u32,
    },
}

/// Failure to turn an image file into a tensor. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum PreprocessError {
    /// The file could not be read (missing, unreadable, a directory...).
    #[error("cannot read image {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Underlying I/O error.
        source: std::io::Error,
    },
    /// The content is not a decodable JPEG or PNG (corrupt, truncated, other format).
    #[error("cannot decode image {}: {source}", path.display())]
    Decode {
        /// The file.
        path: PathBuf,
        /// Underlying decoder error.
        source: image::ImageError,
    },
    /// Decoded, but its size does not allow the pipeline (e.g. empty).
    #[error("cannot preprocess image {}: {source}", path.display())]
    Shape {
        /// The file.
        path: PathBuf,
        /// What is wrong with the size.
        source: ShapeError,
    },
}

impl PreprocessError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            PreprocessError::Read { path, .. }
            | PreprocessError::Decode { path, .. }
            | PreprocessError::Shape { path, .. } => path,
        }
    }
}

/// A validated preprocessing configuration: resize shorter side, center crop,
/// normalise, lay out.
#[derive(Debug, Clone, PartialEq)]
pub struct Preprocess {
    resize: u32,
    crop: u32,
    interpolation: Interpolation,
    normalize: Normalize,
    layout: Layout,
    channel_order: ChannelOrder,
}

impl Preprocess {
    /// Checks and builds a configuration: `0 < crop <= resize`, finite non-zero
    /// divisor and std. `resize` is the target of the shorter side, `crop` the
    /// side of the square center crop (the tensor's spatial size).
    pub fn new(
        resize: u32,
        crop: u32,
        interpolation: Interpolation,
        normalize: Normalize,
        layout: Layout,
        channel_order: ChannelOrder,
    ) -> Result<Self, ConfigError> {
        if resize == 0 || crop == 0 {
            return Err(ConfigError::ZeroSize { resize, crop });
        }
        if crop > resize {
            return Err(ConfigError::CropLargerThanResize { resize, crop });
        }
        normalize.validate()?;
        Ok(Preprocess {
            resize,
            crop,
            interpolation,
            normalize,
            layout,
            channel_order,
        })
    }

    /// The classic torchvision ImageNet evaluation transform: resize 256
    /// bilinear, crop 224, ImageNet mean/std, NCHW, RGB.
    pub fn imagenet() -> Self {
        Preprocess {
            resize: 256,
            crop: 224,
            interpolation: Interpolation::Bilinear,
            normalize: Normalize::IMAGENET,
            layout: Layout::Nchw,
            channel_order: ChannelOrder::Rgb,
        }
    }

    /// Shorter-side resize target.
    pub fn resize(&self) -> u32 {
        self.resize
    }
    /// Center-crop side (the tensor's height and width).
    pub fn crop(&self) -> u32 {
        self.crop
    }
    /// Resampling filter.
    pub fn interpolation(&self) -> Interpolation {
        self.interpolation
    }
    /// Normalisation.
    pub fn normalize(&self) -> Normalize {
        self.normalize
    }
    /// Output layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }
    /// Output channel order.
    pub fn channel_order(&self) -> ChannelOrder {
        self.channel_order
    }

    /// Tensor shape: `[1, 3, S, S]` for NCHW, `[1, S, S, 3]` for NHWC.
    pub fn input_shape(&self) -> [usize; 4] {
        let s = self.crop as usize;
        match self.layout {
            Layout::Nchw => [1, 3, s, s],
            Layout::Nhwc => [1, s, s, 3],
        }
    }

    /// Number of `f32` values in the tensor (`3 * S * S`).
    pub fn input_len(&self) -> usize {
        3 * (self.crop as usize) * (self.crop as usize)
    }

    /// Decodes, resizes, crops and normalises the image file at `path`.
    pub fn load(&self, path: &Path) -> Result<Vec<f32>, PreprocessError> {
        let img = decode_file(path)?;
        self.apply(&img).map_err(|source| PreprocessError::Shape {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Resizes, crops and normalises an already decoded RGB image.
    ///
    /// Fails only for an empty image (any non-empty image is large enough,
    /// since `crop <= resize` is checked by [`Preprocess::new`]).
    pub fn apply(&self, img: &RgbImage) -> Result<Vec<f32>, ShapeError> {
        let cropped = self.resize_and_crop(img)?;
        let mut out = vec![0.0; self.input_len()];
        self.write_tensor(&cropped, &mut out);
        Ok(out)
    }

    /// The `u8` image the tensor is made from: resized and center-cropped,
    /// before normalisation (what PIL holds before `ToTensor`).
    ///
    /// Only the cropped region is computed, with the same result as
    /// [`resize_shorter`] followed by [`center_crop`].
    pub fn resize_and_crop(&self, img: &RgbImage) -> Result<RgbImage, ShapeError> {
        let (w, h) = img.dimensions();
        if w == 0 || h == 0 {
            return Err(ShapeError::Empty {
                width: w,
                height: h,
            });
        }
        let (nw, nh) = shorter_side_size(w, h, self.resize);
        let s = self.crop;
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
            self.interpolation,
            Region {
                left,
                top,
                width: s,
                height: s,
            },
        )
    }

    /// Normalises a `crop x crop` image into `out` (length [`Self::input_len`]).
    ///
    /// # Panics
    /// If `img` is not `crop x crop` or `out` has the wrong length.
    pub fn write_tensor(&self, img: &RgbImage, out: &mut [f32]) {
        assert_eq!(img.dimensions(), (self.crop, self.crop), "image size");
        assert_eq!(out.len(), self.input_len(), "tensor length");
        let table = self.normalize.table();
        // Output channel k takes source (RGB) channel src[k].
        let src = match self.channel_order {
            ChannelOrder::Rgb => [0, 1, 2],
            ChannelOrder::Bgr => [2, 1, 0],
        };
        let raw = img.as_raw();
        let plane = (self.crop as usize) * (self.crop as usize);
        match self.layout {
            Layout::Nchw => {
                for (k, &c) in src.iter().enumerate() {
                    let dst = &mut out[k * plane..(k + 1) * plane];
                    for (o, px) in dst.iter_mut().zip(raw.chunks_exact(3)) {
                        *o = table[c][px[c] as usize];
                    }
                }
            }
            Layout::Nhwc => {
                for (o, px) in out.chunks_exact_mut(3).zip(raw.chunks_exact(3)) {
                    for (k, &c) in src.iter().enumerate() {
                        o[k] = table[c][px[c] as usize];
                    }
                }
            }
        }
    }
}

impl Default for Preprocess {
    fn default() -> Self {
        Preprocess::imagenet()
    }
}

/// Reads and decodes an image file into 8-bit RGB, as PIL's
/// `Image.open(path).convert("RGB")`. The format is guessed from the content.
pub fn decode_file(path: &Path) -> Result<RgbImage, PreprocessError> {
    let bytes = std::fs::read(path).map_err(|source| PreprocessError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    decode_bytes(&bytes).map_err(|source| PreprocessError::Decode {
        path: path.to_path_buf(),
        source,
    })
}

/// Decodes an in-memory JPEG or PNG into 8-bit RGB (see [`decode_file`]).
pub fn decode_bytes(bytes: &[u8]) -> Result<RgbImage, image::ImageError> {
    Ok(to_rgb8_like_pil(image::load_from_memory(bytes)?))
}

/// `convert("RGB")`: grey replicated, alpha dropped (not composited), 16-bit
/// samples reduced to their high byte.
fn to_rgb8_like_pil(img: DynamicImage) -> RgbImage {
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
struct Region {
    left: u32,
    top: u32,
    width: u32,
    height: u32,
}

/// Computes only `region` of the `width x height` resize of `img`
/// (`img` non-empty, `region` non-empty and inside `width x height`).
fn resize_region(
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

/// Center crop to `s x s` with torchvision's offsets
/// (`top = round((h - s) / 2)`, round half to even).
pub fn center_crop(img: &RgbImage, s: u32) -> Result<RgbImage, ShapeError> {
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 {
        return Err(ShapeError::Empty {
            width: w,
            height: h,
        });
    }
    if s == 0 || s > w || s > h {
        return Err(ShapeError::SmallerThanCrop {
            width: w,
            height: h,
            crop: s,
        });
    }
    let (left, top) = crop_offsets(w, h, s);
    Ok(image::imageops::crop_imm(img, left, top, s, s).to_image())
}

/// `(left, top)` of torchvision's center crop of `s x s` out of `w x h`
/// (`s <= w`, `s <= h`).
pub fn crop_offsets(w: u32, h: u32, s: u32) -> (u32, u32) {
    // round(d / 2) with ties to even: d even -> d/2; d odd -> (d±1)/2, whichever is even.
    fn half_round_even(d: u32) -> u32 {
        let q = d / 2;
        if d % 2 == 1 && q % 2 == 1 {
            q + 1
        } else {
            q
        }
    }
    (half_round_even(w - s), half_round_even(h - s))
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
    use super::*;
    use image::{ImageEncoder, Rgb};
    use proptest::prelude::*;

    fn rgb(w: u32, h: u32, data: &[u8]) -> RgbImage {
        RgbImage::from_raw(w, h, data.to_vec()).unwrap()
    }

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
    fn one_pixel_image() {
        let one = rgb(1, 1, &[10, 20, 30]);
        assert_eq!(
            resized(&one, 3, 2, Interpolation::Bicubic),
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
        assert_eq!(p.apply(&one).unwrap(), [10.0, 20.0, 30.0].repeat(9));
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
                p.resize_and_crop(&img).unwrap().into_raw(),
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
            assert_eq!(p.apply(&img).unwrap().len(), 3 * 224 * 224);
        }
        assert_eq!(shorter_side_size(1, u32::MAX, 256), (256, u32::MAX));
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

    #[test]
    fn crop_offsets_round_half_to_even() {
        // (w - s) / 2: 0 -> 0, 0.5 -> 0, 1 -> 1, 1.5 -> 2, 2.5 -> 2, 3.5 -> 4
        assert_eq!(crop_offsets(224, 224, 224), (0, 0));
        assert_eq!(crop_offsets(225, 226, 224), (0, 1));
        assert_eq!(crop_offsets(227, 229, 224), (2, 2));
        assert_eq!(crop_offsets(231, 256, 224), (4, 16));
        assert_eq!(crop_offsets(341, 256, 224), (58, 16)); // 58.5 -> 58
        assert_eq!(crop_offsets(256, 343, 224), (16, 60)); // 59.5 -> 60
    }

    #[test]
    fn center_crop_takes_the_right_pixels() {
        // 5x4 image whose pixel (x, y) holds (x, y, 0).
        let img = RgbImage::from_fn(5, 4, |x, y| Rgb([x as u8, y as u8, 0]));
        let c = center_crop(&img, 2).unwrap();
        // left = round(1.5) = 2, top = round(1.0) = 1
        assert_eq!(c.get_pixel(0, 0), &Rgb([2, 1, 0]));
        assert_eq!(c.get_pixel(1, 1), &Rgb([3, 2, 0]));
        assert_eq!(
            center_crop(&img, 4).unwrap().get_pixel(0, 0),
            &Rgb([0, 0, 0])
        );
    }

    #[test]
    fn crop_larger_than_image_is_an_error() {
        let img = RgbImage::new(5, 4);
        let e = center_crop(&img, 5).unwrap_err();
        assert_eq!(
            e,
            ShapeError::SmallerThanCrop {
                width: 5,
                height: 4,
                crop: 5
            }
        );
        assert_eq!(
            e.to_string(),
            "image is 5x4, smaller than the 5x5 center crop"
        );
        assert!(center_crop(&RgbImage::new(0, 0), 1).is_err());
        assert!(resize_shorter(&RgbImage::new(0, 3), 4, Interpolation::Bilinear).is_err());
        assert!(resize_exact(&img, 0, 3, Interpolation::Bicubic).is_err());
    }

    /// Bit patterns from torchvision `ToTensor()` + `Normalize(IMAGENET)` on
    /// pixels (0, 128, 255) and (1, 254, 37), CHW order.
    #[test]
    fn imagenet_normalisation_is_bit_exact_with_torchvision() {
        let img = rgb(2, 1, &[0, 128, 255, 1, 254, 37]);
        let n = Normalize::IMAGENET;
        let got: Vec<u32> = [(0, 0), (0, 1), (1, 128), (1, 254), (2, 255), (2, 37)]
            .iter()
            .map(|&(c, v)| n.apply(c, v).to_bits())
            .collect();
        let want = [
            0xc0078bbd, 0xc006732b, 0x3e521b48, 0x401a4ee0, 0x4028f5c3, 0xbf946c99,
        ];
        assert_eq!(got, want);
        // Through write_tensor, in NCHW.
        let p = Preprocess::new(
            1,
            1,
            Interpolation::Bilinear,
            n,
            Layout::Nchw,
            ChannelOrder::Rgb,
        )
        .unwrap();
        let mut out = vec![0.0; 3];
        p.write_tensor(&center_crop(&img, 1).unwrap(), &mut out);
        assert_eq!(
            out.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            [want[0], want[2], want[4]]
        );
    }

    #[test]
    fn symmetric_127_normalisation() {
        let n = Normalize::SYMMETRIC_127;
        assert_eq!(n.apply(0, 0), -127.0 / 128.0);
        assert_eq!(n.apply(1, 127), 0.0);
        assert_eq!(n.apply(2, 255), 1.0);
    }

    fn identity_norm() -> Normalize {
        Normalize {
            divisor: 1.0,
            mean: [0.0; 3],
            std: [1.0; 3],
        }
    }

    #[test]
    fn nchw_nhwc_and_bgr_placement() {
        // 2x2 image, pixel (x, y) = (10*x + y, 100 + ..., 200 + ...)
        let img = RgbImage::from_fn(2, 2, |x, y| {
            let v = (10 * x + y) as u8;
            Rgb([v, 100 + v, 200 + v])
        });
        let mk = |layout, order| {
            let p = Preprocess::new(2, 2, Interpolation::Nearest, identity_norm(), layout, order)
                .unwrap();
            p.apply(&img).unwrap()
        };
        // NCHW: out[c*4 + y*2 + x]
        let nchw = mk(Layout::Nchw, ChannelOrder::Rgb);
        assert_eq!(nchw[0..4], [0.0, 10.0, 1.0, 11.0]);
        assert_eq!(nchw[4..8], [100.0, 110.0, 101.0, 111.0]);
        // NCHW index of (c, y, x) is c*H*W + y*W + x; NHWC is (y*W + x)*C + c.
        let (c, y, x) = (1, 1, 0);
        assert_eq!(nchw[c * 4 + y * 2 + x], 101.0);
        let nhwc = mk(Layout::Nhwc, ChannelOrder::Rgb);
        assert_eq!(nhwc[..6], [0.0, 100.0, 200.0, 10.0, 110.0, 210.0]);
        let (c, y, x) = (2, 1, 0);
        assert_eq!(nhwc[(y * 2 + x) * 3 + c], 201.0);
        // BGR swaps channels 0 and 2.
        let bgr = mk(Layout::Nchw, ChannelOrder::Bgr);
        assert_eq!(bgr[0..4], [200.0, 210.0, 201.0, 211.0]);
        assert_eq!(bgr[8..12], [0.0, 10.0, 1.0, 11.0]);
        let bgr_hwc = mk(Layout::Nhwc, ChannelOrder::Bgr);
        assert_eq!(bgr_hwc[..3], [200.0, 100.0, 0.0]);
    }

    #[test]
    fn mean_and_std_are_in_rgb_order_even_for_bgr() {
        let img = rgb(1, 1, &[10, 20, 30]);
        let n = Normalize {
            divisor: 1.0,
            mean: [1.0, 2.0, 3.0],
            std: [1.0, 2.0, 3.0],
        };
        let p = Preprocess::new(
            1,
            1,
            Interpolation::Bilinear,
            n,
            Layout::Nchw,
            ChannelOrder::Bgr,
        )
        .unwrap();
        // blue (30 - 3) / 3 first, red (10 - 1) / 1 last
        assert_eq!(p.apply(&img).unwrap(), [9.0, 9.0, 9.0]);
    }

    #[test]
    fn input_shape_and_len() {
        let p = Preprocess::imagenet();
        assert_eq!(p.input_shape(), [1, 3, 224, 224]);
        assert_eq!(p.input_len(), 3 * 224 * 224);
        let q = Preprocess::new(
            292,
            260,
            Interpolation::Bicubic,
            Normalize::IMAGENET,
            Layout::Nhwc,
            ChannelOrder::Rgb,
        )
        .unwrap();
        assert_eq!(q.input_shape(), [1, 260, 260, 3]);
        assert_eq!(
            q.apply(&RgbImage::new(300, 400)).unwrap().len(),
            3 * 260 * 260
        );
    }

    #[test]
    fn invalid_configs_are_rejected() {
        let new = |r, c, n| {
            Preprocess::new(
                r,
                c,
                Interpolation::Bilinear,
                n,
                Layout::Nchw,
                ChannelOrder::Rgb,
            )
        };
        assert!(matches!(
            new(224, 256, Normalize::IMAGENET),
            Err(ConfigError::CropLargerThanResize { .. })
        ));
        assert!(matches!(
            new(0, 0, Normalize::IMAGENET),
            Err(ConfigError::ZeroSize { .. })
        ));
        let mut bad = Normalize::IMAGENET;
        bad.std[1] = 0.0;
        assert!(matches!(
            new(256, 224, bad),
            Err(ConfigError::BadNormalize(_))
        ));
        let mut bad = Normalize::IMAGENET;
        bad.divisor = f32::NAN;
        assert!(new(256, 224, bad).is_err());
        assert_eq!(
            "Bicubic".parse::<Interpolation>(),
            Ok(Interpolation::Bicubic)
        );
        assert!("lanczos".parse::<Interpolation>().is_err());
    }

    fn tmp_file(name: &str, bytes: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("edgeperf-preprocess-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn png_bytes(buf: &[u8], w: u32, h: u32, ct: image::ExtendedColorType) -> Vec<u8> {
        let mut v = Vec::new();
        image::codecs::png::PngEncoder::new(&mut v)
            .write_image(buf, w, h, ct)
            .unwrap();
        v
    }

    #[test]
    fn missing_file_error_names_the_path() {
        let p = Path::new("/nonexistent/dir/cat.jpg");
        let e = Preprocess::imagenet().load(p).unwrap_err();
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
        let e = Preprocess::imagenet().load(&p).unwrap_err();
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
        assert_eq!(pp.load(&p).unwrap(), pp.apply(&img).unwrap());
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
            prop_assert_eq!(p.resize_and_crop(&img).unwrap(), two_step);
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
            let out = p.apply(&RgbImage::from_pixel(w, h, Rgb([1, 2, 3]))).unwrap();
            prop_assert_eq!(out.len(), p.input_len());
        }
    }
}
