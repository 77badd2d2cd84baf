//! The protocol buffers wire format, read: enough to walk the fields of a
//! message (varints, fixed 32/64-bit values, length-delimited bytes) with every
//! length checked against the buffer, so a truncated or corrupt file is an error
//! naming the byte offset, never a panic. No schema, no code generation: the
//! ONNX messages in `onnx.rs` say which field is which.

/// One field's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32(u32),
}

impl<'a> Value<'a> {
    pub fn as_u64(self) -> Option<u64> {
        match self {
            Value::Varint(v) | Value::Fixed64(v) => Some(v),
            Value::Fixed32(v) => Some(v as u64),
            Value::Bytes(_) => None,
        }
    }
    pub fn as_i64(self) -> Option<i64> {
        self.as_u64().map(|v| v as i64)
    }
    pub fn as_bytes(self) -> Option<&'a [u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }
    pub fn as_str(self) -> Option<String> {
        self.as_bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }
}

/// The fields of one message, in order.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Where `buf` starts in the file, for error messages.
    base: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader {
            buf,
            pos: 0,
            base: 0,
        }
    }

    /// A reader of a nested message found at `offset` in the file.
    pub fn nested(buf: &'a [u8], offset: usize) -> Reader<'a> {
        Reader {
            buf,
            pos: 0,
            base: offset,
        }
    }

    /// The file offset of the next field.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err(format!(
                    "a varint runs past the end at byte {}",
                    self.offset()
                ));
            };
            self.pos += 1;
            if shift == 63 && b > 1 {
                return Err(format!("a varint is too long at byte {}", self.offset()));
            }
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(format!("a varint is too long at byte {}", self.offset()))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        let Some(end) = end else {
            return Err(format!(
                "a field of {n} bytes at byte {} runs past the end of the data",
                self.offset()
            ));
        };
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// The next field: its number, the file offset of its value, and the value;
    /// `None` at the end of the message.
    #[allow(clippy::type_complexity)]
    pub fn next_field(&mut self) -> Result<Option<(u32, usize, Value<'a>)>, String> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let at = self.offset();
        let key = self.varint()?;
        let field = (key >> 3) as u32;
        if field == 0 {
            return Err(format!("field number 0 at byte {at} (not protobuf data)"));
        }
        let start = self.offset();
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => Value::Fixed64(u64::from_le_bytes(
                self.take(8)?.try_into().expect("8 bytes"),
            )),
            2 => {
                let n = self.varint()?;
                let n = usize::try_from(n).map_err(|_| format!("a length of {n} at byte {at}"))?;
                let start = self.offset();
                return Ok(Some((field, start, Value::Bytes(self.take(n)?))));
            }
            5 => Value::Fixed32(u32::from_le_bytes(
                self.take(4)?.try_into().expect("4 bytes"),
            )),
            w => {
                return Err(format!(
                    "wire type {w} at byte {at} (not protobuf data, or groups)"
                ))
            }
        };
        Ok(Some((field, start, value)))
    }
}

/// The integers of a repeated integer field: one element (unpacked) or a
/// packed run of varints.
pub fn ints(v: Value<'_>, offset: usize, out: &mut Vec<i64>) -> Result<(), String> {
    match v {
        Value::Bytes(b) => {
            let mut r = Reader::nested(b, offset);
            while r.pos < b.len() {
                out.push(r.varint()? as i64);
            }
            Ok(())
        }
        other => {
            out.extend(other.as_i64());
            Ok(())
        }
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A protobuf writer for hand-built test messages.
    #[derive(Default, Clone)]
    pub struct Enc(pub Vec<u8>);

    impl Enc {
        pub fn varint(mut self, mut v: u64) -> Self {
            loop {
                let b = (v & 0x7f) as u8;
                v >>= 7;
                if v == 0 {
                    self.0.push(b);
                    return self;
                }
                self.0.push(b | 0x80);
            }
        }
        pub fn int(self, field: u32, v: i64) -> Self {
            self.varint((field as u64) << 3).varint(v as u64)
        }
        pub fn bytes(self, field: u32, b: &[u8]) -> Self {
            let mut e = self
                .varint(((field as u64) << 3) | 2)
                .varint(b.len() as u64);
            e.0.extend_from_slice(b);
            e
        }
        pub fn str(self, field: u32, s: &str) -> Self {
            self.bytes(field, s.as_bytes())
        }
        pub fn msg(self, field: u32, m: Enc) -> Self {
            self.bytes(field, &m.0)
        }
        pub fn f32(self, field: u32, v: f32) -> Self {
            let mut e = self.varint(((field as u64) << 3) | 5);
            e.0.extend_from_slice(&v.to_le_bytes());
            e
        }
        pub fn packed(self, field: u32, vs: &[i64]) -> Self {
            let body = vs.iter().fold(Enc::default(), |e, &v| e.varint(v as u64));
            self.bytes(field, &body.0)
        }
    }

    #[test]
    fn fields_are_read_in_order_with_their_types() {
        let e = Enc::default()
            .int(1, 300)
            .str(2, "conv")
            .f32(3, 1.5)
            .packed(4, &[1, 3, 224]);
        let mut r = Reader::new(&e.0);
        let (f, _, v) = r.next_field().unwrap().unwrap();
        assert_eq!((f, v.as_i64()), (1, Some(300)));
        let (f, _, v) = r.next_field().unwrap().unwrap();
        assert_eq!((f, v.as_str().as_deref()), (2, Some("conv")));
        let (_, _, v) = r.next_field().unwrap().unwrap();
        assert_eq!(v, Value::Fixed32(1.5f32.to_bits()));
        let (_, at, v) = r.next_field().unwrap().unwrap();
        let mut out = vec![];
        ints(v, at, &mut out).unwrap();
        assert_eq!(out, vec![1, 3, 224]);
        assert!(r.next_field().unwrap().is_none());
    }

    #[test]
    fn truncated_or_foreign_bytes_are_errors_naming_the_offset() {
        let e = Enc::default().str(2, "a longer string");
        let cut = &e.0[..6];
        let err = Reader::new(cut).next_field().unwrap_err();
        assert!(err.contains("runs past the end"), "{err}");
        let err = Reader::new(&[0x80]).next_field().unwrap_err();
        assert!(err.contains("varint runs past the end at byte 1"), "{err}");
        let err = Reader::new(&[0x0b]).next_field().unwrap_err();
        assert!(err.contains("wire type 3 at byte 0"), "{err}");
        let err = Reader::new(&[0x00]).next_field().unwrap_err();
        assert!(err.contains("field number 0"), "{err}");
        let err = Reader::new(&[
            0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
        ])
        .next_field()
        .unwrap_err();
        assert!(err.contains("too long"), "{err}");
    }
}
