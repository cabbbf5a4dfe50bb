#![cfg(feature = "sim")]
//! A fleet's timeline, looked at in a real browser: headless Chromium
//! (Debian's `chromium`, which `.ci/run` installs) lays the SVG out, and a
//! script in the page checks what a person would see: one lane per worker
//! in order, every request's bar inside the picture and on top at its
//! centre (not hidden under a shaded window or a lane), labels that take
//! up room; spent windows in a band of their own above the lanes, not in
//! the 429s' colour and never stacked; an axis the requests fill; held
//! calls and each failed job drawn, the error in its tooltip. A
//! screenshot is left in `target/` to look at.
//!
//! Without Chromium the test says so and passes, unless
//! `ROUTY_REQUIRE_BROWSER` is set (CI sets it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use routy_testkit::sim::{FaultMix, FleetSimulation, Simulation, StoreState, What};

/// The page: the SVG inline, and a script that writes what it found.
const CHECK: &str = r#"<script>
const svg = document.querySelector("svg");
const box = svg.getBoundingClientRect();
const lanes = [...document.querySelectorAll("rect.lane")].map(l => l.getBoundingClientRect());
const marks = [...document.querySelectorAll("rect.mark")];
let inside = 0, onTop = 0;
const hidden = [];
for (const mark of marks) {
  const r = mark.getBoundingClientRect();
  if (r.width > 0 && r.left >= box.left && r.right <= box.right + 0.5 && r.top >= box.top && r.bottom <= box.bottom) inside++;
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  if (hit && (hit.classList.contains("mark") || hit.classList.contains("rotation") || hit.classList.contains("broken"))) onTop++;
  else if (hidden.length < 3) hidden.push(mark.querySelector("title").textContent + " under " + (hit ? hit.getAttribute("class") : "nothing"));
}
let ordered = true;
for (let i = 1; i < lanes.length; i++) if (lanes[i].top < lanes[i - 1].bottom) ordered = false;
const labels = [...document.querySelectorAll("text.lane-name")].filter(t => t.getBBox().width > 4).length;
const windowEls = [...document.querySelectorAll("rect.window")];
const windows = windowEls.map(w => w.getBoundingClientRect()).sort((a, b) => a.left - b.left);
const windowsAbove = windows.every(w => w.bottom <= lanes[0].top + 0.5);
let windowsStacked = false;
for (let i = 1; i < windows.length; i++) if (windows[i].left < windows[i - 1].right - 0.5) windowsStacked = true;
const limited = document.querySelector("rect.mark.limited");
const limitedFill = limited ? getComputedStyle(limited).fill : "none";
const windowsLikeLimited = windowEls.some(w => getComputedStyle(w).fill === limitedFill);
const rightmost = Math.max(...marks.map(m => m.getBoundingClientRect().right));
const axisFits = rightmost >= lanes[0].right - 2;
const held = [...document.querySelectorAll("line.held")].filter(l => l.querySelector("title").textContent.includes("holds the call")).length;
const failures = [...document.querySelectorAll("circle.failure")].map(c => {
  const r = c.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return {onTop: hit === c, title: c.querySelector("title").textContent};
});
const stores = [...document.querySelectorAll("rect.store")].map(r => r.getBoundingClientRect());
const storeAbove = stores.every(r => r.bottom <= lanes[0].top + 0.5 && windows.every(w => w.bottom <= r.top + 0.5));
const storeVisible = stores.filter(r => r.width >= 2 && r.height >= 10).length;
const laneNames = [...document.querySelectorAll("text.lane-name")].map(t => t.textContent);
const heard = [...document.querySelectorAll("path.heard")].filter(h => h.getBoundingClientRect().width > 0).length;
const result = {stores: stores.length, storeAbove, storeVisible, laneNames, heard, width: box.width, height: box.height, lanes: lanes.length, ordered, marks: marks.length, inside, onTop, hidden, labels,
  windows: windows.length, windowsAbove, windowsStacked, windowsLikeLimited, axisFits, held, failures};
document.getElementById("result").textContent = "RESULT " + JSON.stringify(result) + " END";
</script>"#;

fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("ROUTY_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Runs Chromium headless on `page` with `extra` arguments, kept off
/// every network but loopback: its own traffic goes to a dead loopback
/// proxy. Returns its standard output.
fn run_chromium(chromium: &Path, page: &Path, profile: &Path, extra: &[&str]) -> String {
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--proxy-server=127.0.0.1:9",
            "--window-size=1200,600",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    // A watchdog, not a wait for the result: a browser that hangs fails
    // the test rather than the whole run.
    let started = Instant::now();
    loop {
        if child.try_wait().expect("chromium runs").is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("chromium's output");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn a_fleets_timeline_looks_right_in_a_real_browser() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let workers = 6;
    let sim = Simulation::new()
        .workers(workers)
        .mix(FaultMix::bad_day().with_rate_limited(0.05))
        .setup(|api, now| {
            api.set_rate_limit(
                Some(routy_sandbox::RateWindow::new(20, Duration::from_secs(2))),
                now,
            );
        });
    let job = |client: &routy_testkit::sim::SimClient, _sim: &routy_testkit::sim::Sim| {
        for account in client.accounts()?.iter().take(4) {
            client.get::<serde_json::Value>(&format!("/v1/accounts/{}", account.id()))?;
        }
        Ok::<(), routy_core::Error>(())
    };
    // A schedule with what the picture must show: windows, a call held
    // for the quota and a job that failed.
    let run = (11..60)
        .map(|seed| sim.run_one(seed, job))
        .find(|run| {
            let text = run.trace.to_string();
            run.result.is_err()
                && text.contains("window spent until")
                && text.contains("the client holds the call")
        })
        .expect("a schedule with windows, a held call and a failure");
    let answered = run
        .trace
        .events
        .iter()
        .filter(|e| matches!(e.what, What::Response { .. } | What::Failed(_)))
        .count();
    assert!(
        answered > workers,
        "a fleet's worth of requests: {answered}"
    );
    let (result, dir) = looked_at(&chromium, "timeline", &run.trace.timeline_svg());
    assert_eq!(result["lanes"], workers, "{result}");
    assert_eq!(result["ordered"], true, "lanes overlap: {result}");
    assert_eq!(
        result["labels"], workers,
        "lane names not laid out: {result}"
    );
    assert_eq!(result["marks"], answered, "one bar per answer: {result}");
    assert_eq!(
        result["inside"], answered,
        "a bar outside the picture: {result}"
    );
    assert_eq!(
        result["onTop"], answered,
        "a bar hidden at its centre: {result}"
    );
    assert!(result["width"].as_f64().unwrap() > 1000.0, "{result}");
    // Spent windows: a band of their own, not the 429s' colour, never
    // stacked; the axis is the requests'.
    assert!(result["windows"].as_u64().unwrap() > 0, "{result}");
    assert_eq!(
        result["windowsAbove"], true,
        "windows over the lanes: {result}"
    );
    assert_eq!(result["windowsStacked"], false, "windows stacked: {result}");
    assert_eq!(
        result["windowsLikeLimited"], false,
        "windows in the 429 colour: {result}"
    );
    assert_eq!(
        result["axisFits"], true,
        "the requests do not fill the axis: {result}"
    );
    // Held calls and failures drawn, the error in the tooltip.
    assert!(
        result["held"].as_u64().unwrap() > 0,
        "no held call drawn: {result}"
    );
    let failed = run
        .trace
        .events
        .iter()
        .filter(|e| matches!(e.what, What::JobEnded(Err(_))))
        .count();
    let failures = result["failures"].as_array().unwrap();
    assert_eq!(failures.len(), failed, "{result}");
    for failure in failures {
        assert_eq!(failure["onTop"], true, "a failure hidden: {result}");
        assert!(
            failure["title"]
                .as_str()
                .unwrap()
                .contains("the job failed: GET "),
            "{result}"
        );
    }

    // And a picture for people: the screenshot.
    let png = dir.join("fleet.png");
    let shot = format!("--screenshot={}", png.display());
    run_chromium(
        &chromium,
        &dir.join("timeline.svg"),
        &dir.join("profile"),
        &[&shot],
    );
    let bytes = std::fs::read(&png).expect("chromium wrote a screenshot");
    assert!(bytes.starts_with(b"\x89PNG"), "not a PNG");
    eprintln!("timeline screenshot: {}", png.display());
}

/// Chromium, if here; else says so and (unless CI requires it) `None`.
fn chromium_or_skip() -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        assert!(
            std::env::var_os("ROUTY_REQUIRE_BROWSER").is_none(),
            "ROUTY_REQUIRE_BROWSER is set but no Chromium was found (apt install chromium)"
        );
        eprintln!("no Chromium here (apt install chromium): the timeline was not looked at");
    }
    found
}

/// Lays `svg` out in Chromium (the page and the SVG left in the
/// returned folder) and returns what the page's check found.
#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn looked_at(chromium: &Path, name: &str, svg: &str) -> (serde_json::Value, PathBuf) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("page.html");
    let html = format!(
        "<!doctype html><html><body style=\"margin:0\">{svg}<pre id=\"result\"></pre>{CHECK}</body></html>"
    );
    std::fs::write(&page, html).unwrap();
    std::fs::write(dir.join("timeline.svg"), svg).unwrap();
    let dom = run_chromium(chromium, &page, &dir.join("profile"), &["--dump-dom"]);
    let result = dom
        .split("RESULT ")
        .nth(1)
        .and_then(|rest| rest.split(" END").next())
        .unwrap_or_else(|| panic!("the page's check did not run: {dom:.400}"));
    (serde_json::from_str(result).unwrap(), dir)
}

#[test]
fn a_process_fleets_timeline_shows_a_lane_per_process_and_the_stores_outages() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let processes = 5;
    let fleet = FleetSimulation::new().processes(processes);
    // A schedule where the store went away and the fleet heard news.
    let run = (0..60)
        .map(|seed| fleet.run_one(seed))
        .find(|run| {
            let events = &run.trace.events;
            events
                .iter()
                .any(|e| e.what == What::Store(StoreState::Down))
                && events.iter().any(|e| matches!(e.what, What::Heard { .. }))
        })
        .expect("a schedule with an outage and news");
    let outages = run
        .trace
        .events
        .iter()
        .filter(|e| matches!(e.what, What::Store(state) if state != StoreState::Up))
        .count();
    let answered = run
        .trace
        .events
        .iter()
        .filter(|e| matches!(e.what, What::Response { .. }))
        .count();
    let (result, _) = looked_at(&chromium, "processes", &run.trace.timeline_svg());
    let names: Vec<String> = (0..processes).map(|p| format!("p{p}")).collect();
    assert_eq!(result["laneNames"], serde_json::json!(names), "{result}");
    assert_eq!(result["ordered"], true, "lanes overlap: {result}");
    assert_eq!(result["stores"], outages, "one span per outage: {result}");
    assert_eq!(
        result["storeVisible"], outages,
        "an outage too small to see: {result}"
    );
    assert_eq!(
        result["storeAbove"], true,
        "the store's band is not between the windows and the lanes: {result}"
    );
    assert!(
        result["heard"].as_u64().unwrap() > 0,
        "no news drawn: {result}"
    );
    assert_eq!(result["marks"], answered, "one bar per answer: {result}");
    assert_eq!(
        result["onTop"], answered,
        "a bar hidden at its centre: {result}"
    );
}
