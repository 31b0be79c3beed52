#!/usr/bin/env python3
"""Opens a trailgate HTML report in headless Chromium and checks it as a reader would see it.

Drives Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe: file descriptors
3 and 4, no port, no network, no Python packages) and checks that:

- the page loads and its script runs (`document.body.dataset.ready`), with no exception, no
  console error, no Content Security Policy violation, and no request for anything but the file;
- the numbers it shows (findings, events, files, per severity, rule, account, region, principal
  and day) equal those of the JSON report of the same scan;
- the findings table lists, filters and sorts;
- with --hostile: the planted event's script tags and handlers did not run or become elements,
  and its userAgent shows as text, terminal escapes as `\\u{1b}`, in the finding's details.

Then it saves a screenshot of the whole page (with the first hostile finding, or else the first
finding, opened), and with --shot SELECTOR=PATH, of single elements, for the docs.

Usage: check_html_report.py --html R.html --json R.json --screenshot R.png [--hostile]
                            [--shot '#compliance=docs/images/x.png']... [--palette] [--prepare JS]
                            [--chromium PATH]
Exit status 0 when every check passes, 1 otherwise (each failure is printed), 2 when Chromium
cannot be started.
"""
import argparse
import base64
import collections
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
]
CONTROL = re.compile("[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]")
SEVERITIES = ["critical", "high", "medium", "low", "info"]


def shown(text):
    """The report's escaping of control characters (escape::control)."""
    return CONTROL.sub(lambda m: "\\u{%x}" % ord(m.group(0)), text)


