//! Fault injection: scripted responses, delays and broken connections for
//! upcoming API calls (the next N, or each with a seeded probability), and
//! a fixed-window rate limit.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, SystemTime};

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use serde::{Deserialize, Serialize};

/// What to do to an upcoming API call (admin calls are never faulted).
///
/// Faults are the server or the network misbehaving; they are not
/// [`Stub`](crate::Stub)s, which answer routes the sandbox does not model.
/// A fault is queued with [`FaultRule`]: for the next call, the next N, or
/// each call with a seeded probability.
///
/// Two kinds:
///
/// - HTTP: [`Respond`](Fault::Respond) answers in place of the API (before
///   authentication, as a proxy or an overloaded server would), and
///   [`Delay`](Fault::Delay) waits before the real answer.
/// - Connection: the real answer is computed (the request *was* applied,
///   the ambiguous case) and its bytes are broken on the way out:
///   [`Reset`](Fault::Reset) before the first byte, [`Drop`](Fault::Drop)
///   (a reset) in the middle of the body, [`Stall`](Fault::Stall) in the middle of
///   the body, [`Drip`](Fault::Drip) slowly, [`BadChunked`](Fault::BadChunked)
///   with broken framing, [`Empty`](Fault::Empty) with no reply at all.
///
/// As JSON for the admin surface and `routy sandbox --faults FILE`:
/// `{"kind": "respond", "status": 503, "headers": {"Retry-After": "1"},
/// "body": "..."}`, `{"kind": "delay", "ms": 200}`, `{"kind": "drop"}`,
/// `{"kind": "reset"}`, `{"kind": "stall", "ms": 5000}`, `{"kind": "drip",
/// "bytesPerSecond": 100}`, `{"kind": "badChunked"}`, `{"kind": "empty"}`.
///
/// # Examples
///
/// ```
/// use routy_sandbox::Fault;
///
/// let fault: Fault = serde_json::from_str(r#"{"kind": "respond", "status": 429, "headers": {"Retry-After": "2"}}"#)?;
/// assert_eq!(fault, Fault::status(429).header("Retry-After", "2"));
/// assert!(!fault.is_connection());
/// assert!(Fault::Reset.is_connection());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this response instead of the real one (before
    /// authentication, as a proxy or an overloaded server would).
    Respond {
        /// The status code.
        status: u16,
        /// Response headers.
        #[serde(default)]
        headers: BTreeMap<String, String>,
        /// The body.
        #[serde(default)]
        body: String,
    },
    /// Wait this many milliseconds, then answer normally.
    Delay {
        /// The delay in milliseconds.
        ms: u64,
    },
    /// Send the status line, the headers and half of the body, then reset
    /// the connection (RST) mid-body.
    Drop,
    /// Close the connection before any byte of the response.
    Reset,
    /// Send the status line, the headers and half of the body, then stall
    /// for `ms` milliseconds and close.
    Stall {
        /// How long the stall lasts, in milliseconds.
        ms: u64,
    },
    /// Send the whole response, `bytes_per_second` at a time, one burst a
    /// second.
    Drip {
        /// Bytes sent per second (at least 1).
        bytes_per_second: u32,
    },
    /// Send the response with `Transfer-Encoding: chunked` and a chunk
    /// size that is not hexadecimal, then close.
    BadChunked,
    /// Close the connection without a byte, once the request is read.
    Empty,
}

impl Fault {
    /// A scripted response with `status`, no headers and an empty body.
    pub fn status(status: u16) -> Self {
        Fault::Respond {
            status,
            headers: BTreeMap::new(),
            body: String::new(),
        }
    }

