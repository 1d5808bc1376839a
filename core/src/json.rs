//! JSON as Zarr implementations write it: zarr-python (through Python's `json` module)
//! writes non-finite floats as the bare tokens `NaN`, `Infinity` and `-Infinity` — in
//! `.zattrs` and `zarr.json` attributes whenever an attribute is a non-finite float (CF
//! metadata often is), and in V2 `fill_value`s. Standard JSON has no such tokens and
//! `serde_json` refuses them, so metadata documents are read through [`parse`], which turns
//! each bare token (outside strings) into a marker string ([`NAN`], [`INFINITY`],
//! [`NEG_INFINITY`]), and written through [`to_vec_pretty`], which turns the markers back
//! into bare tokens: a document round-trips as it was read. Fill value parsers accept the
//! markers as the corresponding non-finite values.

use serde_json::Value;

/// The marker string a bare `NaN` token reads as.
pub const NAN: &str = "__zarrkit_json_NaN__";
/// The marker string a bare `Infinity` token reads as.
pub const INFINITY: &str = "__zarrkit_json_Infinity__";
/// The marker string a bare `-Infinity` token reads as.
pub const NEG_INFINITY: &str = "__zarrkit_json_-Infinity__";

/// The token a marker string stands for, if it is one.
pub fn non_finite_token(s: &str) -> Option<&'static str> {
    match s {
        NAN => Some("NaN"),
        INFINITY => Some("Infinity"),
        NEG_INFINITY => Some("-Infinity"),
        _ => None,
    }
}

/// A JSON value as a float: numbers, and the markers of bare non-finite tokens (so an
/// attribute zarr-python wrote as `NaN` reads as `f64::NAN`). `None` for anything else.
pub fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::String(s) => match non_finite_token(s)? {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            _ => Some(f64::NEG_INFINITY),
        },
        other => other.as_f64(),
    }
}

/// A value with any marker string replaced by the V3 fill value spelling of the same number
/// (`"NaN"`, `"Infinity"`, `"-Infinity"`), for fill value parsers.
pub fn normalise_fill_value(v: &Value) -> Value {
    match v {
        Value::String(s) => match non_finite_token(s) {
            Some(t) => Value::String(t.into()),
            None => v.clone(),
        },
        _ => v.clone(),
    }
}

/// Parse JSON that may hold bare `NaN` / `Infinity` / `-Infinity` tokens.
pub fn parse(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    match serde_json::from_slice(bytes) {
        Ok(v) => Ok(v),
        Err(e) => match replace_tokens(bytes) {
            // Only worth a second parse if there was a token to replace.
            Some(fixed) => serde_json::from_slice(&fixed),
            None => Err(e),
        },
    }
}

/// The bytes with every bare non-finite token outside strings replaced by its quoted
/// marker, or `None` if there is none.
fn replace_tokens(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() + 64);
    let mut in_string = false;
    let mut escaped = false;
    let mut replaced = false;
    let mut i = 0;
    let boundary =
        |b: Option<&u8>| b.is_none_or(|c| !(c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.'));
    while i < bytes.len() {
        let c = bytes[i];
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        if c == b'"' {
            in_string = true;
            out.push(c);
            i += 1;
            continue;
        }
        let before = if i == 0 { None } else { bytes.get(i - 1) };
        let mut matched = false;
        for (token, marker) in [
            ("-Infinity", NEG_INFINITY),
            ("Infinity", INFINITY),
            ("NaN", NAN),
        ] {
            let t = token.as_bytes();
            if bytes[i..].starts_with(t) && boundary(before) && boundary(bytes.get(i + t.len())) {
                out.push(b'"');
                out.extend_from_slice(marker.as_bytes());
                out.push(b'"');
                i += t.len();
                matched = true;
                replaced = true;
                break;
            }
        }
        if !matched {
            out.push(c);
            i += 1;
        }
    }
    replaced.then_some(out)
}

/// Pretty JSON with marker strings written back as bare tokens.
pub fn to_vec_pretty(v: &Value) -> Vec<u8> {
    let out = serde_json::to_vec_pretty(v).unwrap_or_default();
    if !contains_marker(v) {
        return out;
    }
    let mut s = String::from_utf8(out).unwrap_or_default();
    for (marker, token) in [
        (NAN, "NaN"),
        (INFINITY, "Infinity"),
        (NEG_INFINITY, "-Infinity"),
    ] {
        s = s.replace(&format!("\"{marker}\""), token);
    }
    s.into_bytes()
}

fn contains_marker(v: &Value) -> bool {
    match v {
        Value::String(s) => non_finite_token(s).is_some(),
        Value::Array(a) => a.iter().any(contains_marker),
        Value::Object(m) => m.values().any(contains_marker),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_tokens_round_trip() -> Result<(), serde_json::Error> {
        let text = br#"{"a": NaN, "b": [Infinity, -Infinity, 1.5], "c": "NaN in a string", "d": "x\"NaN", "e": {"NaN": -1}}"#;
        let v = parse(text)?;
        assert_eq!(v["a"], Value::String(NAN.into()));
        assert_eq!(v["b"][1], Value::String(NEG_INFINITY.into()));
        assert_eq!(v["c"], Value::String("NaN in a string".into()));
        assert_eq!(v["d"], Value::String("x\"NaN".into()));
        let out = String::from_utf8(to_vec_pretty(&v)).unwrap_or_default();
        assert!(out.contains("\"a\": NaN"), "{out}");
        assert!(out.contains("Infinity,"), "{out}");
        assert!(out.contains("-Infinity"), "{out}");
        assert!(out.contains("\"NaN in a string\""), "{out}");
        assert_eq!(parse(out.as_bytes())?, v);
        // Words that merely contain the tokens are not tokens: still invalid JSON.
        assert!(parse(b"{\"a\": NaNa}").is_err());
        assert!(parse(b"{\"a\": xNaN}").is_err());
        // Plain JSON is untouched.
        assert_eq!(parse(b"[1, 2]")?, serde_json::json!([1, 2]));
        Ok(())
    }
}
