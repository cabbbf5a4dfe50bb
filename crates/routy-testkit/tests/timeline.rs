//! A fleet's timeline, looked at in a real browser: headless Chromium
//! (Debian's `chromium`, which `.ci/run` installs) lays the SVG out, and a
//! script in the page checks what a person would see: one lane per worker
//! in order, every request's bar inside the picture and on top at its
//! centre (not hidden under a shaded window or a lane), labels that take
//! up room. A screenshot is left in `target/` to look at.
//!
//! Without Chromium the test says so and passes, unless
//! `ROUTY_REQUIRE_BROWSER` is set (CI sets it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use routy_testkit::sim::{FaultMix, Simulation, What};

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
const result = {width: box.width, height: box.height, lanes: lanes.length, ordered, marks: marks.length, inside, onTop, hidden, labels};
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
            "--window-size=1200,360",
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
    let Some(chromium) = chromium() else {
        assert!(
            std::env::var_os("ROUTY_REQUIRE_BROWSER").is_none(),
            "ROUTY_REQUIRE_BROWSER is set but no Chromium was found (apt install chromium)"
        );
        eprintln!("no Chromium here (apt install chromium): the timeline was not looked at");
        return;
    };
    let workers = 6;
    let run = Simulation::new()
        .workers(workers)
        .mix(FaultMix::bad_day().with_rate_limited(0.05))
        .setup(|api, now| {
            api.set_rate_limit(
                Some(routy_sandbox::RateWindow::new(20, Duration::from_secs(2))),
                now,
            );
        })
        .run_one(11, |client, _sim| {
            for account in client.accounts()?.iter().take(4) {
                client.get::<serde_json::Value>(&format!("/v1/accounts/{}", account.id()))?;
            }
            Ok::<(), routy_core::Error>(())
        });
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
    let svg = run.trace.timeline_svg();

    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("timeline");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("fleet.html");
    let html = format!(
        "<!doctype html><html><body style=\"margin:0\">{svg}<pre id=\"result\"></pre>{CHECK}</body></html>"
    );
    std::fs::write(&page, html).unwrap();
    std::fs::write(dir.join("fleet.svg"), &svg).unwrap();

    let dom = run_chromium(&chromium, &page, &dir.join("profile"), &["--dump-dom"]);
    let result = dom
        .split("RESULT ")
        .nth(1)
        .and_then(|rest| rest.split(" END").next())
        .unwrap_or_else(|| panic!("the page's check did not run: {dom:.400}"));
    let result: serde_json::Value = serde_json::from_str(result).unwrap();
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

    // And a picture for people: the screenshot.
    let png = dir.join("fleet.png");
    let shot = format!("--screenshot={}", png.display());
    run_chromium(
        &chromium,
        &dir.join("fleet.svg"),
        &dir.join("profile"),
        &[&shot],
    );
    let bytes = std::fs::read(&png).expect("chromium wrote a screenshot");
    assert!(bytes.starts_with(b"\x89PNG"), "not a PNG");
    eprintln!("timeline screenshot: {}", png.display());
}
