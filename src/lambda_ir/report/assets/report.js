// The report's own script: findings filters and the timeline chart (Chart.js, bundled).
// Every string it shows comes from the JSON data block and is set with textContent or drawn
// on the canvas, never parsed as HTML.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);

  function applyFindingFilter() {
    var on = {};
    document.querySelectorAll("input[data-severity-filter]").forEach(function (box) {
      on[box.value] = box.checked;
    });
    var query = document.getElementById("finding-search").value.toLowerCase();
    var rows = document.querySelectorAll("#findings tbody tr");
    var shown = 0;
    rows.forEach(function (row) {
      var visible = on[row.dataset.severity] && row.textContent.toLowerCase().indexOf(query) >= 0;
      row.hidden = !visible;
      if (visible) { shown += 1; }
    });
    document.getElementById("findings-shown").textContent = shown + " of " + rows.length + " shown";
  }

  document.querySelectorAll("input[data-severity-filter], #finding-search").forEach(function (el) {
    el.addEventListener("input", applyFindingFilter);
  });
  applyFindingFilter();

  function applyEventFilter() {
    var query = document.getElementById("event-search").value.toLowerCase();
    var rows = document.querySelectorAll("#events tbody tr");
    var shown = 0;
    rows.forEach(function (row) {
      var visible = row.textContent.toLowerCase().indexOf(query) >= 0;
      row.hidden = !visible;
      if (visible) { shown += 1; }
    });
    document.getElementById("events-shown").textContent = shown + " of " + rows.length + " shown";
  }

  document.getElementById("event-search").addEventListener("input", applyEventFilter);
  applyEventFilter();

  function highlight(index) {
    document.querySelectorAll("#events tr.hit").forEach(function (row) { row.classList.remove("hit"); });
    var row = document.getElementById("event-" + index);
    if (row) { row.classList.add("hit"); row.scrollIntoView({ block: "center" }); }
  }

  var canvas = document.getElementById("timeline-chart");
  if (!canvas || typeof Chart === "undefined") { return; }
  var lanes = data.lanes;
  var colours = { finding: "#c0392b", cloudtrail: "#8e44ad", lambda: "#2e86c1", logs: "#7f8c8d", runtime: "#16a085" };
  var datasets = lanes.map(function (lane, y) {
    return {
      label: lane,
      backgroundColor: colours[lane] || "#333",
      pointRadius: lane === "finding" ? 6 : 4,
      data: data.events
        .map(function (e, i) { return { x: e.t, y: y, i: i }; })
        .filter(function (p) { return data.events[p.i].s === lane; })
    };
  });
  var chart = new Chart(canvas, {
    type: "scatter",
    data: { datasets: datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: {
        x: { type: "linear", ticks: { callback: function (v) { return new Date(v).toISOString().slice(0, 16).replace("T", " "); } } },
        // Integer ticks one beyond each end, so every lane sits on a labelled tick.
        y: { min: -1, max: lanes.length, ticks: { stepSize: 1, callback: function (v) { return lanes[v] || ""; } } }
      },
      plugins: {
        tooltip: {
          callbacks: {
            label: function (ctx) {
              var e = data.events[ctx.raw.i];
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
  canvas.dataset.points = String(data.events.length);
  canvas.dataset.rendered = chart ? "yes" : "no";
})();
