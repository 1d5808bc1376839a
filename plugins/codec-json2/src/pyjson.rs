//! The JSON that Python's `json` module writes and reads, as far as numcodecs' `JSON` codec
//! uses it: strings escaped as `json.encoder` escapes them, floats formatted as
//! `float.__repr__` (plus `NaN`, `Infinity`, `-Infinity`), lists laid out as
//! `JSONEncoder.iterencode` lays them out (indentation, separators); and a reader of the
//! same grammar as `json.loads` (the three constants included), which scans a document
//! without allocating and decodes strings into a caller's buffer.

use std::fmt::Write as _;

/// How lists are laid out: `indent` (`None`: one line) and the item separator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The indentation of one level (`None`: no newlines).
    pub indent: Option<String>,
    /// The separator between list items (`","` compact, `", "` with an indent).
    pub item_separator: String,
}

/// Write `s` as a JSON string: `ensure_ascii` escapes everything outside printable ASCII
/// (0x20–0x7E) as `\uXXXX` (lowercase hex, surrogate pairs above the BMP), as
/// `json.encoder.encode_basestring_ascii` does; otherwise only `"`, `\` and control
/// characters (0x00–0x1F) are escaped (`encode_basestring`). Both use `\" \\ \b \f \n \r \t`.
pub fn write_str(out: &mut String, s: &str, ensure_ascii: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if ensure_ascii && (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{:04x}", u);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Python's `float.__repr__` of a finite `x`: the shortest digits that round-trip, in fixed
/// notation when the decimal exponent is in `-4 < e <= 16` (with `.0` when there is no
/// fraction: `1.0`, `1000000000000000.0`), otherwise in exponent notation with a sign and at
/// least two exponent digits (`1e+16`, `1e-05`, `1.5e+300`).
pub fn write_float_repr(out: &mut String, x: f64) {
    if x == 0.0 {
        out.push_str(if x.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    // Rust's `{:e}` gives the shortest round-trip digits (as Python's repr does) in
    // scientific form: `-1.2345e-5`.
    let s = format!("{x:e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((s.as_str(), "0"));
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let exp: i64 = exp.parse().unwrap_or(0);
    let (digits, exp) = half_even_tie(x.abs(), digits, exp);
    // Python's `decpt`: the value is 0.DIGITS × 10^decpt.
    let decpt = exp + 1;
    if negative {
        out.push('-');
    }
    let n = digits.len() as i64;
    if decpt <= -4 || decpt > 16 {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let e = decpt - 1;
        let _ = write!(
            out,
            "e{}{:02}",
            if e < 0 { '-' } else { '+' },
            e.unsigned_abs()
        );
    } else if decpt <= 0 {
        out.push_str("0.");
        for _ in 0..(-decpt) {
            out.push('0');
        }
        out.push_str(&digits);
    } else if decpt >= n {
        out.push_str(&digits);
        for _ in 0..(decpt - n) {
            out.push('0');
        }
        out.push_str(".0");
    } else {
        let (a, b) = digits.split_at(decpt as usize);
        out.push_str(a);
        out.push('.');
        out.push_str(b);
    }
}

/// Python's dtoa (David Gay's, mode 0) and Rust's shortest formatting agree on the number of
/// digits and on the nearest candidate, but when the float lies exactly halfway between the
/// two shortest candidates (`2070621081755639.25`: `…639.2` and `…639.3` both round-trip)
/// dtoa rounds half to even and Rust up. `digits` (no point) × 10^`exp` is Rust's choice
/// for the positive finite `x`; returns Python's.
fn half_even_tie(x: f64, digits: String, exp: i64) -> (String, i64) {
    let n = digits.len();
    let last_odd = digits
        .as_bytes()
        .last()
        .is_some_and(|d| (d - b'0') % 2 == 1);
    if !last_odd {
        return (digits, exp);
    }
    // A tie needs the exact value to have exactly n + 1 significant digits, the last a 5.
    let exact = format!("{x:.800e}");
    let Some((m, e)) = exact.split_once('e') else {
        return (digits, exp);
    };
    let mut exact_digits: String = m.chars().filter(|c| *c != '.').collect();
    while exact_digits.ends_with('0') {
        exact_digits.pop();
    }
    let exact_exp: i64 = e.parse().unwrap_or(0);
    if exact_digits.len() != n + 1 || !exact_digits.ends_with('5') || exact_exp != exp {
        return (digits, exp);
    }
    let down = &exact_digits[..n];
    let other = if down == digits {
        // Round up instead (with carry).
        let mut b: Vec<u8> = down.bytes().collect();
        let mut i = b.len();
        loop {
            if i == 0 {
                b.insert(0, b'1');
                break;
            }
            i -= 1;
            if b[i] == b'9' {
                b[i] = b'0';
            } else {
                b[i] += 1;
                break;
            }
        }
        let carried = b.len() > n;
        let mut s = String::from_utf8(b).unwrap_or_default();
        while s.len() > 1 && s.ends_with('0') {
            s.pop();
        }
        (s, if carried { exp + 1 } else { exp })
    } else {
        let mut s = down.to_string();
        while s.len() > 1 && s.ends_with('0') {
            s.pop();
        }
        (s, exp)
    };
    // Keep dtoa's even candidate only if it reads back as `x`.
    let (d, e) = &other;
    let text = format!("{d}e{}", e - (d.len() as i64 - 1));
    if text.parse::<f64>().ok() == Some(x) {
        other
    } else {
        (digits, exp)
    }
}

/// `json.dumps` of a float: `NaN`, `Infinity`, `-Infinity` (when `allow_nan`) or the repr.
pub fn write_float(out: &mut String, x: f64, allow_nan: bool) -> Result<(), String> {
    if x.is_finite() {
        write_float_repr(out, x);
        return Ok(());
    }
    if !allow_nan {
        return Err(format!(
            "out of range float value {x} is not JSON compliant (allow_nan is false)"
        ));
    }
    out.push_str(if x.is_nan() {
        "NaN"
    } else if x > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    });
    Ok(())
}

impl Layout {
    /// Write a list of `n` items at nesting `level` (0 = the document), each written by
    /// `item(i, level + 1)`, as `JSONEncoder.iterencode` does: `[]` when empty; otherwise
    /// with an indent each item on its own line, the separator (trailing space included)
    /// ending the line before the next.
    pub fn write_list<E>(
        &self,
        out: &mut String,
        level: usize,
        n: usize,
        mut item: impl FnMut(&mut String, usize, usize) -> Result<(), E>,
    ) -> Result<(), E> {
        if n == 0 {
            out.push_str("[]");
            return Ok(());
        }
        out.push('[');
        self.newline(out, level + 1);
        for i in 0..n {
            if i > 0 {
                out.push_str(&self.item_separator);
                self.newline(out, level + 1);
            }
            item(out, i, level + 1)?;
        }
        self.newline(out, level);
        out.push(']');
        Ok(())
    }

    fn newline(&self, out: &mut String, level: usize) {
        if let Some(indent) = &self.indent {
            out.push('\n');
            for _ in 0..level {
                out.push_str(indent);
            }
        }
    }
}

/// A scalar read from the document.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar<'a> {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer literal (no fraction, no exponent): its text.
    Int(&'a str),
    /// A number with a fraction or an exponent: its text.
    Float(&'a str),
    /// `NaN`, `Infinity` or `-Infinity`.
    Special(f64),
    /// A string, decoded into the caller's buffer.
    Str,
}

/// What starts at a value's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// `[`.
    List,
    /// `{`.
    Object,
    /// Anything else (a scalar).
    Scalar,
}

/// A reader over a JSON document (Python's grammar: whitespace is space, tab, newline and
/// carriage return; numbers `-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?`; the constants `NaN`,
/// `Infinity`, `-Infinity`). `strict` refuses raw control characters in strings. Every
/// error says where.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    s: &'a [u8],
    text: &'a str,
    /// The position of the next byte.
    pub pos: usize,
    strict: bool,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `text`.
    pub fn new(text: &'a str, strict: bool) -> Self {
        Self {
            s: text.as_bytes(),
            text,
            pos: 0,
            strict,
        }
    }

    /// An error at the current position.
    pub fn error(&self, what: impl std::fmt::Display) -> String {
        format!("invalid JSON at byte {}: {what}", self.pos)
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    /// Skip whitespace.
    pub fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Whether everything has been read.
    pub fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    /// Skip whitespace, then consume `b` or fail naming `what`.
    pub fn expect(&mut self, b: u8, what: &str) -> Result<(), String> {
        self.ws();
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(format!("expected {what}")))
        }
    }

    /// Skip whitespace, then consume `b` if it is next.
    pub fn eat(&mut self, b: u8) -> bool {
        self.ws();
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Skip whitespace and say what kind of value starts next.
    pub fn start(&mut self) -> Start {
        self.ws();
        match self.peek() {
            Some(b'[') => Start::List,
            Some(b'{') => Start::Object,
            _ => Start::Scalar,
        }
    }

    /// Skip one whole value (validating it), without recursion or allocation.
    pub fn skip_value(&mut self) -> Result<(), String> {
        let mut scratch = Vec::new();
        // `depth` counts open lists and objects; `expect_value` is false right after a
        // value inside a container (a `,` or the closing bracket must follow).
        let mut stack: u64 = 0; // bit i: 1 = object at depth i (up to 64 deep tracked)
        let mut depth: usize = 0;
        loop {
            // A value.
            match self.start() {
                Start::List => {
                    self.pos += 1;
                    if self.eat(b']') {
                        // empty
                    } else {
                        if depth < 64 {
                            stack &= !(1u64 << depth);
                        }
                        depth += 1;
                        continue;
                    }
                }
                Start::Object => {
                    self.pos += 1;
                    if self.eat(b'}') {
                        // empty
                    } else {
                        if depth >= 64 {
                            return Err(self.error("objects nested more than 64 deep"));
                        }
                        stack |= 1u64 << depth;
                        depth += 1;
                        self.object_key(&mut scratch)?;
                        continue;
                    }
                }
                Start::Scalar => {
                    scratch.clear();
                    self.scalar(&mut scratch)?;
                }
            }
            // After a value: close containers or move to the next item.
            loop {
                if depth == 0 {
                    return Ok(());
                }
                let in_object = depth <= 64 && stack & (1u64 << (depth - 1)) != 0;
                if self.eat(b',') {
                    if in_object {
                        self.object_key(&mut scratch)?;
                    }
                    break;
                }
                if self.eat(if in_object { b'}' } else { b']' }) {
                    depth -= 1;
                    continue;
                }
                return Err(self.error(if in_object {
                    "expected ',' or '}'"
                } else {
                    "expected ',' or ']'"
                }));
            }
        }
    }

    fn object_key(&mut self, scratch: &mut Vec<u8>) -> Result<(), String> {
        self.ws();
        if self.peek() != Some(b'"') {
            return Err(self.error("expected a string key"));
        }
        scratch.clear();
        self.string(scratch)?;
        self.expect(b':', "':'")
    }

    /// Read a scalar (strings are decoded into `buf`, which is appended to). A list or an
    /// object is an error.
    pub fn scalar(&mut self, buf: &mut Vec<u8>) -> Result<Scalar<'a>, String> {
        self.ws();
        let rest = &self.s[self.pos.min(self.s.len())..];
        let lit = |name: &str| rest.starts_with(name.as_bytes());
        match self.peek() {
            Some(b'"') => {
                self.string(buf)?;
                Ok(Scalar::Str)
            }
            Some(b'n') if lit("null") => {
                self.pos += 4;
                Ok(Scalar::Null)
            }
            Some(b't') if lit("true") => {
                self.pos += 4;
                Ok(Scalar::Bool(true))
            }
            Some(b'f') if lit("false") => {
                self.pos += 5;
                Ok(Scalar::Bool(false))
            }
            Some(b'N') if lit("NaN") => {
                self.pos += 3;
                Ok(Scalar::Special(f64::NAN))
            }
            Some(b'I') if lit("Infinity") => {
                self.pos += 8;
                Ok(Scalar::Special(f64::INFINITY))
            }
            Some(b'-') if lit("-Infinity") => {
                self.pos += 9;
                Ok(Scalar::Special(f64::NEG_INFINITY))
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[' | b'{') => Err(self.error("expected a scalar, found a list or an object")),
            Some(_) => Err(self.error("expected a value")),
            None => Err(self.error("unexpected end of the document")),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Scalar<'a>, String> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error("expected a digit")),
        }
        let mut float = false;
        // Python's number pattern takes a fraction or an exponent only when complete
        // (`1.` is the number 1 followed by a stray `.`, which the caller then rejects).
        if self.peek() == Some(b'.') && matches!(self.s.get(self.pos + 1), Some(b'0'..=b'9')) {
            self.pos += 1;
            self.digits();
            float = true;
        }
        if let Some(b'e' | b'E') = self.peek() {
            let save = self.pos;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                self.pos = save;
            } else {
                float = true;
            }
        }
        let text = &self.text[start..self.pos];
        Ok(if float {
            Scalar::Float(text)
        } else {
            Scalar::Int(text)
        })
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let h = self
            .s
            .get(self.pos..self.pos + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| self.error("invalid \\uXXXX escape"))?;
        self.pos += 4;
        Ok(h)
    }

    /// Read a string (at its opening quote), appending its UTF-8 to `buf`. A lone surrogate
    /// escape (which Python keeps in a `str`) cannot be UTF-8 and is an error.
    pub fn string(&mut self, buf: &mut Vec<u8>) -> Result<(), String> {
        self.pos += 1;
        loop {
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || (b < 0x20 && self.strict) {
                    break;
                }
                self.pos += 1;
            }
            buf.extend_from_slice(&self.s[run_start..self.pos]);
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let e = self
                        .peek()
                        .ok_or_else(|| self.error("unterminated string"))?;
                    self.pos += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let u = self.hex4()?;
                            let cp = if (0xd800..0xdc00).contains(&u) {
                                // A high surrogate combines with a following low one.
                                if self.s.get(self.pos..self.pos + 2) == Some(b"\\u") {
                                    let save = self.pos;
                                    self.pos += 2;
                                    let lo = self.hex4()?;
                                    if (0xdc00..0xe000).contains(&lo) {
                                        0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00)
                                    } else {
                                        self.pos = save;
                                        u
                                    }
                                } else {
                                    u
                                }
                            } else {
                                u
                            };
                            char::from_u32(cp).ok_or_else(|| {
                                self.error(format!(
                                    "lone surrogate \\u{cp:04x} (a Python str that is not valid UTF-8)"
                                ))
                            })?
                        }
                        _ => return Err(self.error("invalid escape")),
                    };
                    let mut tmp = [0u8; 4];
                    buf.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
                }
                Some(_) => return Err(self.error("control character in a string (strict)")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repr(x: f64) -> String {
        let mut s = String::new();
        write_float_repr(&mut s, x);
        s
    }

    #[test]
    fn float_repr_like_python() {
        for (x, want) in [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (-0.0, "-0.0"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1234567890123456.0, "1234567890123456.0"),
            (12345678901234567.0, "1.2345678901234568e+16"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e300, "1.5e+300"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (123.456, "123.456"),
            (-2.5e-7, "-2.5e-07"),
            (0.10000000149011612, "0.10000000149011612"),
        ] {
            assert_eq!(repr(x), want, "{x:e}");
        }
    }

    #[test]
    fn strings_like_python() {
        let mut s = String::new();
        write_str(&mut s, "a\"\\\u{8}\u{c}\n\r\t\u{1}\u{7f}é😀", true);
        assert_eq!(s, r#""a\"\\\b\f\n\r\t\u0001\u007f\u00e9\ud83d\ude00""#);
        s.clear();
        write_str(&mut s, "a\"\u{1}\u{7f}é😀", false);
        assert_eq!(s, "\"a\\\"\\u0001\u{7f}é😀\"");
    }

    #[test]
    fn reads_strings_and_rejects_bad_ones() {
        let mut b = Vec::new();
        let mut r = Reader::new(r#""a\u00e9\ud83d\ude00\/\n""#, true);
        assert_eq!(r.scalar(&mut b), Ok(Scalar::Str));
        assert_eq!(std::str::from_utf8(&b), Ok("aé😀/\n"));
        for bad in [
            "\"abc",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"a\nb\"",
        ] {
            b.clear();
            assert!(Reader::new(bad, true).scalar(&mut b).is_err(), "{bad}");
        }
        b.clear();
        assert!(Reader::new("\"a\nb\"", false).scalar(&mut b).is_ok());
    }

    #[test]
    fn skips_nested_values() {
        let doc = r#"[1, {"a": [true, null, {"b": "]"}]}, [[], [NaN, -Infinity]], "x"] 7"#;
        let mut r = Reader::new(doc, true);
        assert_eq!(r.skip_value(), Ok(()));
        r.ws();
        assert_eq!(&doc[r.pos..], "7");
        for bad in [
            "[1,]",
            "[1 2]",
            "{\"a\" 1}",
            "{1: 2}",
            "[",
            "[[]",
            "-",
            "01x",
        ] {
            let mut r = Reader::new(bad, true);
            let ok = r.skip_value().is_ok() && {
                r.ws();
                r.at_end()
            };
            assert!(!ok, "{bad}");
        }
        // Deep nesting is handled without recursion.
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        assert_eq!(Reader::new(&deep, true).skip_value(), Ok(()));
    }
}
