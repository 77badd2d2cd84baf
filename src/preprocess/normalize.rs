//! Normalisation and layout: the resized, cropped `u8` image becomes the `f32`
//! tensor the model reads (`(x / divisor - mean[c]) / std[c]`, NCHW or NHWC,
//! RGB or BGR).

use image::RgbImage;

use crate::suite::{ChannelOrder, Layout, Normalize};

/// 256-entry lookup table per RGB channel: `table[c][x]` is
/// [`Normalize::apply`]`(c, x)`.
fn table(n: &Normalize) -> [[f32; 256]; 3] {
    let mut t = [[0.0; 256]; 3];
    for (c, row) in t.iter_mut().enumerate() {
        for (v, out) in row.iter_mut().enumerate() {
            *out = n.apply(c, v as u8);
        }
    }
    t
}

/// Writes `img` into `out` (length `3 * width * height`) as normalised values,
/// laid out as `layout` with the channels in `order`.
pub(super) fn write_tensor(
    img: &RgbImage,
    normalize: &Normalize,
    layout: Layout,
    order: ChannelOrder,
    out: &mut [f32],
) {
    let table = table(normalize);
    // Output channel k takes source (RGB) channel src[k].
    let src = match order {
        ChannelOrder::Rgb => [0, 1, 2],
        ChannelOrder::Bgr => [2, 1, 0],
    };
    let raw = img.as_raw();
    let plane = (img.width() as usize) * (img.height() as usize);
    debug_assert_eq!(out.len(), 3 * plane);
    match layout {
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

#[cfg(test)]
mod tests {
    use super::super::test_support::{identity_norm, rgb};
    use super::super::{apply, center_crop, write_tensor};
    use super::*;
    use crate::suite::{Interpolation, Preprocess};
    use image::Rgb;

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
        write_tensor(&p, &center_crop(&img, 1).unwrap(), &mut out);
        assert_eq!(
            out.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            [want[0], want[2], want[4]]
        );
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
            apply(&p, &img).unwrap()
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
        assert_eq!(apply(&p, &img).unwrap(), [9.0, 9.0, 9.0]);
    }
}
