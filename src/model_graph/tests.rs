//! The graph readers on small hand-built files: ONNX protobufs written field by
//! field with the test encoder of `wire.rs`, and a TFLite flatbuffer laid out by
//! the builder below.

use super::wire::tests::Enc;
use super::*;

fn dims_msg(dims: &[i64]) -> Enc {
    // TensorShapeProto { dim { dim_value } ... }
    dims.iter().fold(Enc::default(), |e, &d| {
        let dim = if d < 0 {
            Enc::default().str(2, "N")
        } else {
            Enc::default().int(1, d)
        };
        e.msg(1, dim)
    })
}

fn value_info(name: &str, dims: &[i64]) -> Enc {
    let tensor = Enc::default().int(1, 1).msg(2, dims_msg(dims));
    Enc::default()
        .str(1, name)
        .msg(2, Enc::default().msg(1, tensor))
}

fn initializer(name: &str, dims: &[i64]) -> Enc {
    let n: i64 = dims.iter().product();
    Enc::default()
        .packed(1, dims)
        .int(2, 1)
        .str(8, name)
        .bytes(9, &vec![0u8; 4 * n as usize])
}

fn int64_initializer(name: &str, values: &[i64]) -> Enc {
    let raw: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    Enc::default()
        .packed(1, &[values.len() as i64])
        .int(2, 7)
        .str(8, name)
        .bytes(9, &raw)
}

fn node(name: &str, op: &str, ins: &[&str], outs: &[&str], attrs: Vec<Enc>) -> Enc {
    let mut e = Enc::default();
    for i in ins {
        e = e.str(1, i);
    }
    for o in outs {
        e = e.str(2, o);
    }
    e = e.str(3, name).str(4, op);
    for a in attrs {
        e = e.msg(5, a);
    }
    e
}

fn ints_attr(name: &str, v: &[i64]) -> Enc {
    Enc::default().str(1, name).packed(8, v).int(20, 7)
}

fn int_attr(name: &str, v: i64) -> Enc {
    Enc::default().str(1, name).int(3, v).int(20, 2)
}

/// input [batch,3,8,8] -> Conv 4x3x3x3 (pad 1) -> Relu -> GlobalAveragePool ->
/// Reshape [1,-1] -> Gemm (10x4, transB) -> output. `extra` adds a 1x1 Conv
/// after the Relu.
fn tiny_onnx(batch: i64, opset: i64, extra: bool) -> Vec<u8> {
    let mut g = Enc::default()
        .msg(
            1,
            node(
                "conv0",
                "Conv",
                &["input", "w0", "b0"],
                &["c0"],
                vec![
                    ints_attr("pads", &[1, 1, 1, 1]),
                    ints_attr("kernel_shape", &[3, 3]),
                ],
            ),
        )
        .msg(1, node("relu0", "Relu", &["c0"], &["r0"], vec![]));
    let mut last = "r0";
    if extra {
        g = g.msg(
            1,
            node(
                "extra",
                "Conv",
                &["r0", "we"],
                &["e0"],
                vec![int_attr("group", 1)],
            ),
        );
        last = "e0";
    }
    g = g
        .msg(
            1,
            node("gap", "GlobalAveragePool", &[last], &["p0"], vec![]),
        )
        .msg(
            1,
            node("flat", "Reshape", &["p0", "shape"], &["f0"], vec![]),
        )
        .msg(
            1,
            node(
                "fc",
                "Gemm",
                &["f0", "w1", "b1"],
                &["logits"],
                vec![int_attr("transB", 1)],
            ),
        )
        .str(2, "tiny")
        .msg(5, initializer("w0", &[4, 3, 3, 3]))
        .msg(5, initializer("b0", &[4]))
        .msg(5, initializer("w1", &[10, 4]))
        .msg(5, initializer("b1", &[10]))
        .msg(5, int64_initializer("shape", &[1, -1]))
        .msg(11, value_info("input", &[batch, 3, 8, 8]))
        .msg(12, value_info("logits", &[batch, 10]));
    if extra {
        g = g.msg(5, initializer("we", &[4, 4, 1, 1]));
    }
    Enc::default()
        .int(1, 7)
        .str(2, "hand")
        .str(3, "1.0")
        .msg(7, g)
        .msg(8, Enc::default().str(1, "").int(2, opset))
        .0
}

#[test]
fn a_hand_built_onnx_model_reads_with_its_macs_and_parameters() {
    let g = onnx_graph(&tiny_onnx(1, 13, false), None).unwrap();
    assert_eq!(g.format, "onnx");
    assert_eq!(g.producer, "hand 1.0");
    assert_eq!(g.opsets, vec!["ai.onnx 13"]);
    assert_eq!(g.inputs, vec!["input float[1,3,8,8]"]);
    let ops: Vec<&str> = g.nodes.iter().map(|n| n.op_type.as_str()).collect();
    assert_eq!(
        ops,
        ["Conv", "Relu", "GlobalAveragePool", "Reshape", "Gemm"]
    );
    // Conv: 1 x 4 x 8 x 8 outputs x 3 x 3 x 3; Gemm: 1 x 10 x 4.
    assert_eq!(g.nodes[0].macs, Some(4 * 64 * 27));
    assert_eq!(
        g.nodes[4].macs,
        Some(40),
        "the Reshape's constant shape flows to the Gemm"
    );
    assert_eq!(g.params, 108 + 4 + 40 + 10 + 2);
    let s = g.summary();
    assert_eq!((s.macs, s.macs_unknown), (6912 + 40, 0));
}