    /// Adds a header to a scripted response (other faults are unchanged).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Fault::Respond { headers, .. } = &mut self {
            headers.insert(name.to_owned(), value.to_owned());
        }
        self
    }

    /// Sets the body of a scripted response (other faults are unchanged).
    ///
    /// # Examples
    ///
    /// ```
    /// let fault = routy_sandbox::Fault::status(500).body("boom");
    /// # let _ = fault;
    /// ```
    pub fn body(mut self, text: &str) -> Self {
        if let Fault::Respond { body, .. } = &mut self {
            *body = text.to_owned();
        }
        self
    }

    /// A delay of `by` before the normal answer.
    ///
    /// # Examples
    ///
    /// ```
    /// let fault = routy_sandbox::Fault::delay(std::time::Duration::from_millis(50));
    /// # let _ = fault;
    /// ```
    pub fn delay(by: Duration) -> Self {
        Fault::Delay {
            ms: u64::try_from(by.as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// Whether this fault breaks the connection carrying a real answer
    /// (the request was applied) rather than answering in its place.
    pub fn is_connection(&self) -> bool {
        !matches!(self, Fault::Respond { .. } | Fault::Delay { .. })
    }
}

/// When a [`Fault`] applies: to the next `times` API calls, or to each
/// call with a probability drawn from a seed, so a test repeats exactly.
///
/// Rules are tried in the order they were added; the first that fires
/// takes the call, and a rule whose count is used up is gone.
///
/// As JSON, the fault's own members plus `times` and, for a random rule,
/// `probability` and `seed`: `{"kind": "reset", "times": 3}`,
/// `{"kind": "drop", "probability": 0.2, "seed": 7}`. A bare fault is
/// `times: 1`.
///
/// # Examples
///
/// ```
/// use routy_sandbox::{Fault, FaultRule};
///
/// let first_three = FaultRule::first(3, Fault::Reset);
/// let one_in_five = FaultRule::probability(0.2, 7, Fault::Drop);
/// let rule: FaultRule = serde_json::from_str(r#"{"kind": "reset", "times": 3}"#)?;
/// assert_eq!(rule, first_three);
/// # let _ = one_in_five;
///
/// // A misspelt field is refused, never read as a one-shot fault.
/// let typo = serde_json::from_str::<FaultRule>(r#"{"kind": "reset", "time": 3}"#).unwrap_err();
/// assert!(typo.to_string().starts_with(
///     "unknown field `time` in a `reset` fault rule: its fields are kind, times, probability, seed"
/// ));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "RuleFields")]
#[non_exhaustive]
pub struct FaultRule {
    /// The fault.
    #[serde(flatten)]
    pub fault: Fault,
    /// How many calls it applies to; `None` (only with a probability) for
    /// every call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    /// The chance, 0 to 1, that it applies to a given call; `None` for
    /// every call until `times` is used up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// The seed of the draws for `probability`.
    #[serde(default)]
    pub seed: u64,
}

/// A fault rule as written, every member kept: checked against the
/// members its kind has before it becomes a [`FaultRule`] (serde cannot
/// refuse unknown fields beside a flattened enum).
#[derive(Deserialize)]
struct RuleFields(serde_json::Map<String, serde_json::Value>);

/// The members every rule may have, and each kind's own.
const RULE_FIELDS: [&str; 4] = ["kind", "times", "probability", "seed"];

fn fields_of(kind: &str) -> &'static [&'static str] {
    match kind {
        "respond" => &["status", "headers", "body"],
        "delay" | "stall" => &["ms"],
        "drip" => &["bytesPerSecond"],
        _ => &[],
    }
}

impl TryFrom<RuleFields> for FaultRule {
    type Error = String;

    fn try_from(RuleFields(fields): RuleFields) -> Result<Self, String> {
        let kind = fields
            .get("kind")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let own = fields_of(&kind);
        if let Some(unknown) = fields
            .keys()
            .find(|name| !RULE_FIELDS.contains(&name.as_str()) && !own.contains(&name.as_str()))
        {
            let valid: Vec<&str> = RULE_FIELDS.iter().chain(own).copied().collect();
            return Err(format!(
                "unknown field `{unknown}` in a `{kind}` fault rule: its fields are {}",
                valid.join(", ")
            ));
        }
        Rule::deserialize(serde_json::Value::Object(fields))
            .map(
                |Rule {
                     fault,
                     times,
                     probability,
                     seed,
                 }| FaultRule {
                    fault,
                    // A bare fault is one call; a random rule, every
                    // call unless it says how many.
                    times: times.or(probability.is_none().then_some(1)),
                    probability,
                    seed,
                },
            )
            .map_err(|err| err.to_string())
    }
}

/// The rule's shape as serde reads it, once its members are checked.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    #[serde(flatten)]
    fault: Fault,
    #[serde(default)]
    times: Option<u32>,
    #[serde(default)]
    probability: Option<f64>,
    #[serde(default)]
    seed: u64,
}

