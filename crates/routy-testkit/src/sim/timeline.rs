//! A trace drawn as a timeline: one lane per worker, virtual time across,
//! each request a bar from when it left to when its answer came, coloured
//! by outcome; waits as dashed gaps, and a call the quota held as a bolder
//! one; a job's failure as a red dot; the windows the server said were
//! spent as hatched spans in a band of their own above the lanes (merged
//! where they overlap, so they never stack into a block); broken rules as
//! red rules. The time axis fits the requests: a window that runs past
//! them is cut at the edge and says when it ends. One self-contained SVG
//! document (no script, no external file), which a browser opens as it
//! is and a page can inline.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use super::trace::{Event, StoreState, Trace, What};

/// Left margin, for the lane names.
const LEFT: f64 = 56.0;
/// The drawing's width from the left margin to the right edge.
const SPAN: f64 = 1100.0;
/// The top margin, for the time axis.
const TOP: f64 = 28.0;
/// The band of spent windows, between the axis and the lanes.
const BAND: f64 = 14.0;
/// Where the first lane starts (a process fleet's store band, when
/// drawn, pushes it down one band).
const LANES_TOP: f64 = TOP + BAND + 6.0;
const LANE: f64 = 26.0;
const LANE_GAP: f64 = 6.0;
/// Room for the legend below the lanes.
const LEGEND: f64 = 40.0;

/// What a request came to, as the timeline colours it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    Redirect,
    Limited,
    ClientError,
    ServerError,
    Failed,
    Unanswered,
}

impl Outcome {
    fn of(status: u16) -> Outcome {
        match status {
            429 => Outcome::Limited,
            200..=299 => Outcome::Ok,
            300..=399 => Outcome::Redirect,
            400..=499 => Outcome::ClientError,
            _ => Outcome::ServerError,
        }
    }

    /// The class name, the colour, and the legend's word for it.
    fn style(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Outcome::Ok => ("ok", "#2e9d4f", "2xx"),
            Outcome::Redirect => ("redirect", "#3d7bd9", "3xx"),
            Outcome::Limited => ("limited", "#f08c00", "429"),
            Outcome::ClientError => ("client-error", "#8e44ad", "4xx"),
            Outcome::ServerError => ("server-error", "#d62828", "5xx"),
            Outcome::Failed => ("failed", "#222222", "no answer (transport)"),
            Outcome::Unanswered => ("unanswered", "#999999", "still open"),
        }
    }

    const ALL: [Outcome; 6] = [
        Outcome::Ok,
        Outcome::Redirect,
        Outcome::Limited,
        Outcome::ClientError,
        Outcome::ServerError,
        Outcome::Failed,
    ];
}

/// One request, drawn.
struct Bar {
    lane: usize,
    from: Duration,
    to: Duration,
    outcome: Outcome,
    title: String,
}

/// Per lane, the request waiting for its answer: when it left, what it
/// was, the faults met.
type Open = BTreeMap<usize, (Duration, String, Vec<String>)>;

/// Everything the timeline draws, read off the trace.
#[derive(Default)]
struct Marks {
    bars: Vec<Bar>,
    /// (lane, from, to, title, held: the quota held a call)
    waits: Vec<(usize, Duration, Duration, String, bool)>,
    /// (from, until, title)
    windows: Vec<(Duration, Duration, String)>,
    /// (lane, at, title)
    rotations: Vec<(usize, Duration, String)>,
    broken: Vec<(usize, Duration, String)>,
    failures: Vec<(usize, Duration, String)>,
    /// (lane, at, title): a process heard from the fleet.
    heard: Vec<(usize, Duration, String)>,
    /// (from, until, state): the store away or slow; a restart is an
    /// outage of its own.
    store: Vec<(Duration, Option<Duration>, StoreState)>,
    lanes: usize,
    end: Duration,
}

