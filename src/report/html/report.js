// The findings table of trailgate's HTML report: filter, sort, page, and show each finding's
// details and event on demand. Values are only ever written with textContent, never as markup.
(function () {
  "use strict";
  var table = document.getElementById("findings-table");
  if (!table) {
    document.body.dataset.ready = "true";
    return;
  }
  var data = JSON.parse(document.getElementById("trailgate-data").textContent);
  var findings = data.findings;
  var RANK = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
  var PAGE = 200;
  var CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
  // The same, but line breaks stay: for pretty-printed JSON, whose strings have them escaped.
  var CONTROL_BUT_LINES = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
  var tbody = table.tBodies[0];
  var text = document.getElementById("filter-text");
  var shown = document.getElementById("shown-count");
  var more = document.getElementById("more");
  var filters = [
    { key: "severity", select: document.getElementById("filter-severity"), label: "severities" },
    { key: "rule_id", select: document.getElementById("filter-rule"), label: "rules" },
    { key: "account", select: document.getElementById("filter-account"), label: "accounts" },
    { key: "region", select: document.getElementById("filter-region"), label: "regions" },
    { key: "principal", select: document.getElementById("filter-principal"), label: "principals" }
  ];
  var state = { key: null, dir: 1, limit: PAGE };

  // Shows control and bidirectional characters as \u{..}, as the other formats do.
  function show(value, pattern) {
    return String(value).replace(pattern || CONTROL, function (c) {
      return "\\u{" + c.charCodeAt(0).toString(16) + "}";
    });
  }

  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined && content !== null) node.textContent = String(content);
    return node;
  }

  findings.forEach(function (f, i) {
    f.index = i;
    f.hay = [f.rule_id, f.title, f.message, f.event_time, f.account, f.region, f.principal,
      f.source_ip, f.user_agent, f.event_source, f.event_name, f.event_id, f.file]
      .filter(function (v) { return v !== null && v !== undefined; })
      .join("\n").toLowerCase();
  });

  // Each select lists the values present, most frequent first; option values are indexes.
  filters.forEach(function (filter) {
    var counts = new Map();
    findings.forEach(function (f) {
      var v = f[filter.key] === null || f[filter.key] === undefined ? null : f[filter.key];
      counts.set(v, (counts.get(v) || 0) + 1);
    });
    filter.values = Array.from(counts.keys()).sort(function (a, b) {
      if (filter.key === "severity") return RANK[a] - RANK[b];
      return counts.get(b) - counts.get(a) || String(a).localeCompare(String(b));
    });
    filter.select.appendChild(el("option", null, "All " + filter.label));
    filter.select.options[0].value = "";
    filter.values.forEach(function (v, i) {
      var option = el("option", null, (v === null ? "(not in the event)" : v) + " (" + counts.get(v) + ")");
      option.value = String(i);
      filter.select.appendChild(option);
    });
    filter.select.addEventListener("change", function () { state.limit = PAGE; render(); });
  });

  function selected() {
    var query = text.value.trim().toLowerCase();
    var chosen = filters.map(function (filter) {
      return filter.select.value === "" ? undefined : filter.values[Number(filter.select.value)];
    });
    return findings.filter(function (f) {
      if (query && f.hay.indexOf(query) < 0) return false;
      for (var i = 0; i < filters.length; i++) {
        if (chosen[i] === undefined) continue;
        var v = f[filters[i].key] === undefined ? null : f[filters[i].key];
        if (v !== chosen[i]) return false;
      }
      return true;
    });
  }

  function sortValue(f, key) {
    if (key === "severity") return RANK[f.severity];
    if (key === "event_time") {
      var t = f.event_time === null ? NaN : Date.parse(f.event_time);
      return isNaN(t) ? -Infinity : t;
    }
    var v = f[key];
    return v === null || v === undefined ? "" : String(v);
  }

  function compare(a, b) {
    if (state.key === null) return a.index - b.index;
    var x = sortValue(a, state.key);
    var y = sortValue(b, state.key);
    var order = typeof x === "number" ? x - y : x.localeCompare(y);
    return order * state.dir || a.index - b.index;
  }

  function cell(row, className, content) {
    var td = el("td", className, content === null || content === undefined ? "—" : content);
    row.appendChild(td);
    return td;
  }

  function detail(f) {
    var row = el("tr", "detail");
    var td = el("td");
    td.colSpan = 8;
    var dl = el("dl");
    function item(label, value, mono) {
      if (value === null || value === undefined || value === "") return;
      dl.appendChild(el("dt", null, label));
      dl.appendChild(el("dd", mono ? "mono" : null, value));
    }
    item("Rule", f.rule_id + ": " + f.title);
    item("Message", f.message);
    item("Event", [f.event_source, f.event_name].filter(Boolean).join(" "), true);
    item("Event ID", f.event_id, true);
    item("Time", f.event_time, true);
    item("Account", f.account, true);
    item("Region", f.region, true);
    item("Principal", f.principal, true);
    item("Source IP", f.source_ip, true);
    item("User agent", f.user_agent, true);
    item("Found in", f.file + " record " + f.record + (f.line === null ? "" : " (line " + f.line + ")"), true);
    item("Compliance", f.compliance);
    item("Baseline", f.baseline);
    f.evidence.forEach(function (e) {
      item("Evidence", e.path + (e.missing ? " is missing" : " = " + show(JSON.stringify(e.value))), true);
    });
    td.appendChild(dl);
    if (f.event !== null) {
      var raw = data.events[f.event];
      var pretty;
      try {
        pretty = JSON.stringify(JSON.parse(raw), null, 2);
      } catch (err) {
        pretty = raw;
      }
      td.appendChild(el("pre", "event", show(pretty, CONTROL_BUT_LINES)));
    } else {
      td.appendChild(el("p", "muted", "The event is not in this report (events over " + data.max_event_kib +
        " KiB, and events after the first " + data.max_events_mib + " MiB, are left out): it is record " +
        f.record + " of " + f.file + "."));
    }
    row.appendChild(td);
    return row;
  }

  function toggle(row, f) {
    var next = row.nextSibling;
    if (next && next.className === "detail") {
      tbody.removeChild(next);
      row.classList.remove("open");
      row.setAttribute("aria-expanded", "false");
    } else {
      tbody.insertBefore(detail(f), next);
      row.classList.add("open");
      row.setAttribute("aria-expanded", "true");
    }
  }

  function render() {
    var list = selected().sort(compare);
    var fragment = document.createDocumentFragment();
    list.slice(0, state.limit).forEach(function (f) {
      var row = el("tr", "row");
      row.tabIndex = 0;
      row.setAttribute("aria-expanded", "false");
      row.dataset.index = String(f.index);
      var sev = el("td");
      sev.appendChild(el("span", "sev " + f.severity, f.severity));
      row.appendChild(sev);
      cell(row, "mono nowrap", f.event_time);
      cell(row, "mono", f.rule_id);
      cell(row, "mono clip", f.account).title = f.account || "";
      cell(row, "mono clip", f.region).title = f.region || "";
      cell(row, "mono wrapany principal", f.principal);
      cell(row, "mono wrap", f.event_name);
      cell(row, "msg wrapany", f.message);
      row.addEventListener("click", function () { toggle(row, f); });
      row.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          toggle(row, f);
        }
      });
      fragment.appendChild(row);
    });
    tbody.replaceChildren(fragment);
    shown.textContent = String(list.length);
    var listed = Math.min(list.length, state.limit);
    document.getElementById("listed-count").textContent = String(listed);
    more.hidden = list.length <= state.limit;
    more.textContent = "Show " + Math.min(PAGE, list.length - listed) + " more";
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    if (!th.dataset.key) return;
    th.tabIndex = 0;
    function sort() {
      if (state.key === th.dataset.key) {
        state.dir = -state.dir;
      } else {
        state.key = th.dataset.key;
        state.dir = 1;
      }
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) {
        other.removeAttribute("aria-sort");
      });
      th.setAttribute("aria-sort", state.dir === 1 ? "ascending" : "descending");
      render();
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (event) {
      if (event.key === "Enter") sort();
    });
  });
  text.addEventListener("input", function () { state.limit = PAGE; render(); });
  more.addEventListener("click", function () { state.limit += PAGE; render(); });
  document.getElementById("filter-reset").addEventListener("click", function () {
    text.value = "";
    filters.forEach(function (filter) { filter.select.value = ""; });
    state.key = null;
    state.dir = 1;
    state.limit = PAGE;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.removeAttribute("aria-sort");
    });
    render();
  });
  document.getElementById("findings-ui").hidden = false;
  render();
  document.body.dataset.ready = "true";
})();
