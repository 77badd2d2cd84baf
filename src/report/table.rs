//! A minimal aligned text table (no dependencies, widths in chars).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

#[derive(Debug, Clone)]
pub struct Table {
    headers: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[(&str, Align)]) -> Table {
        Table {
            headers: headers.iter().map(|(h, a)| (h.to_string(), *a)).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Renders with two spaces between columns and a dashed rule under the header.
    /// Cells may contain ANSI colour codes; they do not count towards widths.
    pub fn render(&self) -> String {
        let n = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|(h, _)| visible_len(h)).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(n) {
                widths[i] = widths[i].max(visible_len(c));
            }
        }
        let mut out = String::new();
        let line = |cells: Vec<&str>, out: &mut String| {
            let mut parts = Vec::new();
            for (i, c) in cells.iter().enumerate() {
                let pad = widths[i].saturating_sub(visible_len(c));
                let last = i + 1 == n;
                parts.push(match self.headers[i].1 {
                    Align::Left if last => c.to_string(),
                    Align::Left => format!("{c}{}", " ".repeat(pad)),
                    Align::Right => format!("{}{c}", " ".repeat(pad)),
                });
            }
            out.push_str(parts.join("  ").trim_end());
            out.push('\n');
        };
        line(
            self.headers.iter().map(|(h, _)| h.as_str()).collect(),
            &mut out,
        );
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        line(rule.iter().map(String::as_str).collect(), &mut out);
        for r in &self.rows {
            let mut cells: Vec<&str> = r.iter().map(String::as_str).collect();
            cells.resize(n, "");
            line(cells, &mut out);
        }
        out
    }
}

/// Length in chars, ignoring ANSI escape sequences.
pub fn visible_len(s: &str) -> usize {
    let mut n = 0;
    let mut in_esc = false;
    for c in s.chars() {
        if in_esc {
            if c.is_ascii_alphabetic() {
                in_esc = false;
            }
        } else if c == '\x1b' {
            in_esc = true;
        } else {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_and_ignores_ansi() {
        let mut t = Table::new(&[("name", Align::Left), ("ms", Align::Right)]);
        t.row(vec!["a".into(), "1.50".into()]);
        t.row(vec!["long-name".into(), "\x1b[31m12.00\x1b[0m".into()]);
        let s = t.render();
        assert_eq!(
            s,
            "name          ms\n---------  -----\na           1.50\nlong-name  \x1b[31m12.00\x1b[0m\n"
        );
    }
}