impl FaultRule {
    /// `fault` for the next `times` API calls.
    pub fn first(times: u32, fault: Fault) -> Self {
        FaultRule {
            fault,
            times: Some(times),
            probability: None,
            seed: 0,
        }
    }

    /// `fault` for each API call with chance `probability` (0 to 1), the
    /// draws made from `seed`: the same seed faults the same calls.
    pub fn probability(probability: f64, seed: u64, fault: Fault) -> Self {
        FaultRule {
            fault,
            times: None,
            probability: Some(probability),
            seed,
        }
    }

    /// The rule's problems, if any, in words.
    pub(crate) fn check(&self) -> Result<(), String> {
        match self.probability {
            Some(p) if !(0.0..=1.0).contains(&p) => {
                Err(format!("probability {p} is not between 0 and 1"))
            }
            None if self.times.is_none() => {
                Err("a rule without a probability needs a number of times".into())
            }
            _ => match self.fault {
                Fault::Drip {
                    bytes_per_second: 0,
                } => Err("bytesPerSecond must be at least 1".into()),
                Fault::Respond { status, .. } if !(100..=999).contains(&status) => {
                    Err(format!("status {status} is not a three-digit code"))
                }
                _ => Ok(()),
            },
        }
    }
}

impl From<Fault> for FaultRule {
    fn from(fault: Fault) -> Self {
        FaultRule::first(1, fault)
    }
}

/// At most `requests` API calls per `window`; beyond that, 429 with a
/// `Retry-After` of the seconds left in the window.
///
/// # Examples
///
/// ```
/// let limit = routy_sandbox::RateWindow::new(10, std::time::Duration::from_secs(60));
/// # let _ = limit;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateWindow {
    /// Calls allowed per window.
    pub requests: u32,
    /// The window's length.
    pub window: Duration,
}

impl RateWindow {
    /// `requests` per `window`.
    pub fn new(requests: u32, window: Duration) -> Self {
        RateWindow { requests, window }
    }
}

/// What the `RateLimit-Limit`, `-Remaining` and `-Reset` headers say.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Quota {
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    pub(crate) reset_secs: u64,
}

/// What the fault layer decided for one call.
#[derive(Debug)]
pub(crate) enum Decision {
    RateLimited { retry_after_secs: u64 },
    Fault(Fault),
    Proceed,
}

#[derive(Debug, Default)]
pub(crate) struct Faults {
    rules: VecDeque<Active>,
    rate: Option<RateState>,
}

/// A rule being applied: what is left of it, and its draws.
#[derive(Debug)]
struct Active {
    rule: FaultRule,
    rng: Option<StdRng>,
}

impl Active {
    /// Whether the rule takes this call; counts it when it does.
    fn fires(&mut self) -> bool {
        if self.rule.times == Some(0) {
            return false;
        }
        let fires = match (self.rule.probability, &mut self.rng) {
            (Some(p), Some(rng)) => rng.random_bool(p.clamp(0.0, 1.0)),
            _ => true,
        };
        if fires {
            if let Some(times) = &mut self.rule.times {
                *times -= 1;
            }
        }
        fires
    }
}

#[derive(Debug)]
struct RateState {
    limit: RateWindow,
    window_start: SystemTime,
    used: u32,
}

impl Faults {
    pub(crate) fn push(&mut self, rule: FaultRule) {
        let rng = rule.probability.map(|_| StdRng::seed_from_u64(rule.seed));
        self.rules.push_back(Active { rule, rng });
    }

