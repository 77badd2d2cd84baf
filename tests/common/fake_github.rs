//! A fake GitHub REST API for tests: plain `std::net::TcpListener` + threads,
//! minimal HTTP/1.1 (keep-alive, `Content-Length` bodies), no extra crates.
//!
//! ```ignore
//! #[path = "common/fake_github.rs"] mod fake_github;
//! let (gh, base_url) = fake_github::FakeGithub::start();
//! // point the code under test at it: GITHUB_API_URL=<base_url>
//! gh.fail_next("/repos/o/r/issues/1/comments", 502, &[]);
//! ... run ...
//! assert_eq!(gh.comments().len(), 1);
//! assert!(gh.requests().iter().any(|r| r.method == "PATCH"));
//! ```
//!
//! Routes (any `owner/name`, unless [`FakeGithub::restrict_repos`]):
//! * `GET  /repos/{o}/{r}/issues/{n}/comments?per_page=&page=` — paginated, with
//!   `Link: <…>; rel="next", <…>; rel="last"` while more pages exist;
//! * `POST /repos/{o}/{r}/issues/{n}/comments` `{"body"}` — 201;
//! * `PATCH /repos/{o}/{r}/issues/comments/{id}` `{"body"}` — 200, 404 if unknown;
//! * `POST /repos/{o}/{r}/statuses/{sha}` — 201, 422 on a bad state or a
//!   description over 140 characters;
//! * `GET  /repos/{o}/{r}/issues?state=&creator=&per_page=&page=` — issues
//!   (and pull requests, marked `pull_request`), oldest first, paginated like
//!   comments; `state` `open` (default), `closed` or `all`;
//! * `POST /repos/{o}/{r}/issues` `{"title","body","labels"}` — 201, opened by
//!   `github-actions[bot]`; `PATCH /repos/{o}/{r}/issues/{n}` `{"title","body"}`
//!   — 200, 404 if unknown;
//! * anything else — 404 `{"message":"Not Found"}`.
//!
//! With [`FakeGithub::expect_token`], requests without `Authorization: Bearer
//! <token>` get 401 `Bad credentials`. Faults ([`FakeGithub::fail_next`],
//! [`FakeGithub::inject`]) are answered before routing, in FIFO order, each
//! used once (or `times` times). Every request is recorded, faulted or not.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// One recorded request. Header names are lower-case.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Raw query string without `?` (may be empty).
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
    /// Request line + headers + body, for "secret never appears" checks.
    pub fn raw(&self) -> String {
        let mut s = format!("{} {}?{}\n", self.method, self.path, self.query);
        for (k, v) in &self.headers {
            s.push_str(&format!("{k}: {v}\n"));
        }
        s.push_str(&self.body);
        s
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub id: u64,
    pub repo: String,
    pub issue: u64,
    pub body: String,
    pub user: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub number: u64,
    pub repo: String,
    pub title: String,
    pub body: String,
    pub user: String,
    pub labels: Vec<String>,
    pub open: bool,
    /// A pull request (the issues list returns both).
    pub pull: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub repo: String,
    pub sha: String,
    pub state: String,
    pub context: String,
    pub description: String,
    pub target_url: Option<String>,
}

/// A programmed answer for the next matching request.
#[derive(Debug, Clone)]
pub struct Fault {
    pub method: Option<String>,
    pub path_prefix: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// How many matching requests get this answer.
    pub times: usize,
    /// Close the connection without answering (a network error) instead.
    pub drop_connection: bool,
}

impl Fault {
    pub fn new(path_prefix: &str, status: u16) -> Self {
        Fault {
            method: None,
            path_prefix: path_prefix.to_string(),
            status,
            headers: Vec::new(),
            body: format!("{{\"message\":\"injected {status}\"}}"),
            times: 1,
            drop_connection: false,
        }
    }
    pub fn method(mut self, m: &str) -> Self {
        self.method = Some(m.to_ascii_uppercase());
        self
    }
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }
    pub fn body(mut self, b: &str) -> Self {
        self.body = b.to_string();
        self
    }
    pub fn times(mut self, n: usize) -> Self {
        self.times = n;
        self
    }
    pub fn drop_connection(mut self) -> Self {
        self.drop_connection = true;
        self
    }
}

