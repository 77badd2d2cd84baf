//! The dashboard in a real browser. `edgeperf dashboard` writes the site of a
//! fixture history (three paths: an accuracy model on two devices, a
//! latency-only model, memory recorded for a few baselines); headless Chromium,
//! driven over the DevTools protocol, loads the index and the path pages from
//! the file system and this test asserts:
//!
//! - no console error, no uncaught exception, no failed load (the style sheet);
//! - every chart has one point per baseline, drawn inside the chart, and each
//!   point links to its commit (`<repo>/commit/<sha>`, oldest first);
//! - a real mouse click on a point opens its commit page (a tiny HTTP server
//!   here stands in for the repository host), and a click on an index cell
//!   opens the path's page;
//! - on a phone-sized screen the page does not scroll sideways, and dark mode
//!   changes the colours;
//!
//! and saves screenshots under `target/dashboard-browser/`.
//!
//! It needs Chromium (Debian's `chromium`; scripts/test.sh installs it when
//! missing) and fails, never skips, without it. `EDGEPERF_CHROMIUM` names another
//! binary.

mod common;
#[path = "common/fixtures.rs"]
mod fixtures;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

use fixtures::{dashboard_history, fake_commit, history_lines, write_history};

const TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------
// Chromium over the DevTools protocol
// ---------------------------------------------------------------------------

/// The Chromium binary: `EDGEPERF_CHROMIUM`, else the first of the usual names
/// on PATH. Panics (the test fails) when there is none.
fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("EDGEPERF_CHROMIUM") {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser", "google-chrome", "chrome"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!(
        "Chromium not found on PATH (nor EDGEPERF_CHROMIUM): the dashboard browser test \
         needs it. Install it with `apt-get install -y chromium` (scripts/test.sh does \
         this when it is missing)."
    );
}

