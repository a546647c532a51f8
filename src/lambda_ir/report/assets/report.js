// The report's own script: findings filters, and the timeline's chart and table (Chart.js,
// bundled). Every string it shows comes from the JSON data block and is set with
// textContent or drawn on the canvas, never parsed as HTML.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);

  function applyFindingFilter() {
    var on = {};
    document.querySelectorAll("input[data-severity-filter]").forEach(function (box) {
      on[box.value] = box.checked;
    });
    var query = document.getElementById("finding-search").value.toLowerCase();
    var rows = document.querySelectorAll("#findings > tbody > tr");
    var shown = 0;
    rows.forEach(function (row) {
      var visible = on[row.dataset.severity] && row.textContent.toLowerCase().indexOf(query) >= 0;
      row.hidden = !visible;
      if (visible) { shown += 1; }
    });
    // a long list is cut (the page says so): the count says how many findings there are in all
    var total = parseInt(document.getElementById("findings").dataset.total, 10) || rows.length;
    var listed = total > rows.length ? " listed (" + total + " in all)" : " shown";
    document.getElementById("findings-shown").textContent = shown + " of " + rows.length + listed;
  }

  document.querySelectorAll("input[data-severity-filter], #finding-search").forEach(function (el) {
    el.addEventListener("input", applyFindingFilter);
  });
  applyFindingFilter();

  // ---- the timeline: one filter feeds both the chart and the table ----------------------
  var events = data.events;
  var tbody = document.querySelector("#events tbody");
  var pageSize = parseInt(tbody.dataset.pageSize, 10) || 200;
  var state = { kept: [], page: 0 };
  var el = function (id) { return document.getElementById(id); };
  var sourceColours = { finding: "#c0392b", cloudtrail: "#8e44ad", lambda: "#2e86c1", logs: "#7f8c8d", runtime: "#16a085" };
  var severityColours = { critical: "#8b0000", high: "#c0392b", medium: "#d68910", low: "#2e86c1", info: "#7f8c8d" };
  var palette = ["#8e44ad", "#2e86c1", "#16a085", "#d68910", "#7f8c8d", "#c0392b", "#1b4f72", "#6c3483", "#117864", "#9a7d0a"];

  function parseWhen(text) {
    var value = (text || "").trim();
    if (!value) { return null; }
    var ms = Date.parse(value.length === 10 ? value + "T00:00:00Z" : (/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : value + "Z"));
    return isNaN(ms) ? null : ms;
  }

  function laneOf(e, by) {
    if (by === "function") { return e.f || "(no function)"; }
    if (by === "actor") { return e.a || "(no actor)"; }
    return e.s;
  }

  function filtered() {
    var query = el("event-search").value.toLowerCase();
    var source = el("tl-source").value;
    var from = parseWhen(el("tl-from").value);
    var to = parseWhen(el("tl-to").value);
    var out = [];
    events.forEach(function (e, i) {
      if (source && e.s !== source) { return; }
      if (from !== null && e.t < from) { return; }
      if (to !== null && e.t > to) { return; }
      if (query && (e.d + " " + e.s + " " + e.k + " " + e.w + " " + e.r + " " + e.a + " " + e.m + " " + e.e).toLowerCase().indexOf(query) < 0) { return; }
      out.push(i);
    });
    if (el("tl-order").value === "desc") { out.reverse(); }
    return out;
  }

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
  }

  function drawTable() {
    var pages = Math.max(1, Math.ceil(state.kept.length / pageSize));
    state.page = Math.min(state.page, pages - 1);
    var start = state.page * pageSize;
    var slice = state.kept.slice(start, start + pageSize);
    tbody.textContent = "";
    slice.forEach(function (i) {
      var e = events[i];
      var row = document.createElement("tr");
      row.id = "event-" + i;
      row.dataset.source = e.s;
      if (e.v) { row.dataset.severity = e.v; }
      [e.d, e.s, e.k, e.w, e.r, e.a, e.m, e.e].forEach(function (text) { cell(row, text); });
      tbody.appendChild(row);
    });
    el("events-shown").textContent = state.kept.length + " of " + events.length + " shown";
    el("tl-page").textContent = "page " + (state.page + 1) + " of " + pages + " (" + pageSize + " rows a page)";
    el("tl-prev").disabled = state.page === 0;
    el("tl-next").disabled = state.page >= pages - 1;
  }

  var canvas = el("timeline-chart");
  var chart = null;

  function datasetsFor(kept) {
    var by = el("tl-lanes").value;
    var lanes = by === "source" ? data.lanes.slice() : [];
    var seen = {};
    kept.forEach(function (i) {
      var lane = laneOf(events[i], by);
      if (by !== "source" && !seen[lane]) { seen[lane] = true; lanes.push(lane); }
    });
    lanes = lanes.slice(0, 25);
    var sets = lanes.map(function (lane, y) {
      var colour = by === "source" ? (sourceColours[lane] || "#333") : palette[y % palette.length];
      var points = [];
      var colours = [];
      kept.forEach(function (i) {
        var e = events[i];
        if (laneOf(e, by) !== lane) { return; }
        points.push({ x: e.t, y: y, i: i });
        colours.push(e.v ? severityColours[e.v] : colour);
      });
      return { label: lane, data: points, backgroundColor: colours, borderColor: colours, pointRadius: function (ctx) { var p = ctx.raw; return p && events[p.i].s === "finding" ? 6 : 4; } };
    });
    return { lanes: lanes, sets: sets };
  }

  function drawChart() {
    if (!canvas || typeof Chart === "undefined") { return; }
    var built = datasetsFor(state.kept);
    var points = built.sets.reduce(function (n, s) { return n + s.data.length; }, 0);
    if (chart === null) {
      chart = new Chart(canvas, {
        type: "scatter",
        data: { datasets: built.sets },
        options: {
          animation: false,
          maintainAspectRatio: false,
          scales: {
            x: { type: "linear", ticks: { callback: function (v) { return new Date(v).toISOString().slice(0, 16).replace("T", " "); } } },
            // Integer ticks one beyond each end, so every lane sits on a labelled tick.
            y: { min: -1, max: built.lanes.length, ticks: { stepSize: 1, callback: function (v) { return chart && chart.$lanes ? (chart.$lanes[v] || "") : (built.lanes[v] || ""); } } }
          },
          plugins: {
            tooltip: {
              callbacks: {
                label: function (ctx) {
                  var e = events[ctx.raw.i];
                  return [e.d + "  " + e.k + "  " + e.r, e.m.slice(0, 160)];
                }
              }
            }
          },
          onClick: function (evt, elements) {
            if (elements.length) { highlight(elements[0].element.$context.raw.i); }
          }
        }
      });
    } else {
      chart.$lanes = built.lanes;
      chart.data.datasets = built.sets;
      chart.options.scales.y.max = built.lanes.length;
      chart.update();
    }
    chart.$lanes = built.lanes;
    canvas.dataset.points = String(points);
    canvas.dataset.rendered = "yes";
  }

  function refresh() {
    state.kept = filtered();
    state.page = 0;
    drawTable();
    drawChart();
  }

  function highlight(index) {
    var at = state.kept.indexOf(index);
    if (at < 0) { return; }
    state.page = Math.floor(at / pageSize);
    drawTable();
    var row = el("event-" + index);
    if (row) { row.classList.add("hit"); row.scrollIntoView({ block: "center" }); }
  }

  ["event-search", "tl-from", "tl-to"].forEach(function (id) { el(id).addEventListener("input", refresh); });
  ["tl-source", "tl-lanes", "tl-order"].forEach(function (id) { el(id).addEventListener("change", refresh); });
  el("tl-prev").addEventListener("click", function () { state.page -= 1; drawTable(); });
  el("tl-next").addEventListener("click", function () { state.page += 1; drawTable(); });
  el("tl-reset").addEventListener("click", function () {
    ["event-search", "tl-from", "tl-to"].forEach(function (id) { el(id).value = ""; });
    el("tl-source").value = "";
    refresh();
  });
  el("tl-incident").disabled = data.window === null;
  el("tl-incident").addEventListener("click", function () {
    if (data.window === null) { return; }
    el("tl-from").value = new Date(data.window).toISOString().slice(0, 16);
    el("tl-to").value = "";
    refresh();
  });
  refresh();
})();