#[derive(Default)]
struct State {
    requests: Vec<Request>,
    comments: Vec<Comment>,
    statuses: Vec<Status>,
    issues: Vec<Issue>,
    faults: VecDeque<Fault>,
    next_id: u64,
    expected_token: Option<String>,
    repos: Option<Vec<String>>,
    page_size_cap: usize,
    send_link: bool,
}

/// Handle to a running fake server; it stops when dropped.
pub struct FakeGithub {
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
    base_url: String,
}

impl FakeGithub {
    /// Starts a server on 127.0.0.1:0 and returns it with its base URL
    /// (`http://127.0.0.1:PORT`, usable as `GITHUB_API_URL`).
    pub fn start() -> (FakeGithub, String) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let base_url = format!("http://{addr}");
        let state = Arc::new(Mutex::new(State {
            next_id: 1000,
            page_size_cap: 100,
            send_link: true,
            ..State::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        {
            let state = state.clone();
            let stop = stop.clone();
            let base = base_url.clone();
            thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let state = state.clone();
                    let base = base.clone();
                    thread::spawn(move || serve_connection(conn, &state, &base));
                }
            });
        }
        let gh = FakeGithub {
            state,
            stop,
            addr,
            base_url: base_url.clone(),
        };
        (gh, base_url)
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Requests without `Authorization: Bearer <token>` get 401.
    pub fn expect_token(&self, token: &str) {
        self.state.lock().unwrap().expected_token = Some(token.to_string());
    }

    /// Only these `owner/name` exist; others answer 404.
    pub fn restrict_repos(&self, repos: &[&str]) {
        self.state.lock().unwrap().repos = Some(repos.iter().map(|s| s.to_string()).collect());
    }

    /// Whether comment listings carry `Link` headers (default true). Without
    /// them a client has to stop on an empty (or short) page.
    pub fn set_link_headers(&self, on: bool) {
        self.state.lock().unwrap().send_link = on;
    }

    /// Answers the next request whose path starts with `path_prefix` with
    /// `status`, these headers and a `{"message":…}` body.
    pub fn fail_next(&self, path_prefix: &str, status: u16, headers: &[(&str, &str)]) {
        let mut f = Fault::new(path_prefix, status);
        for (k, v) in headers {
            f = f.header(k, v);
        }
        self.inject(f);
    }

    pub fn inject(&self, fault: Fault) {
        self.state.lock().unwrap().faults.push_back(fault);
    }

    /// Adds a comment directly to the store and returns its id.
    pub fn add_comment(&self, repo: &str, issue: u64, body: &str, user: &str) -> u64 {
        let mut st = self.state.lock().unwrap();
        st.next_id += 1;
        let id = st.next_id;
        st.comments.push(Comment {
            id,
            repo: repo.into(),
            issue,
            body: body.into(),
            user: user.into(),
        });
        id
    }