/// A headless Chromium and one page of it, attached over the DevTools protocol
/// (one WebSocket, flattened sessions).
struct Browser {
    child: Child,
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    session: String,
    next_id: u64,
    /// Events received and not yet looked at.
    events: Vec<Value>,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn launch() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let bin = chromium();
        let child = Command::new(&bin)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                "--window-size=1200,900",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        // Chromium writes the port and the browser's WebSocket path here.
        let port_file = profile.path().join("DevToolsActivePort");
        let start = Instant::now();
        let endpoint = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file) {
                let mut lines = text.lines();
                if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                    break format!("ws://127.0.0.1:{port}{path}");
                }
            }
            assert!(
                start.elapsed() < TIMEOUT,
                "{} did not open its DevTools port within {TIMEOUT:?}",
                bin.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        let (ws, _) = tungstenite::connect(&endpoint)
            .unwrap_or_else(|e| panic!("cannot connect to {endpoint}: {e}"));
        if let MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(TIMEOUT)).unwrap();
        }
        let mut b = Browser {
            child,
            ws,
            session: String::new(),
            next_id: 0,
            events: Vec::new(),
            _profile: profile,
        };
        let target = b.browser_call("Target.createTarget", json!({"url": "about:blank"}));
        let attached = b.browser_call(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        b.session = attached["sessionId"].as_str().unwrap().to_string();
        for domain in ["Page", "Runtime", "Log", "Network"] {
            b.call(&format!("{domain}.enable"), json!({}));
        }
        b
    }

    fn read(&mut self) -> Value {
        loop {
            let msg = self
                .ws
                .read()
                .unwrap_or_else(|e| panic!("no message from Chromium: {e}"));
            if let Message::Text(t) = msg {
                return serde_json::from_str(t.as_str()).unwrap();
            }
        }
    }

    fn send(&mut self, method: &str, params: Value, session: bool) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut m = json!({"id": id, "method": method, "params": params});
        if session {
            m["sessionId"] = json!(self.session);
        }
        self.ws.send(Message::Text(m.to_string().into())).unwrap();
        loop {
            let v = self.read();
            if v["id"] == id {
                if let Some(e) = v.get("error") {
                    panic!("{method} failed: {e}");
                }
                return v["result"].clone();
            }
            if v.get("method").is_some() {
                self.events.push(v);
            }
        }
    }

    /// A command to the browser itself.
    fn browser_call(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, false)
    }

    /// A command to the page.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, true)
    }

    /// Waits for the event `method` (one already received counts) and removes it.
    fn wait_for(&mut self, method: &str) -> Value {
        let start = Instant::now();
        loop {
            if let Some(i) = self.events.iter().position(|e| e["method"] == method) {
                return self.events.remove(i);
            }
            assert!(start.elapsed() < TIMEOUT, "no {method} within {TIMEOUT:?}");
            let v = self.read();
            if v.get("method").is_some() {
                self.events.push(v);
            }
        }
    }

    /// Opens `url` and waits until it has loaded.
    fn open(&mut self, url: &str) {
        self.events.retain(|e| e["method"] != "Page.loadEventFired");
        let r = self.call("Page.navigate", json!({"url": url}));
        assert!(r.get("errorText").is_none(), "{url}: {r}");
        self.wait_for("Page.loadEventFired");
    }

    /// Evaluates `expression` in the page and returns its value.
    fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("evaluating {expression}: {e}");
        }
        r["result"]["value"].clone()
    }

    /// Console errors, uncaught exceptions, error log entries (failed loads among
    /// them) and failed requests seen since the last call.
    fn take_problems(&mut self) -> Vec<String> {
        // Let events of the last load arrive.
        self.eval("new Promise(r => setTimeout(r, 200))");
        let mut out = Vec::new();
        for e in std::mem::take(&mut self.events) {
            let p = &e["params"];
            match e["method"].as_str().unwrap_or("") {
                "Runtime.consoleAPICalled"
                    if ["error", "assert"].contains(&p["type"].as_str().unwrap_or("")) =>
                {
                    out.push(format!("console.{}: {}", p["type"], p["args"]))
                }
                "Runtime.exceptionThrown" => {
                    out.push(format!("exception: {}", p["exceptionDetails"]))
                }
                "Log.entryAdded" if p["entry"]["level"] == "error" => out.push(format!(
                    "log: {} ({})",
                    p["entry"]["text"], p["entry"]["url"]
                )),
                "Network.loadingFailed" => out.push(format!("failed load: {p}")),
                _ => {}
            }
        }
        out
    }

    /// A PNG of the whole page, saved as `name` under the screenshot folder.
    fn screenshot(&mut self, dir: &Path, name: &str) {
        let m = self.call("Page.getLayoutMetrics", json!({}));
        let size = &m["cssContentSize"];
        let shot = self.call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true,
                   "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}}),
        );
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        assert_eq!(&png[1..4], b"PNG");
        std::fs::write(dir.join(name), png).unwrap();
    }

    /// A real left click (mouse pressed and released) on the centre of the
    /// element `selector` finds, after scrolling it into view.
    fn click(&mut self, selector: &str) {
        let at = self.eval(&format!(
            "(() => {{ const e = document.querySelector({sel}); e.scrollIntoView({{block: 'center', inline: 'center'}}); \
             const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; }})()",
            sel = serde_json::to_string(selector).unwrap()
        ));
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": at[0], "y": at[1], "button": "left", "clickCount": 1}),
            );
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.ws.send(Message::Text(
            json!({"id": 0, "method": "Browser.close"})
                .to_string()
                .into(),
        ));
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------
// A stand-in for the repository host
// ---------------------------------------------------------------------------

/// Serves `GET <anything>` with a small HTML page titled with the path, and
/// records each path asked for. Returns its base URL.
fn commit_server(seen: Arc<Mutex<Vec<String>>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            // Drain the headers.
            let mut h = String::new();
            while reader.read_line(&mut h).is_ok_and(|n| n > 2) {
                h.clear();
            }
            let body = format!("<!doctype html><title>{path}</title><p>{path}</p>");
            seen.lock().unwrap().push(path);
            let mut s = stream;
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    base
}

// ---------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------

