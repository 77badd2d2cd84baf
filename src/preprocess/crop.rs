//! torchvision's `CenterCrop`: offsets rounded half to even, as Python's `round`.

use image::RgbImage;

use super::error::ShapeError;

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

#[cfg(test)]
mod tests {
    use super::super::{resize_exact, resize_shorter};
    use super::*;
    use crate::suite::Interpolation;
    use image::Rgb;

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
}