impl Marks {
    fn read(trace: &Trace) -> Marks {
        let mut marks = Marks::default();
        // The request each lane is waiting on the answer to.
        let mut open = Open::new();
        for (i, event) in trace.events.iter().enumerate() {
            marks.take(event, &mut open, trace.holds(i));
        }
        for (lane, (from, title, _)) in open {
            marks.bars.push(Bar {
                lane,
                from,
                to: marks.end,
                outcome: Outcome::Unanswered,
                title,
            });
        }
        for (_, from, to, _, _) in &marks.waits {
            marks.end = marks.end.max(*to).max(*from);
        }
        // The axis fits what the workers did; a window runs past it only
        // when nothing else is drawn.
        if marks.bars.is_empty() && marks.waits.is_empty() {
            for (_, until, _) in &marks.windows {
                marks.end = marks.end.max(*until);
            }
        }
        marks.windows = merged(std::mem::take(&mut marks.windows));
        for span in &mut marks.store {
            span.1 = Some(span.1.unwrap_or(marks.end).min(marks.end));
        }
        marks.lanes = marks.lanes.max(1);
        marks
    }

    /// Adds what `event` shows; `open` holds each lane's request waiting
    /// for its answer.
    fn take(&mut self, event: &Event, open: &mut Open, held: bool) {
        let lane = event.worker.unwrap_or(0);
        self.lanes = self.lanes.max(lane + 1);
        self.end = self.end.max(event.at);
        let who = event.worker.map(|w| format!("w{w} ")).unwrap_or_default();
        let at = event.at;
        match &event.what {
            What::Request {
                call,
                attempt,
                hop,
                method,
                uri,
                ..
            } => {
                let hop = if *hop > 0 {
                    format!(", hop {hop}")
                } else {
                    String::new()
                };
                let title = format!(
                    "{who}call {call}, attempt {attempt}{hop}: {method} {}",
                    uri.path()
                );
                open.insert(lane, (at, title, Vec::new()));
            }
            What::Fault(fault) => {
                if let Some((_, _, faults)) = open.get_mut(&lane) {
                    faults.push(format!("fault: {fault}"));
                }
            }
            What::Response { status, .. } => {
                self.close(open, event, Outcome::of(*status), status.to_string());
            }
            What::Failed(kind) => self.close(open, event, Outcome::Failed, kind.to_string()),
            What::WindowSpent { until } => self.windows.push((
                at,
                *until,
                format!(
                    "{who}was told the window is spent until {:.3} s",
                    until.as_secs_f64()
                ),
            )),
            What::ClientWait(d) | What::JobWait(d) => {
                let job = matches!(event.what, What::JobWait(_));
                self.wait(lane, at, *d, &who, job, held);
            }
            What::KeyRotated { token_id, .. } => {
                let title = format!("{who}rotates to a fresh key {token_id}");
                self.rotations.push((lane, at, title));
            }
            What::Broken(why) => self.broken.push((lane, at, format!("{who}{why}"))),
            What::JobEnded(Err(why)) => {
                self.failures
                    .push((lane, at, format!("{who}the job failed: {why}")));
            }
            What::Heard { .. } | What::Store(_) => self.fleet(event, lane, &who),
            What::Note(_) | What::JobEnded(Ok(())) => {}
        }
    }

    /// What only a process fleet's trace has: news heard, the store's
    /// outages.
    fn fleet(&mut self, event: &Event, lane: usize, who: &str) {
        let at = event.at;
        match event.what {
            What::Heard { until } => {
                let title = format!(
                    "{who}heard from the fleet: window spent until {:.3} s",
                    until.as_secs_f64()
                );
                self.heard.push((lane, at, title));
            }
            What::Store(state) => {
                if let Some(open) = self.store.last_mut().filter(|s| s.1.is_none()) {
                    open.1 = Some(at);
                }
                if state != StoreState::Up {
                    self.store.push((at, None, state));
                }
            }
            _ => {}
        }
    }

