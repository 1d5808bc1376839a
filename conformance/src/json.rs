//! JSON comparisons.
//!
//! The workspace builds serde_json with `preserve_order` and `arbitrary_precision`:
//! [`Value`] equality is insensitive to key order (maps compare like `IndexMap`, by key),
//! but numbers compare by their literal text (`1` != `1.0`). Expectations of the manifest
//! are compared with [`json_eq`], where numbers compare by value; metadata round trips are
//! compared exactly (apart from key order) with [`json_diff_exact`].

use serde_json::{Number, Value};

/// Whether two numbers are equal by value: integers exactly (any size), otherwise as `f64`.
pub fn numbers_eq(a: &Number, b: &Number) -> bool {
    let (sa, sb) = (a.to_string(), b.to_string());
    if sa == sb {
        return true;
    }
    let is_int = |s: &str| !s.contains(['.', 'e', 'E']);
    if is_int(&sa) && is_int(&sb) {
        return match (sa.parse::<i128>(), sb.parse::<i128>()) {
            (Ok(x), Ok(y)) => x == y,
            // Beyond i128: compare the digits without a redundant sign of zero.
            _ => {
                sa.trim_start_matches('-') == sb.trim_start_matches('-')
                    && (sa.starts_with('-') == sb.starts_with('-'))
            }
        };
    }
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// Structural JSON equality with numbers compared by value and maps by key.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    json_diff(a, b, true).is_none()
}

/// The path and values of the first difference (numbers by value), or `None`.
pub fn json_diff_numeric(a: &Value, b: &Value) -> Option<String> {
    json_diff(a, b, true)
}

/// The path and values of the first difference (numbers by literal text, key order
/// ignored), or `None`.
pub fn json_diff_exact(a: &Value, b: &Value) -> Option<String> {
    json_diff(a, b, false)
}

fn json_diff(a: &Value, b: &Value, numeric: bool) -> Option<String> {
    let mut path = String::from("$");
    diff_at(a, b, numeric, &mut path)
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 120 {
        let mut t: String = s.chars().take(117).collect();
        t.push_str("...");
        t
    } else {
        s
    }
}

fn diff_at(a: &Value, b: &Value, numeric: bool, path: &mut String) -> Option<String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let eq = if numeric { numbers_eq(x, y) } else { x == y };
            (!eq).then(|| format!("at {path}: {x} vs {y}"))
        }
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                let Some(w) = y.get(k) else {
                    return Some(format!("at {path}: member {k:?} only on the left"));
                };
                let len = path.len();
                path.push('.');
                path.push_str(k);
                let d = diff_at(v, w, numeric, path);
                path.truncate(len);
                if d.is_some() {
                    return d;
                }
            }
            y.keys()
                .find(|k| !x.contains_key(*k))
                .map(|k| format!("at {path}: member {k:?} only on the right"))
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Some(format!("at {path}: {} vs {}", short(a), short(b)));
            }
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let d = diff_at(v, w, numeric, path);
                path.truncate(len);
                if d.is_some() {
                    return d;
                }
            }
            None
        }
        _ => (a != b).then(|| format!("at {path}: {} vs {}", short(a), short(b))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(s: &str) -> Result<Value, serde_json::Error> {
        serde_json::from_str(s)
    }

    #[test]
    fn map_equality_ignores_key_order() -> Result<(), serde_json::Error> {
        // With `preserve_order`, serde_json's Map keeps insertion order but compares by key.
        let a = parse(r#"{"a": 1, "b": {"x": [1, 2], "y": null}}"#)?;
        let b = parse(r#"{"b": {"y": null, "x": [1, 2]}, "a": 1}"#)?;
        assert_eq!(a, b);
        assert_eq!(json_diff_exact(&a, &b), None);
        let ka: Vec<_> = a
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        assert_eq!(ka, vec!["a".to_string(), "b".to_string()]);
        Ok(())
    }

    #[test]
    fn numbers_by_value_or_literal() -> Result<(), serde_json::Error> {
        let (i, f) = (parse("0")?, parse("0.0")?);
        // arbitrary_precision keeps the literal: exact comparison sees a difference.
        assert!(json_diff_exact(&i, &f).is_some());
        assert!(json_eq(&i, &f));
        assert!(json_eq(&parse("1e2")?, &parse("100")?));
        assert!(!json_eq(&parse("1.5")?, &parse("1")?));
        let big = parse("123456789012345678901234567890")?;
        assert!(json_eq(&big, &parse("123456789012345678901234567890")?));
        assert!(!json_eq(&big, &parse("123456789012345678901234567891")?));
        assert!(json_eq(&parse("18446744073709551615")?, &json!(u64::MAX)));
        assert!(!json_eq(&json!("NaN"), &json!(0)));
        Ok(())
    }

    #[test]
    fn diff_names_the_path() {
        let a = json!({"a": {"b": [1, 2, 3]}});
        let b = json!({"a": {"b": [1, 5, 3]}});
        let d = json_diff_numeric(&a, &b).unwrap_or_default();
        assert!(d.contains("$.a.b[1]"), "{d}");
        let d = json_diff_numeric(&json!({"a": 1}), &json!({"a": 1, "c": 2})).unwrap_or_default();
        assert!(d.contains("\"c\""), "{d}");
    }
}