#[test]
fn a_dynamic_batch_takes_the_suites_input_shape_or_leaves_macs_unknown() {
    let bytes = tiny_onnx(-1, 13, false);
    let fed = onnx_graph(&bytes, Some(&[1, 3, 8, 8])).unwrap();
    assert_eq!(fed.inputs, vec!["input float[N,3,8,8]"]);
    assert_eq!(fed.summary().macs, 6952);
    let unknown = onnx_graph(&bytes, None).unwrap().summary();
    assert_eq!((unknown.macs, unknown.macs_unknown), (0, 2));
}

#[test]
fn the_graph_diff_lists_an_added_convolution_and_a_new_opset() {
    let base = onnx_graph(&tiny_onnx(1, 13, false), None).unwrap();
    let head = onnx_graph(&tiny_onnx(1, 17, true), None).unwrap();
    let d = crate::explain::graph::diff(&base, &head);
    assert_eq!(d.nodes_added, vec!["extra (Conv)"]);
    assert_eq!(d.head.macs - d.base.macs, 4 * 4 * 64);
    assert_eq!(d.head.params - d.base.params, 16);
    assert_eq!(d.base.opsets, vec!["ai.onnx 13"]);
    assert_eq!(d.head.opsets, vec!["ai.onnx 17"]);
}

#[test]
fn corrupt_or_foreign_bytes_are_one_line_errors() {
    let bytes = tiny_onnx(1, 13, false);
    let cut = onnx_graph(&bytes[..bytes.len() - 30], None).unwrap_err();
    assert!(cut.contains("runs past the end"), "{cut}");
    let jpeg = onnx_graph(&[0xff, 0xd8, 0xff, 0xe0, 0, 16, b'J', b'F'], None).unwrap_err();
    assert!(!jpeg.is_empty());
    let empty = onnx_graph(&Enc::default().int(1, 7).0, None).unwrap_err();
    assert!(empty.contains("not an ONNX model"), "{empty}");
    assert!(!empty.contains('\n') && !cut.contains('\n'));
}

#[test]
fn a_graph_past_the_node_limit_is_refused() {
    let one = Enc::default().msg(1, node("", "Relu", &["x"], &["x"], vec![]));
    let mut g = Vec::with_capacity(one.0.len() * (MAX_NODES + 1));
    for _ in 0..=MAX_NODES {
        g.extend_from_slice(&one.0);
    }
    let m = Enc::default().int(1, 7).bytes(7, &g).0;
    let e = onnx_graph(&m, None).unwrap_err();
    assert!(e.contains("more than 200000 nodes"), "{e}");
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("huge.onnx");
    std::fs::write(&p, &m).unwrap();
    assert!(matches!(read(&p, None), Err(Unread::TooLarge(_))));
}

#[test]
fn a_file_is_read_with_its_sha256_and_errors_name_it() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("m.onnx");
    let bytes = tiny_onnx(1, 13, false);
    std::fs::write(&p, &bytes).unwrap();
    let g = read(&p, None).unwrap();
    assert_eq!(g.sha256, crate::fs::sha256_bytes(&bytes));
    std::fs::write(&p, &bytes[..10]).unwrap();
    let e = read(&p, None).unwrap_err().one_line();
    assert!(
        e.starts_with(&p.display().to_string()) && e.contains("cannot read the ONNX graph"),
        "{e}"
    );
    let missing = read(&d.path().join("none.onnx"), None)
        .unwrap_err()
        .one_line();
    assert!(missing.contains("none.onnx"), "{missing}");
}