    /// A wait on `lane` from `at` for `d`: the job's, the client's, or the
    /// quota holding a call (`held`).
    fn wait(&mut self, lane: usize, at: Duration, d: Duration, who: &str, job: bool, held: bool) {
        let title = if held {
            format!(
                "{who}the client holds the call {:.3} s for the quota",
                d.as_secs_f64()
            )
        } else if job {
            format!("{who}job waits {:.3} s", d.as_secs_f64())
        } else {
            format!("{who}client waits {:.3} s", d.as_secs_f64())
        };
        self.waits
            .push((lane, at, at.saturating_add(d), title, held));
    }

    /// The answer to the lane's open request came at `event`.
    fn close(&mut self, open: &mut Open, event: &Event, outcome: Outcome, answer: String) {
        let lane = event.worker.unwrap_or(0);
        if let Some((from, title, faults)) = open.remove(&lane) {
            let mut title = format!("{title} → {answer}");
            for fault in faults {
                title.push_str(" (");
                title.push_str(&fault);
                title.push(')');
            }
            self.bars.push(Bar {
                lane,
                from,
                to: event.at,
                outcome,
                title,
            });
        }
    }
}

impl Trace {
    /// The trace as a timeline: a self-contained SVG document, one lane
    /// per worker (`w0`, `w1`, …; one lane for a single job), virtual time
    /// across. Each request is a bar from when it left to its answer,
    /// coloured by outcome (class `mark` and one of `ok`, `redirect`,
    /// `limited`, `client-error`, `server-error`, `failed`); a wait is a
    /// dashed line (`wait`); a window the server said was spent is shaded
    /// across all lanes (`window`); a key rotation is a tick (`rotation`)
    /// and a broken rule a red rule (`broken`). Every mark's tooltip
    /// (`<title>`) says what it is. Save it as `.svg` and open it in a
    /// browser; `examples/simulate.rs` writes one for a failing fleet
    /// schedule.
    ///
    /// # Examples
    ///
    /// ```
    /// use routy_testkit::sim::Simulation;
    ///
    /// let run = Simulation::new()
    ///     .workers(3)
    ///     .run_one(7, |client, _sim| client.accounts().map(drop));
    /// let svg = run.trace.timeline_svg();
    /// assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    /// assert!(svg.contains(">w2</text>"));
    /// // std::fs::write("seed-7.svg", svg)?;
    /// ```
    pub fn timeline_svg(&self) -> String {
        let marks = Marks::read(self);
        let store_band = if marks.store.is_empty() {
            0.0
        } else {
            BAND + 4.0
        };
        let scale = Scale {
            end: marks.end.max(Duration::from_millis(1)).as_secs_f64(),
            lanes_top: LANES_TOP + store_band,
            lane: self.lane,
        };
        let bottom = scale.lane_y(marks.lanes) - LANE_GAP;
        let (width, height) = (LEFT + SPAN + 24.0, bottom + LEGEND);
        let mut svg = String::with_capacity(256 * (marks.bars.len() + 16));
        let _ = write!(
            svg,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
             viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"11\">\
             \n<title>seed {}: {} lanes, {:.3} s of virtual time</title>\
             \n<defs><pattern id=\"spent\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
             patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#e8ecf7\"/>\
             <line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#4a5a8a\" stroke-width=\"2\"/></pattern></defs>\
             \n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n",
            self.seed, marks.lanes, scale.end
        );
        axis(&mut svg, &scale, bottom);
        scale.lanes_and_spans(&mut svg, &marks, bottom);
        scale.marks(&mut svg, &marks);
        legend(&mut svg, bottom + 24.0, !marks.store.is_empty());
        svg.push_str("</svg>\n");
        svg
    }
}

/// Where things go: virtual time across, lanes down.
struct Scale {
    /// The last moment drawn, in seconds.
    end: f64,
    /// Where the first lane starts.
    lanes_top: f64,
    /// A lane's name before its number.
    lane: &'static str,
}

impl Scale {
    fn x(&self, at: Duration) -> f64 {
        LEFT + SPAN * at.as_secs_f64() / self.end
    }