    /// Adds `n` ordinary comments ("comment i") by `someone`.
    pub fn seed_comments(&self, repo: &str, issue: u64, n: usize) {
        for i in 0..n {
            self.add_comment(repo, issue, &format!("comment {i}"), "someone");
        }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Every comment in the store, oldest first.
    pub fn comments(&self) -> Vec<Comment> {
        self.state.lock().unwrap().comments.clone()
    }

    pub fn comments_on(&self, repo: &str, issue: u64) -> Vec<Comment> {
        self.comments()
            .into_iter()
            .filter(|c| c.repo == repo && c.issue == issue)
            .collect()
    }

    /// Adds an issue (or a pull request) directly and returns its number.
    pub fn add_issue(&self, repo: &str, title: &str, body: &str, user: &str, pull: bool) -> u64 {
        let mut st = self.state.lock().unwrap();
        let number = st.issues.len() as u64 + 1;
        st.issues.push(Issue {
            number,
            repo: repo.into(),
            title: title.into(),
            body: body.into(),
            user: user.into(),
            labels: Vec::new(),
            open: true,
            pull,
        });
        number
    }

    /// Closes issue `number` (as a maintainer would).
    pub fn close_issue(&self, number: u64) {
        let mut st = self.state.lock().unwrap();
        if let Some(i) = st.issues.iter_mut().find(|i| i.number == number) {
            i.open = false;
        }
    }

    /// Every issue and pull request, oldest first.
    pub fn issues(&self) -> Vec<Issue> {
        self.state.lock().unwrap().issues.clone()
    }

    /// Every status set, in order.
    pub fn statuses(&self) -> Vec<Status> {
        self.state.lock().unwrap().statuses.clone()
    }

    /// Forgets recorded requests (the stores stay).
    pub fn clear_requests(&self) {
        self.state.lock().unwrap().requests.clear();
    }
}

impl Drop for FakeGithub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn json(status: u16, v: serde_json::Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: v.to_string(),
        }
    }
    fn message(status: u16, msg: &str) -> Reply {
        Reply::json(
            status,
            serde_json::json!({ "message": msg, "documentation_url": "https://docs.github.com/rest" }),
        )
    }
}

fn serve_connection(conn: TcpStream, state: &Arc<Mutex<State>>, base: &str) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let mut writer = match conn.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut reader = BufReader::new(conn);
    loop {
        let Some(req) = read_request(&mut reader) else {
            return;
        };
        let close = req
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let reply = {
            let mut st = state.lock().unwrap();
            st.requests.push(req.clone());
            match take_fault(&mut st, &req) {
                Some(f) if f.drop_connection => return,
                Some(f) => Reply {
                    status: f.status,
                    headers: f.headers,
                    body: f.body,
                },
                None => route(&mut st, &req, base),
            }
        };
        let mut out = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n",
            reply.status,
            reason(reply.status),
            reply.body.len()
        );
        for (k, v) in &reply.headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        if close {
            out.push_str("Connection: close\r\n");
        }
        out.push_str("\r\n");
        out.push_str(&reply.body);
        if writer.write_all(out.as_bytes()).is_err() || writer.flush().is_err() || close {
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.trim_end().splitn(3, ' ');
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target, String::new()),
    };
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        query,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn take_fault(st: &mut State, req: &Request) -> Option<Fault> {
    let idx = st.faults.iter().position(|f| {
        req.path.starts_with(&f.path_prefix) && f.method.as_deref().is_none_or(|m| m == req.method)
    })?;
    let f = st.faults[idx].clone();
    if f.times <= 1 {
        st.faults.remove(idx);
    } else {
        st.faults[idx].times -= 1;
    }
    Some(f)
}