    pub(crate) fn clear(&mut self) {
        self.rules.clear();
        self.rate = None;
    }

    /// Calls still to be faulted by counted rules, plus one for each rule
    /// with no count.
    pub(crate) fn pending(&self) -> usize {
        self.rules
            .iter()
            .map(|a| a.rule.times.map_or(1, |t| t as usize))
            .sum()
    }

    pub(crate) fn set_rate_limit(&mut self, limit: Option<RateWindow>, now: SystemTime) {
        self.rate = limit.map(|limit| RateState {
            limit,
            window_start: now,
            used: 0,
        });
    }

    /// The rate limit's state at `now`, for the `RateLimit-*` headers of
    /// a reply: requests per window, requests left, and whole seconds
    /// until the window resets (rounded up).
    pub(crate) fn quota(&self, now: SystemTime) -> Option<Quota> {
        let rate = self.rate.as_ref()?;
        let elapsed = now.duration_since(rate.window_start).unwrap_or_default();
        let left = rate.limit.window.saturating_sub(elapsed);
        Some(Quota {
            limit: rate.limit.requests,
            remaining: rate.limit.requests.saturating_sub(rate.used),
            reset_secs: left.as_secs() + u64::from(left.subsec_nanos() > 0),
        })
    }

    /// Decides the fate of one API call at `now`.
    pub(crate) fn next(&mut self, now: SystemTime) -> Decision {
        if let Some(rate) = &mut self.rate {
            let elapsed = now.duration_since(rate.window_start).unwrap_or_default();
            if elapsed >= rate.limit.window {
                rate.window_start = now;
                rate.used = 0;
            }
            if rate.used >= rate.limit.requests {
                let left = rate.limit.window.saturating_sub(elapsed);
                // Round up: a client waiting the whole of it must land in
                // the next window.
                let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                return Decision::RateLimited {
                    retry_after_secs: secs.max(1),
                };
            }
            rate.used += 1;
        }
        let fired = self.rules.iter_mut().position(Active::fires);
        let decision = match fired {
            Some(i) => Decision::Fault(self.rules[i].rule.fault.clone()),
            None => Decision::Proceed,
        };
        self.rules.retain(|a| a.rule.times != Some(0));
        decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(json: &str) -> String {
        serde_json::from_str::<FaultRule>(json)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_rule_with_a_member_its_kind_lacks_is_refused_by_name() {
        for (json, field, kind, valid) in [
            (
                r#"{"kind": "reset", "time": 2}"#,
                "time",
                "reset",
                "kind, times, probability, seed",
            ),
            (
                r#"{"kind": "drop", "probabilty": 0.2}"#,
                "probabilty",
                "drop",
                "kind, times, probability, seed",
            ),
            (
                r#"{"kind": "respond", "status": 503, "header": {}}"#,
                "header",
                "respond",
                "kind, times, probability, seed, status, headers, body",
            ),
            (
                r#"{"kind": "delay", "ms": 5, "bytesPerSecond": 1}"#,
                "bytesPerSecond",
                "delay",
                "kind, times, probability, seed, ms",
            ),
        ] {
            let message = refusal(json);
            assert!(
                message.starts_with(&format!(
                    "unknown field `{field}` in a `{kind}` fault rule: its fields are {valid}"
                )),
                "{json}: {message}"
            );
        }
        // What each kind has is taken, with the rule's own members.
        let rule: FaultRule = serde_json::from_str(
            r#"{"kind": "drip", "bytesPerSecond": 9, "probability": 0.5, "seed": 3}"#,
        )
        .unwrap();
        assert_eq!(
            rule,
            FaultRule::probability(
                0.5,
                3,
                Fault::Drip {
                    bytes_per_second: 9
                }
            )
        );
        assert!(refusal(r#"{"kind": "explode"}"#).contains("unknown variant `explode`"));
        assert!(refusal(r#"{"times": 2}"#).contains("missing field `kind`"));
    }
}