    fn lane_y(&self, lane: usize) -> f64 {
        self.lanes_top + (LANE + LANE_GAP) * lane as f64
    }

    /// The lanes, the spent windows over them, and the waits.
    fn lanes_and_spans(&self, svg: &mut String, marks: &Marks, bottom: f64) {
        for lane in 0..marks.lanes {
            let y = self.lane_y(lane);
            let _ = writeln!(
                svg,
                "<rect class=\"lane\" x=\"{LEFT}\" y=\"{y:.1}\" width=\"{SPAN}\" height=\"{LANE}\" fill=\"#f3f3f3\"/>\
                 <text class=\"lane-name\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}{lane}</text>",
                LEFT - 8.0,
                y + LANE / 2.0 + 4.0,
                self.lane
            );
        }
        let _ = bottom;
        self.store_band(svg, marks);
        let edge = LEFT + SPAN;
        for (from, until, title) in &marks.windows {
            let (x0, x1) = (self.x(*from).min(edge), self.x(*until));
            let _ = writeln!(
                svg,
                "<rect class=\"window\" x=\"{x0:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{BAND}\" \
                 fill=\"url(#spent)\" stroke=\"#4a5a8a\" stroke-width=\"0.8\"><title>{}</title></rect>",
                (x1.min(edge) - x0).max(1.0),
                escape(title)
            );
            if x1 > edge + 0.5 {
                // Runs past the requests: cut at the edge, and said.
                let _ = writeln!(
                    svg,
                    "<text class=\"window-edge\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#4a5a8a\">\
                     → {:.1} s<title>{}</title></text>",
                    edge - 2.0,
                    TOP + BAND - 3.0,
                    until.as_secs_f64(),
                    escape(title)
                );
            }
        }
        for (lane, from, to, title, held) in &marks.waits {
            let y = self.lane_y(*lane) + LANE / 2.0;
            let (class, colour, width, dash) = if *held {
                ("held", "#3f51b5", 5, "8 2")
            } else {
                ("wait", "#777777", 2, "3 3")
            };
            let _ = writeln!(
                svg,
                "<line class=\"{class}\" x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"{colour}\" \
                 stroke-width=\"{width}\" stroke-dasharray=\"{dash}\"><title>{}</title></line>",
                self.x(*from),
                self.x(*to).min(edge),
                escape(title)
            );
        }
    }

    /// A process fleet's store: a band under the spent windows, each
    /// outage (away, slow, restarted) a span across it.
    fn store_band(&self, svg: &mut String, marks: &Marks) {
        if marks.store.is_empty() {
            return;
        }
        let y = TOP + BAND + 4.0;
        let _ = writeln!(
            svg,
            "<text class=\"store-name\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#555555\">store</text>",
            LEFT - 8.0,
            y + BAND - 3.0
        );
        for (from, until, state) in &marks.store {
            let until = until.unwrap_or(*from);
            let (class, colour, word) = match state {
                StoreState::Slow => ("store-slow", "#f2c14e", "slow"),
                StoreState::Restarted => ("store-restarted", "#6c757d", "restarted, empty"),
                _ => ("store-down", "#c0392b", "away"),
            };
            let x0 = self.x(*from);
            let _ = writeln!(
                svg,
                "<rect class=\"store {class}\" x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{BAND}\" \
                 fill=\"{colour}\"><title>the store {word} {:.3} s to {:.3} s: each process holds on its own answers</title></rect>",
                (self.x(until) - x0).max(2.0),
                from.as_secs_f64(),
                until.as_secs_f64()
            );
        }
    }