fn route(st: &mut State, req: &Request, base: &str) -> Reply {
    if let Some(tok) = &st.expected_token {
        if req.header("authorization") != Some(&format!("Bearer {tok}")) {
            return Reply::message(401, "Bad credentials");
        }
    }
    let segs: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    if segs.len() < 3 || segs[0] != "repos" {
        return Reply::message(404, "Not Found");
    }
    let repo = format!("{}/{}", segs[1], segs[2]);
    if st.repos.as_ref().is_some_and(|r| !r.contains(&repo)) {
        return Reply::message(404, "Not Found");
    }
    let body =
        || serde_json::from_str::<serde_json::Value>(&req.body).unwrap_or(serde_json::Value::Null);
    match (req.method.as_str(), &segs[3..]) {
        ("GET", ["issues", n, "comments"]) => {
            let Ok(issue) = n.parse::<u64>() else {
                return Reply::message(404, "Not Found");
            };
            let per_page = req
                .query_param("per_page")
                .and_then(|v| v.parse().ok())
                .unwrap_or(30usize);
            let per_page = per_page.clamp(1, st.page_size_cap);
            let page = req
                .query_param("page")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1usize)
                .max(1);
            let all: Vec<&Comment> = st
                .comments
                .iter()
                .filter(|c| c.repo == repo && c.issue == issue)
                .collect();
            let last = all.len().div_ceil(per_page).max(1);
            let items: Vec<serde_json::Value> = all
                .iter()
                .skip((page - 1) * per_page)
                .take(per_page)
                .map(|c| comment_json(c, base))
                .collect();
            let mut reply = Reply::json(200, serde_json::Value::Array(items));
            if st.send_link && page < last {
                let u = |p: usize| format!("{base}{}?per_page={per_page}&page={p}", req.path);
                reply.headers.push((
                    "Link".into(),
                    format!(
                        "<{}>; rel=\"next\", <{}>; rel=\"last\"",
                        u(page + 1),
                        u(last)
                    ),
                ));
            }
            reply
        }
        ("POST", ["issues", n, "comments"]) => {
            let Ok(issue) = n.parse::<u64>() else {
                return Reply::message(404, "Not Found");
            };
            let Some(text) = body()
                .get("body")
                .and_then(|b| b.as_str())
                .map(str::to_string)
            else {
                return Reply::message(422, "Validation Failed");
            };
            if text.chars().count() > 65_536 {
                return Reply::message(422, "Body is too long (maximum is 65536 characters)");
            }
            st.next_id += 1;
            let c = Comment {
                id: st.next_id,
                repo,
                issue,
                body: text,
                user: "github-actions[bot]".into(),
            };
            let j = comment_json(&c, base);
            st.comments.push(c);
            Reply::json(201, j)
        }
        ("PATCH", ["issues", "comments", id]) => {
            let Ok(id) = id.parse::<u64>() else {
                return Reply::message(404, "Not Found");
            };
            let Some(text) = body()
                .get("body")
                .and_then(|b| b.as_str())
                .map(str::to_string)
            else {
                return Reply::message(422, "Validation Failed");
            };
            if text.chars().count() > 65_536 {
                return Reply::message(422, "Body is too long (maximum is 65536 characters)");
            }
            match st
                .comments
                .iter_mut()
                .find(|c| c.id == id && c.repo == repo)
            {
                Some(c) => {
                    c.body = text;
                    let j = comment_json(c, base);
                    Reply::json(200, j)
                }
                None => Reply::message(404, "Not Found"),
            }
        }
        ("POST", ["statuses", sha]) => {
            let b = body();
            let state = b
                .get("state")
                .and_then(|s| s.as_str())
                .unwrap_or("")
                .to_string();
            let description = b
                .get("description")
                .and_then(|s| s.as_str())
                .unwrap_or("")
                .to_string();
            if !["success", "failure", "error", "pending"].contains(&state.as_str())
                || description.chars().count() > 140
            {
                return Reply::message(422, "Validation Failed");
            }
            let s = Status {
                repo,
                sha: sha.to_string(),
                state,
                context: b
                    .get("context")
                    .and_then(|s| s.as_str())
                    .unwrap_or("default")
                    .to_string(),
                description,
                target_url: b
                    .get("target_url")
                    .and_then(|s| s.as_str())
                    .map(str::to_string),
            };
            let j = serde_json::json!({
                "id": st.statuses.len() + 1, "state": s.state, "context": s.context,
                "description": s.description, "target_url": s.target_url,
            });
            st.statuses.push(s);
            Reply::json(201, j)
        }
        (_, ["issues"]) | ("PATCH", ["issues", _]) => {
            issues_route(st, req, &repo, &segs[3..], base)
        }
        _ => Reply::message(404, "Not Found"),
    }
}

