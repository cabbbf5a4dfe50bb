//! The suite's report: each check's result and whether routy relies on
//! it (*required*) or only gains from it (*advice*).

use std::fmt;

/// How much a check matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// routy relies on it for correctness: [`assert_conforms`](super::assert_conforms)
    /// fails a transport that fails it.
    Required,
    /// Performance or politeness (connection reuse): shown in the report,
    /// never a failure.
    Advice,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// What was checked.
    pub name: &'static str,
    /// Whether routy relies on it.
    pub level: Level,
    /// `Err` with what went wrong.
    pub outcome: Result<(), String>,
}

/// The suite's results.
///
/// # Examples
///
/// ```
/// let report = routy_testkit::conformance::check(&routy_ureq::UreqTransport::new());
/// assert!(report.passed(), "{report}");
/// assert!(report.advice_unmet().next().is_none(), "{report}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Every check, in order.
    pub results: Vec<CheckResult>,
}

impl Report {
    /// Whether every required check passed (advice does not count).
    pub fn passed(&self) -> bool {
        self.failures().next().is_none()
    }

    /// The required checks that failed.
    ///
    /// # Examples
    ///
    /// ```
    /// let report = routy_testkit::conformance::check(&routy_ureq::UreqTransport::new());
    /// assert_eq!(report.failures().count(), 0);
    /// ```
    pub fn failures(&self) -> impl Iterator<Item = &CheckResult> {
        self.results
            .iter()
            .filter(|r| r.level == Level::Required && r.outcome.is_err())
    }

    /// The advice the transport does not follow.
    pub fn advice_unmet(&self) -> impl Iterator<Item = &CheckResult> {
        self.results
            .iter()
            .filter(|r| r.level == Level::Advice && r.outcome.is_err())
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for result in &self.results {
            match (&result.outcome, result.level) {
                (Ok(()), Level::Required) => writeln!(f, "ok      {}", result.name)?,
                (Ok(()), Level::Advice) => writeln!(f, "ok      (advice) {}", result.name)?,
                (Err(why), Level::Required) => writeln!(f, "FAIL    {}: {why}", result.name)?,
                (Err(why), Level::Advice) => {
                    writeln!(f, "advice  {}: {why}", result.name)?;
                }
            }
        }
        Ok(())
    }
}