/// A flatbuffer laid out front to back: a table's vtable right before it, its
/// children after it (uoffsets point forward).
enum Fb {
    U32(u32),
    U8(u8),
    Table(Vec<Option<Fb>>),
    Tables(Vec<Fb>),
    Ints(Vec<i32>),
    Bytes(Vec<u8>),
    Str(&'static str),
}

fn put_u32(buf: &mut [u8], at: usize, v: u32) {
    buf[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// Writes `n` (a reference kind) and returns where it starts.
fn write(buf: &mut Vec<u8>, n: &Fb) -> usize {
    match n {
        Fb::Table(fields) => {
            let vt = buf.len();
            let nf = fields.len();
            buf.extend(vec![0u8; 4 + 2 * nf]);
            let t = buf.len();
            buf.extend((t as u32 - vt as u32).to_le_bytes());
            let mut refs = vec![];
            for (i, f) in fields.iter().enumerate() {
                let Some(f) = f else { continue };
                let off = (buf.len() - t) as u16;
                buf[vt + 4 + 2 * i..vt + 6 + 2 * i].copy_from_slice(&off.to_le_bytes());
                match f {
                    Fb::U32(v) => buf.extend(v.to_le_bytes()),
                    Fb::U8(v) => buf.push(*v),
                    child => {
                        refs.push((buf.len(), child));
                        buf.extend([0; 4]);
                    }
                }
            }
            let size = (buf.len() - t) as u16;
            buf[vt..vt + 2].copy_from_slice(&((4 + 2 * nf) as u16).to_le_bytes());
            buf[vt + 2..vt + 4].copy_from_slice(&size.to_le_bytes());
            for (at, child) in refs {
                let c = write(buf, child);
                put_u32(buf, at, (c - at) as u32);
            }
            t
        }
        Fb::Tables(items) => {
            let v = buf.len();
            buf.extend((items.len() as u32).to_le_bytes());
            let slots = buf.len();
            buf.extend(vec![0u8; 4 * items.len()]);
            for (k, it) in items.iter().enumerate() {
                let c = write(buf, it);
                put_u32(buf, slots + 4 * k, (c - (slots + 4 * k)) as u32);
            }
            v
        }
        Fb::Ints(xs) => {
            let v = buf.len();
            buf.extend((xs.len() as u32).to_le_bytes());
            xs.iter().for_each(|x| buf.extend(x.to_le_bytes()));
            v
        }
        Fb::Bytes(b) => {
            let v = buf.len();
            buf.extend((b.len() as u32).to_le_bytes());
            buf.extend(b);
            v
        }
        Fb::Str(s) => write(buf, &Fb::Bytes(s.as_bytes().to_vec())),
        Fb::U32(_) | Fb::U8(_) => unreachable!("scalars are written inline"),
    }
}

fn tensor(name: &'static str, shape: Vec<i32>, buffer: u32) -> Fb {
    Fb::Table(vec![
        Some(Fb::Ints(shape)),
        Some(Fb::U8(0)),
        Some(Fb::U32(buffer)),
        Some(Fb::Str(name)),
    ])
}

/// CONV_2D of a [1,4,4,3] input with a [2,3,3,3] filter into [1,4,4,2].
fn tiny_tflite() -> Vec<u8> {
    let model = Fb::Table(vec![
        Some(Fb::U32(3)),
        Some(Fb::Tables(vec![Fb::Table(vec![
            None,
            None,
            Some(Fb::U32(1)),
            Some(Fb::U32(3)),
        ])])),
        Some(Fb::Tables(vec![Fb::Table(vec![
            Some(Fb::Tables(vec![
                tensor("image", vec![1, 4, 4, 3], 0),
                tensor("conv/filter", vec![2, 3, 3, 3], 1),
                tensor("conv/Relu", vec![1, 4, 4, 2], 0),
            ])),
            Some(Fb::Ints(vec![0])),
            Some(Fb::Ints(vec![2])),
            Some(Fb::Tables(vec![Fb::Table(vec![
                Some(Fb::U32(0)),
                Some(Fb::Ints(vec![0, 1])),
                Some(Fb::Ints(vec![2])),
            ])])),
        ])])),
        Some(Fb::Str("hand")),
        Some(Fb::Tables(vec![
            Fb::Table(vec![]),
            Fb::Table(vec![Some(Fb::Bytes(vec![0; 2 * 27 * 4]))]),
        ])),
    ]);
    let mut buf = vec![0u8; 8];
    buf[4..8].copy_from_slice(b"TFL3");
    let root = write(&mut buf, &model);
    put_u32(&mut buf, 0, root as u32);
    buf
}

#[test]
fn a_hand_built_tflite_model_reads_with_its_macs_and_weights() {
    let bytes = tiny_tflite();
    let g = tflite::graph(&bytes).unwrap();
    assert_eq!(g.format, "tflite");
    assert_eq!(g.producer, "TFLite schema 3 (hand)");
    assert_eq!(g.opsets, vec!["CONV_2D v1"]);
    assert_eq!(g.inputs, vec!["image float32[1,4,4,3]"]);
    assert_eq!(g.nodes.len(), 1);
    assert_eq!(g.nodes[0].name, "conv/Relu");
    assert_eq!(g.nodes[0].op_type, "CONV_2D");
    assert_eq!(g.nodes[0].macs, Some(32 * 27));
    assert_eq!(g.params, 54);
}

#[test]
fn a_truncated_tflite_model_is_an_error_not_a_crash() {
    let bytes = tiny_tflite();
    for cut in [9, 40, bytes.len() / 2, bytes.len() - 5] {
        let r = tflite::graph(&bytes[..cut]);
        assert!(r.is_err(), "cut at {cut} of {}", bytes.len());
    }
    assert!(tflite::graph(b"12345678").unwrap_err().contains("TFL3"));
}
