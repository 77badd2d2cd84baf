//! What can go wrong turning an image file into a tensor; every error names the
//! file, and becomes the crate's error as it is.

use std::path::{Path, PathBuf};

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

impl From<PreprocessError> for crate::Error {
    fn from(e: PreprocessError) -> crate::Error {
        let (verb, path, source): (_, _, Box<dyn std::error::Error + Send + Sync>) = match e {
            PreprocessError::Read { path, source } => ("read", path, Box::new(source)),
            PreprocessError::Decode { path, source } => ("decode", path, Box::new(source)),
            PreprocessError::Shape { path, source } => ("preprocess", path, Box::new(source)),
        };
        crate::Error::Image { verb, path, source }
    }
}
