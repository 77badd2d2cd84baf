//! How a model's input is made, as configuration: resize the shorter side,
//! center-crop, normalise, lay out ([`Preprocess`] and its parts). Plain data,
//! validated when built; the adapter that decodes and resizes images
//! (`crate::preprocess`) takes it as its recipe.

use std::fmt;

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

    /// The same preprocessing writing `layout` (a model's TFLite file is NHWC).
    pub fn with_layout(&self, layout: Layout) -> Preprocess {
        Preprocess {
            layout,
            ..self.clone()
        }
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
}

impl Default for Preprocess {
    fn default() -> Self {
        Preprocess::imagenet()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(q.with_layout(Layout::Nchw).input_shape(), [1, 3, 260, 260]);
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

    #[test]
    fn symmetric_127_normalisation() {
        let n = Normalize::SYMMETRIC_127;
        assert_eq!(n.apply(0, 0), -127.0 / 128.0);
        assert_eq!(n.apply(1, 127), 0.0);
        assert_eq!(n.apply(2, 255), 1.0);
    }
}