    /// The requests' bars, then key rotations and broken rules on top.
    fn marks(&self, svg: &mut String, marks: &Marks) {
        for bar in &marks.bars {
            let (class, colour, _) = bar.outcome.style();
            let x0 = self.x(bar.from);
            let _ = writeln!(
                svg,
                "<rect class=\"mark {class}\" x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" \
                 fill=\"{colour}\" stroke=\"#ffffff\" stroke-width=\"0.6\"><title>{}</title></rect>",
                self.lane_y(bar.lane) + 3.0,
                (self.x(bar.to) - x0).max(3.0),
                LANE - 6.0,
                escape(&bar.title)
            );
        }
        for (class, colour, list) in [
            ("rotation", "#8e44ad", &marks.rotations),
            ("broken", "#d62828", &marks.broken),
        ] {
            for (lane, at, title) in list {
                let y = self.lane_y(*lane);
                let _ = writeln!(
                    svg,
                    "<line class=\"{class}\" x1=\"{0:.1}\" y1=\"{1:.1}\" x2=\"{0:.1}\" y2=\"{2:.1}\" \
                     stroke=\"{colour}\" stroke-width=\"3\"><title>{3}</title></line>",
                    self.x(*at),
                    y - 2.0,
                    y + LANE + 2.0,
                    escape(title)
                );
            }
        }
        for (lane, at, title) in &marks.heard {
            // A small flag at the lane's top edge: it covers no bar.
            let (x, y) = (self.x(*at), self.lane_y(*lane));
            let _ = writeln!(
                svg,
                "<path class=\"heard\" d=\"M{:.1} {:.1} L{:.1} {:.1} L{x:.1} {:.1} Z\" fill=\"#3f51b5\"><title>{}</title></path>",
                x - 4.0,
                y - 5.0,
                x + 4.0,
                y - 5.0,
                y,
                escape(title)
            );
        }
        for (lane, at, title) in &marks.failures {
            // Just after the moment, so it never covers the last bar.
            let _ = writeln!(
                svg,
                "<circle class=\"failure\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"7\" fill=\"#d62828\" \
                 stroke=\"#ffffff\" stroke-width=\"1.5\"><title>{}</title></circle>",
                self.x(*at) + 8.0,
                self.lane_y(*lane) + LANE / 2.0,
                escape(title)
            );
        }
    }
}

/// The time axis: about ten ticks at a round step.
fn axis(svg: &mut String, scale: &Scale, bottom: f64) {
    let end = scale.end;
    let raw = end / 10.0;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power);
    let mut t = 0.0;
    while t <= end + step * 1e-9 {
        let at = scale.x(Duration::from_secs_f64(t));
        let _ = writeln!(
            svg,
            "<line class=\"tick\" x1=\"{at:.1}\" y1=\"{:.1}\" x2=\"{at:.1}\" y2=\"{bottom:.1}\" stroke=\"#dddddd\"/>\
             <text x=\"{at:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555555\">{} s</text>",
            TOP - 4.0,
            TOP - 10.0,
            round_label(t)
        );
        t += step;
    }
}