def find_chromium(given):
    for name in [given, os.environ.get("TRAILGATE_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"]:
        if name and shutil.which(name):
            return shutil.which(name)
    return None


class Browser:
    def __init__(self, binary):
        self.profile = tempfile.mkdtemp(prefix="trailgate-chromium-")
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()

        def arrange():
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self.process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=arrange,
            pass_fds=(3, 4),
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self.buffer:
            if time.time() > deadline:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise EOFError("Chromium closed the pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method, params=None, session=None, timeout=20):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_event(self, method, timeout=20):
        deadline = time.time() + timeout
        for i, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(i)
        while True:
            event = self._read_message(deadline)
            if event.get("method") == method:
                return event
            self.events.append(event)

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    def __init__(self, browser):
        self.browser = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ["Page", "Runtime", "Log", "Network"]:
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})

    def call(self, method, params=None):
        return self.browser.send(method, params, self.session)

    def eval(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluating {expression[:60]!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def problems(self, url):
        """Exceptions, console errors, log errors (CSP violations among them) and requests for
        anything but the report itself, seen so far in this session."""
        found = []
        for event in self.browser.events:
            if event.get("sessionId") != self.session:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append("exception: " + json.dumps(params["exceptionDetails"])[:400])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert", "warning"):
                found.append(f"console.{params['type']}: " + json.dumps(params.get("args"))[:400])
            elif method == "Log.entryAdded" and params["entry"].get("level") in ("error", "warning"):
                found.append(f"log {params['entry']['level']}: {params['entry'].get('text')}")
            elif method == "Network.requestWillBeSent":
                requested = params["request"]["url"]
                if requested != url and not requested.startswith(("data:", "about:")):
                    found.append("network request: " + requested)
        return found

    def screenshot(self, path, clip=None):
        params = {"format": "png", "captureBeyondViewport": True}
        if clip:
            params["clip"] = {**clip, "scale": 1}
        else:
            size = self.eval("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}
        data = self.call("Page.captureScreenshot", params)["data"]
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))


READ_PAGE = r"""(() => {
  const num = (el) => el === null ? null : Number(el.textContent.trim());
  const count = (key) => num(document.querySelector(`[data-count="${key}"]`));
  const out = {counts: {}, severity: {}, rules: {}, groups: {}, days: {}, controls: []};
  for (const key of ["findings", "events", "files_read", "files_skipped", "errors", "out_of_scope", "rules", "accounts", "regions", "shown"]) {
    out.counts[key] = count(key);
  }
  document.querySelectorAll("[data-severity]").forEach(el => out.severity[el.dataset.severity] = num(el));
  document.querySelectorAll("tr[data-rule]").forEach(tr => out.rules[tr.dataset.rule] = num(tr.querySelector("[data-col=findings]")));
  document.querySelectorAll("table[data-group]").forEach(table => {
    const rows = {};
    table.querySelectorAll("tr[data-name]").forEach(tr => rows[tr.dataset.name] = num(tr.querySelector("[data-col=findings]")));
    out.groups[table.dataset.group] = rows;
  });
  document.querySelectorAll("g[data-day]").forEach(g => out.days[g.dataset.day] = Number(g.dataset.findings));
  document.querySelectorAll("tr[data-control]").forEach(tr => out.controls.push({
    framework: tr.dataset.framework, control: tr.dataset.control,
    events: num(tr.querySelector("[data-col=events]")), findings: num(tr.querySelector("[data-col=findings]")),
    status: tr.querySelector("[data-col=status]").textContent}));
  out.rows = document.querySelectorAll("#findings-table tbody tr.row").length;
  out.scripts = document.scripts.length;
  out.pwned = window.__pwned === undefined ? null : window.__pwned;
  out.handlers = [...document.querySelectorAll("*")].filter(el => [...el.attributes].some(a => a.name.startsWith("on"))).map(el => el.outerHTML.slice(0, 120));
  out.foreign = [...document.querySelectorAll("img, iframe, object, embed, link, base, form, meta[http-equiv=refresh]")].map(el => el.outerHTML.slice(0, 120));
  out.text = document.body.innerText;
  return out;
})()"""


def expected_numbers(report):
    findings = report["findings"]
    summary = report["summary"]
    def by(key):
        return collections.Counter(shown(f[key]) if f[key] is not None else "" for f in findings)
    days = collections.Counter()
    for f in findings:
        t = f["event_time"]
        try:
            stamp = datetime.datetime.fromisoformat(t.replace("Z", "+00:00").replace("z", "+00:00"))
            if stamp.tzinfo is None:
                stamp = stamp.replace(tzinfo=datetime.timezone.utc)
            days[stamp.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d")] += 1
        except (AttributeError, TypeError, ValueError):
            pass
    scope = summary.get("scope", {})
    return {
        "counts": {
            "findings": summary["findings"],
            "events": summary["events"],
            "files_read": summary["files_read"],
            "files_skipped": summary["files_skipped"],
            "errors": summary["errors"],
            "out_of_scope": scope.get("out_of_scope", 0) + scope.get("undated", 0),
            "rules": summary["rules"],
        },
        "severity": summary["findings_by_severity"],
        "rules": collections.Counter(f["rule_id"] for f in findings),
        "groups": {"account": by("account"), "region": by("region"), "principal": by("principal")},
        "days": days,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--html", required=True)
    parser.add_argument("--json", required=True, help="the JSON report of the same scan")
    parser.add_argument("--screenshot", required=True)
    parser.add_argument("--hostile", action="store_true", help="the scan includes fixtures/hostile")
    parser.add_argument("--shot", action="append", default=[], metavar="SELECTOR=PATH")
    parser.add_argument("--prepare", metavar="JS", help="JavaScript to run in the page before the screenshots")
    parser.add_argument("--palette", action="store_true",
                        help="reduce --shot images to 256 colours (needs Pillow), for small PNGs in docs/")
    parser.add_argument("--chromium")
    args = parser.parse_args()

    binary = find_chromium(args.chromium)
    if binary is None:
        print("chromium not found (apt-get install chromium, or set TRAILGATE_CHROMIUM)", file=sys.stderr)
        return 2
    with open(args.json) as f:
        report = json.load(f)
    expected = expected_numbers(report)
    url = "file://" + os.path.abspath(args.html)
    failures = []
    checks = 0

    def check(condition, message):
        nonlocal checks
        checks += 1
        if not condition:
            failures.append(message)

    started = time.time()
    try:
        browser = Browser(binary)
    except OSError as err:
        print(f"cannot start {binary}: {err}", file=sys.stderr)
        return 2
    try:
        page = Page(browser)
        page.call("Page.navigate", {"url": url})
        browser.wait_event("Page.loadEventFired")
        deadline = time.time() + 10
        while page.eval("document.body && document.body.dataset.ready") != "true":
            if time.time() > deadline:
                failures.append("the page's script did not finish (document.body.dataset.ready)")
                break
            time.sleep(0.05)
        seen = page.eval(READ_PAGE)

        for key, value in expected["counts"].items():
            check(seen["counts"].get(key) == value, f"{key}: the page shows {seen['counts'].get(key)}, the JSON report {value}")
        check(seen["counts"]["accounts"] is not None and seen["counts"]["regions"] is not None, "accounts and regions are counted")
        for severity in SEVERITIES:
            check(seen["severity"].get(severity) == expected["severity"][severity],
                  f"severity {severity}: page {seen['severity'].get(severity)}, JSON {expected['severity'][severity]}")
        check(len(seen["rules"]) == report["summary"]["rules"], f"{len(seen['rules'])} rules listed, {report['summary']['rules']} loaded")
        for rule, n in seen["rules"].items():
            check(n == expected["rules"].get(rule, 0), f"rule {rule}: page {n}, JSON {expected['rules'].get(rule, 0)}")
        for group, rows in expected["groups"].items():
            page_rows = seen["groups"].get(group, {})
            if len(rows) <= 100:
                check(dict(page_rows) == dict(rows), f"findings by {group}: page {page_rows}, JSON {dict(rows)}")
        page_days = {d: n for d, n in seen["days"].items() if n}
        check(page_days == dict(expected["days"]), f"findings per day: page {page_days}, JSON {dict(expected['days'])}")
        for control in seen["controls"]:
            status = "fail" if control["findings"] else ("pass" if control["events"] else "not checked")
            check(control["status"] == status, f"control {control}: status should be {status}")
        total = report["summary"]["findings"]
        check(seen["rows"] == min(total, 200), f"the findings table lists {seen['rows']} rows, expected {min(total, 200)}")
        check(seen["scripts"] == 2, f"{seen['scripts']} script elements: only the report's data and code may be there")
        check(seen["pwned"] is None, f"a script from the trail ran (window.__pwned = {seen['pwned']})")
        check(not seen["handlers"], f"elements with event handler attributes: {seen['handlers']}")
        check(not seen["foreign"], f"elements that load or submit something: {seen['foreign']}")

        if total:
            # Filter by severity: the count shown must follow.
            for severity in SEVERITIES:
                n = expected["severity"][severity]
                if not n:
                    continue
                value = page.eval(f"""(() => {{
                  const select = document.getElementById("filter-severity");
                  const i = [...select.options].findIndex(o => o.textContent.startsWith("{severity} ("));
                  select.selectedIndex = i;
                  select.dispatchEvent(new Event("change"));
                  return [document.querySelector('[data-count="shown"]').textContent,
                          [...document.querySelectorAll("#findings-table tbody tr.row .sev")].every(s => s.textContent === "{severity}")];
                }})()""")
                check(value == [str(n), True], f"filtering on {severity} shows {value}, expected {n} rows of that severity")
            page.eval("""document.getElementById("filter-reset").click()""")
            # Sort by severity: the most serious first.
            first = page.eval("""(() => {
              document.querySelector('th[data-key="severity"]').click();
              return document.querySelector("#findings-table tbody tr.row .sev").textContent;
            })()""")
            most = next(s for s in SEVERITIES if expected["severity"][s])
            check(first == most, f"sorted by severity, the first row is {first}, expected {most}")
            page.eval("""document.getElementById("filter-reset").click()""")
            # Text filter.
            n = page.eval("""(() => {
              const input = document.getElementById("filter-text");
              input.value = "no-such-text-anywhere";
              input.dispatchEvent(new Event("input"));
              const n = document.querySelector('[data-count="shown"]').textContent;
              document.getElementById("filter-reset").click();
              return n;
            })()""")
            check(n == "0", f"a text filter that matches nothing shows {n}")

        if args.hostile:
            check("<script>window.__pwned=6</script>" in seen["text"], "the hostile principal shows as text in the page")
            check("us-east-1<img src=x onerror=window.__pwned=5>" in seen["text"], "the hostile region shows as text")
            # Open the hostile finding: its user agent and event show as text.
            opened = page.eval("""(() => {
              const input = document.getElementById("filter-text");
              input.value = "00000000-dead-4bad-8bad-000000000001";
              input.dispatchEvent(new Event("input"));
              const row = document.querySelector("#findings-table tbody tr.row");
              row.click();
              const detail = row.nextElementSibling;
              return {detail: detail.innerText, event: detail.querySelector("pre.event") ? detail.querySelector("pre.event").textContent : null};
            })()""")
            agent = "<script>window.__pwned=1;alert(1)</script><img src=x onerror=\"window.__pwned=2\">\\u{1b}[2J\\u{1b}[31mRED"
            check(agent in opened["detail"], "the hostile userAgent shows as text, escapes as \\u{1b}: " + opened["detail"][:300])
            check(opened["event"] is not None and "\\u001b[2J" in opened["event"] and "<script>window.__pwned=1" in opened["event"],
                  "the event's JSON shows on demand, as text")
            check("\u001b" not in opened["detail"] and "\u202e" not in (opened["event"] or ""), "no raw control characters are shown")
            check(page.eval("window.__pwned === undefined"), "no hostile script ran after opening the event")
        elif total:
            page.eval("""document.querySelector("#findings-table tbody tr.row").click()""")

        for problem in page.problems(url):
            failures.append(problem)
        checks += 1

        if args.prepare:
            page.eval(args.prepare)
        page.screenshot(args.screenshot)
        for shot in args.shot:
            selector, path = shot.rsplit("=", 1)
            rect = page.eval(f"""(() => {{
              const el = document.querySelector({json.dumps(selector)});
              if (!el) return null;
              el.scrollIntoView();
              const r = el.getBoundingClientRect();
              return {{x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height}};
            }})()""")
            if rect is None:
                failures.append(f"--shot: nothing matches {selector}")
            else:
                pad = 12
                page.screenshot(path, {"x": max(rect["x"] - pad, 0), "y": max(rect["y"] - pad, 0),
                                       "width": rect["width"] + 2 * pad, "height": rect["height"] + 2 * pad})
                if args.palette:
                    from PIL import Image
                    Image.open(path).convert("RGB").quantize(256).save(path, optimize=True)
    finally:
        browser.close()

    elapsed = time.time() - started
    if failures:
        for failure in failures:
            print("FAIL: " + failure)
        print(f"{checks - len(failures)} passed, {len(failures)} failed")
        return 1
    print(f"{args.html}: {checks} checks in {elapsed:.1f}s; screenshot {args.screenshot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
