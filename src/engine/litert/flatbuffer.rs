//! Bounds checks of the parts of a TFLite flatbuffer (schema.fbs `Model`) that
//! LiteRT follows when it loads a model: every table, vector and buffer the model
//! references must lie inside the file.
//! LiteRT 1.4.0 does not verify a model before it reads it, so a truncated file
//! crashes the process (SIGSEGV); these checks turn that into an error.

/// A bounds-checked view of a flatbuffer.
struct Fb<'a>(&'a [u8]);

type R<T> = std::result::Result<T, &'static str>;

impl Fb<'_> {
    fn u16(&self, at: usize) -> Option<u16> {
        Some(u16::from_le_bytes(self.0.get(at..at + 2)?.try_into().ok()?))
    }
    fn u32(&self, at: usize) -> Option<u32> {
        Some(u32::from_le_bytes(self.0.get(at..at + 4)?.try_into().ok()?))
    }
    fn u64(&self, at: usize) -> Option<u64> {
        Some(u64::from_le_bytes(self.0.get(at..at + 8)?.try_into().ok()?))
    }
    /// The position of field `i` of the table at `t`, if present.
    fn field(&self, t: usize, i: usize, what: &'static str) -> R<Option<usize>> {
        let soff = self.u32(t).ok_or(what)? as i32 as i64;
        let vt = usize::try_from(t as i64 - soff).map_err(|_| what)?;
        let vt_len = self.u16(vt).ok_or(what)? as usize;
        if 4 + 2 * i + 2 > vt_len {
            return Ok(None);
        }
        match self.u16(vt + 4 + 2 * i).ok_or(what)? {
            0 => Ok(None),
            o => Ok(Some(t + o as usize)),
        }
    }
    /// Follows the uoffset stored at `at`.
    fn deref(&self, at: usize, what: &'static str) -> R<usize> {
        let target = at + self.u32(at).ok_or(what)? as usize;
        if target >= self.0.len() {
            return Err(what);
        }
        Ok(target)
    }
    /// The vector that field `i` of table `t` points to: (first element, length),
    /// checked to fit `elem` bytes per element.
    fn vector(
        &self,
        t: usize,
        i: usize,
        elem: usize,
        what: &'static str,
    ) -> R<Option<(usize, usize)>> {
        let Some(f) = self.field(t, i, what)? else {
            return Ok(None);
        };
        let v = self.deref(f, what)?;
        let n = self.u32(v).ok_or(what)? as usize;
        let end = (v + 4)
            .checked_add(n.checked_mul(elem).ok_or(what)?)
            .ok_or(what)?;
        if end > self.0.len() {
            return Err(what);
        }
        Ok(Some((v + 4, n)))
    }
    /// The tables of a vector of tables.
    fn tables(&self, t: usize, i: usize, what: &'static str) -> R<Vec<usize>> {
        match self.vector(t, i, 4, what)? {
            None => Ok(Vec::new()),
            Some((first, n)) => (0..n).map(|k| self.deref(first + 4 * k, what)).collect(),
        }
    }
}

/// Checks a whole `.tflite` file's structure; the error names the part at fault.
pub fn check_model(bytes: &[u8]) -> R<()> {
    let fb = Fb(bytes);
    let model = fb.deref(0, "the root table")?;
    fb.field(model, 0, "the model table")?;
    for sg in fb.tables(model, 2, "the subgraph list")? {
        for t in fb.tables(sg, 0, "a subgraph's tensor list")? {
            fb.vector(t, 0, 4, "a tensor's shape")?;
        }
        fb.vector(sg, 1, 4, "a subgraph's inputs")?;
        fb.vector(sg, 2, 4, "a subgraph's outputs")?;
        for op in fb.tables(sg, 3, "a subgraph's operator list")? {
            fb.vector(op, 1, 4, "an operator's inputs")?;
            fb.vector(op, 2, 4, "an operator's outputs")?;
        }
    }
    for b in fb.tables(model, 4, "the buffer list")? {
        fb.vector(b, 0, 1, "a weights buffer")?;
        // Buffers stored after the flatbuffer (models over 2 GB): offset + size.
        if let (Some(o), Some(s)) = (fb.field(b, 1, "a buffer")?, fb.field(b, 2, "a buffer")?) {
            let (off, size) = (fb.u64(o).ok_or("a buffer")?, fb.u64(s).ok_or("a buffer")?);
            if off > 1 && off.checked_add(size).is_none_or(|e| e > bytes.len() as u64) {
                return Err("an external weights buffer");
            }
        }
    }
    Ok(())
}