/// What the page says about its charts, its links and its looks.
const INSPECT: &str = r#"(() => {
  const charts = {};
  for (const svg of document.querySelectorAll('svg.chart')) {
    const box = svg.getBoundingClientRect();
    const pts = [...svg.querySelectorAll('.pt')];
    const inside = pts.filter(p => {
      const r = p.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && r.left >= box.left - 1 && r.right <= box.right + 1
        && r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
    }).length;
    charts[svg.id] = {
      points: pts.length,
      drawn: inside,
      circles: svg.querySelectorAll('.pt circle').length,
      hrefs: pts.map(p => p.getAttribute('href')),
      first_tooltip: pts.length ? pts[0].querySelector('title').textContent : null,
      bars: svg.querySelectorAll('rect').length,
      markers: svg.querySelectorAll('.marker').length,
      width: box.width,
    };
  }
  const body = getComputedStyle(document.body);
  return {
    title: document.title,
    charts,
    cells: document.querySelectorAll('a.cell').length,
    empty_cells: document.querySelectorAll('td.empty').length,
    background: body.backgroundColor,
    styled: body.maxWidth === '1100px',
    scroll_width: document.documentElement.scrollWidth,
    inner_width: window.innerWidth,
  };
})()"#;

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| common::root().join("target"));
    let dir = target.join("dashboard-browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_dashboard_works_in_headless_chromium() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let host = commit_server(seen.clone());
    let repo = format!("{host}/acme/models");

    // Fixture history: cpu/mobilenet_v2 (12 baselines, the last 4 with peak
    // memory), openvino-cpu/mobilenet_v2 (5), cpu/resnet50 (4, latency only).
    let d = tempfile::tempdir().unwrap();
    let baselines = d.path().join("baselines");
    let mut mobilenet = dashboard_history(12, 9.0, Some(0.75));
    for (k, e) in mobilenet.iter_mut().skip(8).enumerate() {
        e.peak_rss_mb = Some(180.0 + k as f64);
    }
    write_history(
        &baselines,
        "cpu",
        "mobilenet_v2",
        &history_lines(&mobilenet),
    );
    write_history(
        &baselines,
        "openvino-cpu",
        "mobilenet_v2",
        &history_lines(&dashboard_history(5, 7.0, Some(0.75))),
    );
    write_history(
        &baselines,
        "cpu",
        "resnet50",
        &history_lines(&dashboard_history(4, 60.0, None)),
    );
    let site = d.path().join("site");
    let (code, out, err) = common::run(
        &[
            "dashboard",
            "--baselines",
            baselines.to_str().unwrap(),
            "--out",
            site.to_str().unwrap(),
            "--repo-url",
            &repo,
        ],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("wrote 8 files for 3 paths"), "{err}");

    let shots = screenshot_dir();
    let mut b = Browser::launch();
    let url = |rel: &str| format!("file://{}", site.join(rel).display());
    let commits = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| json!(format!("{repo}/commit/{}", fake_commit(i))))
            .collect()
    };

    // The index: a 2 x 2 matrix with one empty cell, styled, no errors.
    b.open(&url("index.html"));
    let index = b.eval(INSPECT);
    assert_eq!(b.take_problems(), Vec::<String>::new(), "index.html");
    assert_eq!(index["title"], "edgeperf baselines");
    assert_eq!(
        (index["cells"].as_u64(), index["empty_cells"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(index["styled"], true, "style.css did not apply: {index}");
    b.screenshot(&shots, "index.png");

    // A click on a cell opens that path's page.
    b.events.clear();
    b.click(r#"a.cell[href="paths/cpu/mobilenet_v2.html"]"#);
    b.wait_for("Page.loadEventFired");
    let page = b.eval(INSPECT);
    assert_eq!(b.take_problems(), Vec::<String>::new(), "cpu/mobilenet_v2");
    assert_eq!(page["title"], "cpu / mobilenet_v2 · edgeperf");
    let charts = &page["charts"];
    for id in ["latency", "accuracy", "cold-start"] {
        let c = &charts[id];
        assert_eq!(c["points"], 12, "{id}: {c}");
        assert_eq!(c["drawn"], 12, "{id}: points outside the chart: {c}");
        assert_eq!(c["hrefs"], Value::Array(commits(12)), "{id}");
    }
    assert_eq!(charts["latency"]["circles"], 12);
    assert_eq!(charts["accuracy"]["circles"], 24, "top-1 and top-5");
    // Memory was recorded for the last four baselines only.
    let memory = &charts["memory"];
    assert_eq!(memory["points"], 4, "{memory}");
    assert_eq!(memory["drawn"], 4, "{memory}");
    assert_eq!(memory["hrefs"], Value::Array(commits(12)[8..].to_vec()));
    // The level change at entry 8 and the runtime change at entry 4.
    assert_eq!(charts["latency"]["markers"], 2, "{}", charts["latency"]);
    let tip = charts["latency"]["first_tooltip"].as_str().unwrap();
    assert!(
        tip.contains(&fake_commit(0)[..10])
            && tip.contains("p50 ")
            && tip.contains("onnxruntime 1.24.1"),
        "{tip}"
    );
    assert_eq!(charts["devices-ms"]["bars"], 2);
    assert_eq!(charts["devices-fps"]["bars"], 2);
    b.screenshot(&shots, "path.png");

    // Dark mode: the page's own dark colours.
    b.call(
        "Emulation.setEmulatedMedia",
        json!({"features": [{"name": "prefers-color-scheme", "value": "dark"}]}),
    );
    let dark = b.eval(INSPECT);
    assert_eq!(dark["background"], "rgb(13, 17, 23)");
    assert_ne!(dark["background"], page["background"]);
    b.screenshot(&shots, "path-dark.png");
    b.call(
        "Emulation.setEmulatedMedia",
        json!({"features": [{"name": "prefers-color-scheme", "value": "light"}]}),
    );

    // A phone: nothing scrolls the page sideways; charts keep their points.
    b.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}),
    );
    b.open(&url("paths/cpu/mobilenet_v2.html"));
    let phone = b.eval(INSPECT);
    assert_eq!(b.take_problems(), Vec::<String>::new(), "phone");
    assert!(
        phone["scroll_width"].as_f64() <= phone["inner_width"].as_f64(),
        "the page scrolls sideways on a phone: {phone}"
    );
    assert_eq!(phone["charts"]["latency"]["drawn"], 12);
    b.screenshot(&shots, "path-phone.png");
    b.call("Emulation.clearDeviceMetricsOverride", json!({}));

    // The latency-only model and the other device.
    b.open(&url("paths/cpu/resnet50.html"));
    let resnet = b.eval(INSPECT);
    assert_eq!(b.take_problems(), Vec::<String>::new(), "cpu/resnet50");
    assert_eq!(resnet["charts"]["latency"]["points"], 4);
    assert_eq!(
        resnet["charts"]["latency"]["hrefs"],
        Value::Array(commits(4))
    );
    assert!(resnet["charts"].get("accuracy").is_none(), "{resnet}");
    assert_eq!(resnet["charts"]["devices-ms"]["bars"], 1);
    b.open(&url("paths/openvino-cpu/mobilenet_v2.html"));
    let ov = b.eval(INSPECT);
    assert_eq!(b.take_problems(), Vec::<String>::new(), "openvino-cpu");
    assert_eq!(ov["charts"]["latency"]["points"], 5);
    assert_eq!(ov["charts"]["accuracy"]["points"], 5);

    // A real click on the newest latency point opens its commit.
    b.open(&url("paths/cpu/mobilenet_v2.html"));
    b.events.clear();
    b.click("#latency a.pt:last-of-type");
    b.wait_for("Page.loadEventFired");
    let want = format!("/acme/models/commit/{}", fake_commit(11));
    assert_eq!(b.eval("location.href"), json!(format!("{host}{want}")));
    assert_eq!(b.eval("document.title"), json!(want));
    assert!(
        seen.lock().unwrap().contains(&want),
        "{:?}",
        seen.lock().unwrap()
    );
    assert_eq!(b.take_problems(), Vec::<String>::new(), "commit page");
}
