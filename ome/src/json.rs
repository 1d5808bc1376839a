//! A small JSON reader that names the path of every error (`ome.multiscales[0].axes[2].type`).

use serde_json::{Map, Number, Value};

use crate::OmeError;

/// An object being read, with its JSON path. Members read are removed from `rest`, so what
/// is left are the unknown members (kept for writing back).
pub(crate) struct Obj {
    pub path: String,
    pub rest: Map<String, Value>,
}

pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

pub(crate) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

pub(crate) fn err(path: &str, msg: impl Into<String>) -> OmeError {
    OmeError::Invalid {
        path: path.to_string(),
        message: msg.into(),
    }
}

impl Obj {
    pub fn new(path: &str, v: &Value) -> Result<Self, OmeError> {
        match v {
            Value::Object(m) => Ok(Self {
                path: path.to_string(),
                rest: m.clone(),
            }),
            v => Err(err(path, format!("must be an object, not {}", kind(v)))),
        }
    }

    pub fn p(&self, key: &str) -> String {
        join(&self.path, key)
    }

    pub fn take(&mut self, key: &str) -> Option<Value> {
        self.rest.remove(key)
    }

    pub fn req(&mut self, key: &str) -> Result<Value, OmeError> {
        self.take(key)
            .ok_or_else(|| err(&self.path, format!("missing required member \"{key}\"")))
    }

    pub fn opt_str(&mut self, key: &str) -> Result<Option<String>, OmeError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(err(
                &self.p(key),
                format!("must be a string, not {}", kind(&v)),
            )),
        }
    }

    pub fn req_str(&mut self, key: &str) -> Result<String, OmeError> {
        let p = self.p(key);
        match self.req(key)? {
            Value::String(s) => Ok(s),
            v => Err(err(&p, format!("must be a string, not {}", kind(&v)))),
        }
    }

    pub fn opt_bool(&mut self, key: &str) -> Result<Option<bool>, OmeError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(v) => Err(err(
                &self.p(key),
                format!("must be a boolean, not {}", kind(&v)),
            )),
        }
    }

    pub fn opt_num(&mut self, key: &str) -> Result<Option<Number>, OmeError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(Some(n)),
            Some(v) => Err(err(
                &self.p(key),
                format!("must be a number, not {}", kind(&v)),
            )),
        }
    }

    pub fn req_num(&mut self, key: &str) -> Result<Number, OmeError> {
        let p = self.p(key);
        match self.req(key)? {
            Value::Number(n) => Ok(n),
            v => Err(err(&p, format!("must be a number, not {}", kind(&v)))),
        }
    }

    pub fn opt_list(&mut self, key: &str) -> Result<Option<Vec<Value>>, OmeError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(v) => Err(err(
                &self.p(key),
                format!("must be a list, not {}", kind(&v)),
            )),
        }
    }

    pub fn req_list(&mut self, key: &str) -> Result<Vec<Value>, OmeError> {
        let p = self.p(key);
        match self.req(key)? {
            Value::Array(a) => Ok(a),
            v => Err(err(&p, format!("must be a list, not {}", kind(&v)))),
        }
    }
}

/// A list of numbers.
pub(crate) fn numbers(path: &str, v: Vec<Value>) -> Result<Vec<Number>, OmeError> {
    v.into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Number(n) => Ok(n),
            v => Err(err(
                &index(path, i),
                format!("must be a number, not {}", kind(&v)),
            )),
        })
        .collect()
}

/// A number from an `f64` (non-finite values become 0, which JSON cannot hold anyway).
pub(crate) fn num(v: f64) -> Number {
    Number::from_f64(v).unwrap_or_else(|| Number::from(0))
}

/// An integral number as `i64` if it is one.
pub(crate) fn as_integer(n: &Number) -> Option<i64> {
    n.as_i64().or_else(|| {
        let f = n.as_f64()?;
        (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
    })
}