fn round_label(t: f64) -> String {
    let text = format!("{t:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn legend(svg: &mut String, y: f64, fleet: bool) {
    let mut at = LEFT;
    for outcome in Outcome::ALL {
        let (class, colour, word) = outcome.style();
        let _ = writeln!(
            svg,
            "<g class=\"legend {class}\"><rect x=\"{at:.1}\" y=\"{:.1}\" width=\"14\" height=\"10\" fill=\"{colour}\"/>\
             <text x=\"{:.1}\" y=\"{y:.1}\">{word}</text></g>",
            y - 9.0,
            at + 18.0
        );
        at += 30.0 + 7.0 * word.len() as f64;
    }
    let _ = writeln!(
        svg,
        "<g class=\"legend window\"><rect x=\"{at:.1}\" y=\"{:.1}\" width=\"14\" height=\"10\" fill=\"url(#spent)\" stroke=\"#4a5a8a\" stroke-width=\"0.8\"/>\
         <text x=\"{:.1}\" y=\"{y:.1}\">window spent</text></g>\
         <g class=\"legend wait\"><line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#777777\" stroke-width=\"2\" stroke-dasharray=\"3 3\"/>\
         <text x=\"{:.1}\" y=\"{y:.1}\">wait</text></g>\
         <g class=\"legend held\"><line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#3f51b5\" stroke-width=\"5\" stroke-dasharray=\"8 2\"/>\
         <text x=\"{:.1}\" y=\"{y:.1}\">held for the quota</text></g>\
         <g class=\"legend failure\"><circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"#d62828\"/>\
         <text x=\"{:.1}\" y=\"{y:.1}\">job failed</text></g>",
        y - 9.0,
        at + 18.0,
        at + 110.0,
        y - 4.0,
        at + 130.0,
        y - 4.0,
        at + 134.0,
        at + 170.0,
        y - 4.0,
        at + 190.0,
        y - 4.0,
        at + 194.0,
        at + 310.0,
        y - 4.0,
        at + 318.0
    );
    if fleet {
        // A process fleet's: the store away, and news heard.
        let at = at + 400.0;
        let _ = writeln!(
            svg,
            "<g class=\"legend store\"><rect x=\"{at:.1}\" y=\"{:.1}\" width=\"14\" height=\"10\" fill=\"#c0392b\"/>\
             <text x=\"{:.1}\" y=\"{y:.1}\">store away</text></g>\
             <g class=\"legend heard\"><path d=\"M{:.1} {:.1} L{:.1} {:.1} L{:.1} {:.1} Z\" fill=\"#3f51b5\"/>\
             <text x=\"{:.1}\" y=\"{y:.1}\">news heard</text></g>",
            y - 9.0,
            at + 18.0,
            at + 96.0,
            y - 9.0,
            at + 106.0,
            y - 9.0,
            at + 101.0,
            y - 1.0,
            at + 112.0
        );
    }
}

/// `windows` with overlapping ones merged: one span each, its title every
/// word that made it (at most five, then a count).
fn merged(mut windows: Vec<(Duration, Duration, String)>) -> Vec<(Duration, Duration, String)> {
    windows.sort_by_key(|(from, until, _)| (*from, *until));
    let mut out: Vec<(Duration, Duration, Vec<String>)> = Vec::new();
    for (from, until, title) in windows {
        match out.last_mut() {
            Some((_, end, titles)) if from <= *end => {
                *end = (*end).max(until);
                titles.push(title);
            }
            _ => out.push((from, until, vec![title])),
        }
    }
    out.into_iter()
        .map(|(from, until, titles)| {
            let mut title = format!(
                "spent window {:.3} s to {:.3} s",
                from.as_secs_f64(),
                until.as_secs_f64()
            );
            for told in titles.iter().take(5) {
                title.push_str("; ");
                title.push_str(told);
            }
            if titles.len() > 5 {
                let _ = write!(title, "; and {} more", titles.len() - 5);
            }
            (from, until, title)
        })
        .collect()
}

/// `text` made safe inside an SVG element or attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimFault;

    fn at(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    fn event(ms: u64, worker: usize, what: What) -> Event {
        Event {
            at: at(ms),
            worker: Some(worker),
            what,
        }
    }

    fn request(call: u64) -> What {
        What::Request {
            call,
            attempt: 1,
            hop: 0,
            method: http::Method::GET,
            uri: "https://sim.routy.invalid/api/v1/accounts?a=1&b=2"
                .parse()
                .unwrap(),
            headers: Vec::new(),
        }
    }

    #[test]
    fn each_lane_gets_its_requests_coloured_by_answer_and_the_window_spans_all_lanes() {
        let trace = Trace {
            lane: "w",
            seed: 5,
            events: vec![
                event(0, 0, request(1)),
                event(0, 1, request(1)),
                event(
                    100,
                    1,
                    What::Fault(SimFault::RateLimited {
                        secs: 2,
                        form: crate::sim::RetryAfterForm::Seconds,
                    }),
                ),
                event(
                    200,
                    0,
                    What::Response {
                        status: 200,
                        bytes: 10,
                    },
                ),
                event(
                    300,
                    1,
                    What::Response {
                        status: 429,
                        bytes: 10,
                    },
                ),
                event(300, 1, What::WindowSpent { until: at(2300) }),
                event(300, 1, What::ClientWait(at(2000))),
                event(2300, 1, What::Broken("a <bad> & \"odd\" rule".to_owned())),
            ],
        };
        let svg = trace.timeline_svg();
        assert_eq!(svg.matches("class=\"lane\"").count(), 2);
        assert_eq!(svg.matches("class=\"mark ok\"").count(), 1);
        assert_eq!(svg.matches("class=\"mark limited\"").count(), 1);
        assert_eq!(svg.matches("class=\"window\"").count(), 1);
        assert_eq!(svg.matches("class=\"wait\"").count(), 1);
        assert_eq!(svg.matches("class=\"broken\"").count(), 1);
        // The window spans every lane, from the answer to the time named:
        // 300 ms to 2,300 ms of 2,300 ms.
        assert!(
            svg.contains(&format!(
                "class=\"window\" x=\"{:.1}\" y=\"{TOP}\"",
                LEFT + SPAN * 0.3 / 2.3
            )),
            "{svg}"
        );
        // Text from the trace is escaped, and says what the mark is.
        assert!(svg.contains("a &lt;bad&gt; &amp; &quot;odd&quot; rule"));
        assert!(!svg.contains("?a=1"), "the query is not shown");
        assert!(svg.contains("w1 call 1, attempt 1: GET /api/v1/accounts → 429 (fault: "));
        assert!(!svg.contains("<bad>"));
    }

    #[test]
    fn windows_merge_in_their_band_the_axis_fits_the_requests_and_holds_and_failures_show() {
        let answered = |ms, worker| {
            event(
                ms,
                worker,
                What::Response {
                    status: 429,
                    bytes: 2,
                },
            )
        };
        let trace = Trace {
            lane: "w",
            seed: 9,
            events: vec![
                event(0, 0, request(1)),
                event(0, 1, request(1)),
                answered(100, 0),
                answered(120, 1),
                // Three workers told of the window, overlapping: one span.
                event(100, 0, What::WindowSpent { until: at(30_000) }),
                event(120, 1, What::WindowSpent { until: at(30_020) }),
                // Worker 2 is held before its first request, then fails.
                event(150, 2, What::ClientWait(at(250))),
                event(400, 2, request(1)),
                answered(500, 2),
                event(500, 2, What::WindowSpent { until: at(29_000) }),
                event(
                    600,
                    2,
                    What::JobEnded(Err("GET /v1/accounts: <held> too long".to_owned())),
                ),
            ],
        };
        let svg = trace.timeline_svg();
        assert_eq!(svg.matches("class=\"window\"").count(), 1, "{svg}");
        // The windows run to 30 s, the requests to 0.6 s: the axis is the
        // requests', and the window is cut at the edge, saying until when.
        assert!(svg.contains("3 lanes, 0.600 s of virtual time"), "{svg}");
        assert!(svg.contains("class=\"window-edge\""), "{svg}");
        assert!(svg.contains("→ 30.0 s"), "{svg}");
        // In its own band, above the lanes.
        assert!(svg.contains(&format!(
            "class=\"window\" x=\"{:.1}\" y=\"{TOP}\"",
            LEFT + SPAN * 0.1 / 0.6
        )));
        assert!(svg.contains(&format!("height=\"{BAND}\"")));
        assert_eq!(svg.matches("class=\"held\"").count(), 1, "{svg}");
        assert!(svg.contains("w2 the client holds the call 0.250 s for the quota"));
        assert_eq!(svg.matches("class=\"failure\"").count(), 1, "{svg}");
        assert!(svg.contains("w2 the job failed: GET /v1/accounts: &lt;held&gt; too long"));
    }

    #[test]
    fn an_empty_trace_is_still_a_drawing() {
        let svg = Trace {
            lane: "w",
            seed: 1,
            events: Vec::new(),
        }
        .timeline_svg();
        assert!(svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("class=\"lane\"").count(), 1);
    }
}