/// The issue routes: list, open, update.
fn issues_route(st: &mut State, req: &Request, repo: &str, segs: &[&str], base: &str) -> Reply {
    let body = serde_json::from_str::<serde_json::Value>(&req.body).unwrap_or_default();
    let text = |k: &str| body.get(k).and_then(|v| v.as_str()).map(str::to_string);
    match (req.method.as_str(), segs) {
        ("GET", ["issues"]) => {
            let state = req.query_param("state").unwrap_or("open");
            let creator = req
                .query_param("creator")
                .map(|c| c.replace("%5B", "[").replace("%5D", "]"));
            let per_page = req
                .query_param("per_page")
                .and_then(|v| v.parse().ok())
                .unwrap_or(30usize)
                .clamp(1, st.page_size_cap);
            let page = req
                .query_param("page")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1usize)
                .max(1);
            let all: Vec<&Issue> = st
                .issues
                .iter()
                .filter(|i| i.repo == repo)
                .filter(|i| state == "all" || (state == "open") == i.open)
                .filter(|i| creator.as_deref().is_none_or(|c| c == i.user))
                .collect();
            let last = all.len().div_ceil(per_page).max(1);
            let items: Vec<serde_json::Value> = all
                .iter()
                .skip((page - 1) * per_page)
                .take(per_page)
                .map(|i| issue_json(i))
                .collect();
            let mut reply = Reply::json(200, serde_json::Value::Array(items));
            if st.send_link && page < last {
                let q = |p: usize| {
                    format!(
                        "{base}{}?state={state}&per_page={per_page}&page={p}{}",
                        req.path,
                        creator
                            .as_deref()
                            .map(|c| format!("&creator={c}"))
                            .unwrap_or_default()
                    )
                };
                reply.headers.push((
                    "Link".into(),
                    format!(
                        "<{}>; rel=\"next\", <{}>; rel=\"last\"",
                        q(page + 1),
                        q(last)
                    ),
                ));
            }
            reply
        }
        ("POST", ["issues"]) => {
            let (Some(title), Some(b)) = (text("title"), text("body")) else {
                return Reply::message(422, "Validation Failed");
            };
            if b.chars().count() > 65_536 {
                return Reply::message(422, "Body is too long (maximum is 65536 characters)");
            }
            let labels = body
                .get("labels")
                .and_then(|l| l.as_array())
                .map(|l| {
                    l.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let i = Issue {
                number: st.issues.len() as u64 + 1,
                repo: repo.into(),
                title,
                body: b,
                user: "github-actions[bot]".into(),
                labels,
                open: true,
                pull: false,
            };
            let j = issue_json(&i);
            st.issues.push(i);
            Reply::json(201, j)
        }
        ("PATCH", ["issues", n]) => {
            let Ok(n) = n.parse::<u64>() else {
                return Reply::message(404, "Not Found");
            };
            match st
                .issues
                .iter_mut()
                .find(|i| i.number == n && i.repo == repo)
            {
                Some(i) => {
                    if let Some(t) = text("title") {
                        i.title = t;
                    }
                    if let Some(b) = text("body") {
                        i.body = b;
                    }
                    Reply::json(200, issue_json(i))
                }
                None => Reply::message(404, "Not Found"),
            }
        }
        _ => Reply::message(404, "Not Found"),
    }
}

fn issue_json(i: &Issue) -> serde_json::Value {
    let mut v = serde_json::json!({
        "number": i.number,
        "title": i.title,
        "body": i.body,
        "state": if i.open { "open" } else { "closed" },
        "labels": i.labels.iter().map(|l| serde_json::json!({ "name": l })).collect::<Vec<_>>(),
        "user": { "login": i.user },
        "html_url": format!("https://github.com/{}/issues/{}", i.repo, i.number),
    });
    if i.pull {
        v["pull_request"] = serde_json::json!({ "url": "x" });
    }
    v
}

fn comment_json(c: &Comment, base: &str) -> serde_json::Value {
    serde_json::json!({
        "id": c.id,
        "body": c.body,
        "user": { "login": c.user, "type": if c.user.ends_with("[bot]") { "Bot" } else { "User" } },
        "html_url": format!("https://github.com/{}/pull/{}#issuecomment-{}", c.repo, c.issue, c.id),
        "url": format!("{base}/repos/{}/issues/comments/{}", c.repo, c.id),
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}
