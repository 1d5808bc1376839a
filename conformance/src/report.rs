//! Case results and the run report.

use serde::Serialize;

use crate::manifest::CaseKind;

/// The outcome of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    /// zarrkit behaved as the case requires.
    Pass,
    /// zarrkit did not (or panicked).
    Fail,
    /// The case cannot be checked yet (a plugin or Zarr V2 support is missing).
    Skip,
}

impl Status {
    /// `PASS`, `FAIL` or `SKIP`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Fail => "FAIL",
            Self::Skip => "SKIP",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of one case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseResult {
    /// The case id.
    pub id: String,
    /// The case kind.
    pub kind: CaseKind,
    /// The case's Zarr format.
    pub zarr_format: u8,
    /// The outcome.
    pub status: Status,
    /// Why (the error for rejections, the mismatches for failures, what is missing for
    /// skips); a single line.
    pub detail: String,
    /// Array cases that opened: the data type and codecs zarrkit bound (for the
    /// compatibility table of the Markdown report).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub array: Option<ArrayInfo>,
}

/// What an array case exercised: zarrkit's names of its data type and codecs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ArrayInfo {
    /// The data type's V3 name as zarrkit bound it (V2 `<i4` is `int32`).
    pub data_type: String,
    /// The V3 names of every codec of the bound chain, nested ones (sharding's inner and
    /// index codecs) included, in order of appearance, without repetition.
    pub codecs: Vec<String>,
}

impl CaseResult {
    /// The report line: `STATUS id: detail` (or `STATUS id` without detail).
    pub fn line(&self) -> String {
        if self.detail.is_empty() {
            format!("{} {}", self.status, self.id)
        } else {
            format!("{} {}: {}", self.status, self.id, self.detail)
        }
    }
}

impl std::fmt::Display for CaseResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.line())
    }
}

/// Make a detail string a single line.
pub fn one_line(s: &str) -> String {
    s.split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The results of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// One result per case run, in manifest order.
    pub cases: Vec<CaseResult>,
    /// Number of passed cases.
    pub passed: usize,
    /// Number of failed cases.
    pub failed: usize,
    /// Number of skipped cases.
    pub skipped: usize,
}

impl Report {
    /// Add a result and count it.
    pub fn push(&mut self, result: CaseResult) {
        match result.status {
            Status::Pass => self.passed += 1,
            Status::Fail => self.failed += 1,
            Status::Skip => self.skipped += 1,
        }
        self.cases.push(result);
    }

    /// The closing line: `N passed, N failed, N skipped`.
    pub fn summary_line(&self) -> String {
        summary_line(self.passed, self.failed, self.skipped)
    }

    /// Whether no case failed.
    pub fn success(&self) -> bool {
        self.failed == 0
    }

    /// The failed cases.
    pub fn failures(&self) -> impl Iterator<Item = &CaseResult> {
        self.cases.iter().filter(|c| c.status == Status::Fail)
    }

    /// The JSON report: `{"cases": [{id, kind, zarr_format, status, detail}], "passed",
    /// "failed", "skipped"}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The JSON report, pretty-printed.
    pub fn to_json_pretty(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for c in &self.cases {
            writeln!(f, "{c}")?;
        }
        write!(f, "{}", self.summary_line())
    }
}

/// `N passed, N failed, N skipped`.
pub fn summary_line(passed: usize, failed: usize, skipped: usize) -> String {
    format!("{passed} passed, {failed} failed, {skipped} skipped")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, status: Status, detail: &str) -> CaseResult {
        CaseResult {
            id: id.into(),
            kind: CaseKind::Array,
            zarr_format: 3,
            status,
            detail: detail.into(),
            array: None,
        }
    }

    #[test]
    fn closing_line() {
        assert_eq!(summary_line(97, 0, 75), "97 passed, 0 failed, 75 skipped");
        let mut r = Report::default();
        r.push(result("a", Status::Pass, ""));
        r.push(result("b", Status::Fail, "sha256 mismatch"));
        r.push(result("c", Status::Skip, "needs codec plugin \"gzip\""));
        r.push(result("d", Status::Pass, "rejected"));
        assert_eq!(r.summary_line(), "2 passed, 1 failed, 1 skipped");
        assert!(!r.success());
        assert_eq!(r.failures().count(), 1);
        let text = r.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            vec![
                "PASS a",
                "FAIL b: sha256 mismatch",
                "SKIP c: needs codec plugin \"gzip\"",
                "PASS d: rejected",
                "2 passed, 1 failed, 1 skipped"
            ]
        );
    }

    #[test]
    fn json_report() {
        let mut r = Report::default();
        r.push(result("a", Status::Skip, "needs Zarr V2 support"));
        let j = r.to_json();
        assert_eq!(j["skipped"], serde_json::json!(1));
        assert_eq!(j["cases"][0]["status"], serde_json::json!("SKIP"));
        assert_eq!(j["cases"][0]["kind"], serde_json::json!("array"));
        assert_eq!(j["cases"][0]["zarr_format"], serde_json::json!(3));
        assert_eq!(j["cases"][0]["id"], serde_json::json!("a"));
    }

    #[test]
    fn details_are_one_line() {
        assert_eq!(one_line("a\n  b\r\n\nc"), "a | b | c");
    }
}
