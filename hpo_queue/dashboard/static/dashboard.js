// The dashboard pages: fetch the JSON API and the SVG plots, and refresh them every few
// seconds. Everything shown is set with textContent (never innerHTML), so study and
// parameter names cannot inject markup; plots are parsed as XML and imported as SVG.
(function () {
  "use strict";

  var STATES = ["COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING"];

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function fmt(value) {
    if (value === null || value === undefined) return "–";
    if (typeof value === "number") {
      if (Number.isInteger(value)) return String(value);
      var abs = Math.abs(value);
      if (abs !== 0 && (abs >= 1e6 || abs < 1e-4)) return value.toExponential(3);
      return String(Number(value.toPrecision(6)));
    }
    if (Array.isArray(value)) return value.map(fmt).join(", ");
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  function fmtDuration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    if (seconds < 60) return seconds.toFixed(2) + "s";
    var m = Math.floor(seconds / 60);
    var s = Math.round(seconds % 60);
    if (m < 60) return m + "m" + String(s).padStart(2, "0") + "s";
    return Math.floor(m / 60) + "h" + String(m % 60).padStart(2, "0") + "m";
  }

  function fmtTime(iso) {
    if (!iso) return "–";
    return iso.replace("T", " ").replace(/\.\d+/, "").replace("+00:00", "");
  }

  function studyUrl(name) {
    return "/studies/" + encodeURIComponent(name);
  }

  async function getJson(url) {
    var response = await fetch(url, { headers: { Accept: "application/json" } });
    var body = await response.json();
    if (!response.ok) throw new Error(body.error || response.status + " " + response.statusText);
    return body;
  }

  function fill(tbody, rows) {
    tbody.replaceChildren.apply(tbody, rows);
  }

  function stamp() {
    var node = document.getElementById("hq-updated");
    if (node) node.textContent = "updated " + new Date().toLocaleTimeString();
  }

  // Reports a failed refresh once, then quietly retries; a success clears the banner.
  var lastFailure = null;
  function failed(what, error) {
    var text = what + ": " + (error && error.message || error);
    if (text !== lastFailure) {
      lastFailure = text;
      console.error(text);
    }
  }

  function statePills(counts) {
    var wrap = el("span", null, "hq-pills");
    STATES.forEach(function (state) {
      var n = counts[state] || 0;
      if (!n) return;
      var pill = el("span", n + " " + state.toLowerCase(), "hq-pill hq-state-" + state.toLowerCase());
      wrap.appendChild(pill);
    });
    return wrap;
  }

  // -- the studies list ------------------------------------------------------------------

  async function refreshStudies(main) {
    var data = await getJson(main.dataset.api);
    var tbody = document.querySelector("#studies-table tbody");
    if (!data.studies.length) {
      fill(tbody, [rowOf([el("td", "No studies yet: create one with hpo-queue create-study.", "hq-muted")], 7)]);
      return;
    }
    fill(tbody, data.studies.map(function (study) {
      var tr = el("tr");
      var link = el("a", study.name);
      link.href = studyUrl(study.name);
      var name = el("td");
      name.appendChild(link);
      tr.appendChild(name);
      tr.appendChild(el("td", study.directions.join(", ")));
      tr.appendChild(el("td", study.n_trials + (study.max_trials ? " / " + study.max_trials : ""), "num"));
      var states = el("td");
      states.appendChild(statePills(study.counts));
      tr.appendChild(states);
      var best = study.best_trial;
      tr.appendChild(el("td", best ? fmt(best.values) : "–", "num"));
      tr.appendChild(el("td", best ? "#" + best.number : "–", "num"));
      tr.appendChild(el("td", fmtTime(study.datetime_created)));
      return tr;
    }));
  }

  function rowOf(cells, span) {
    var tr = el("tr");
    cells.forEach(function (cell) {
      if (span) cell.colSpan = span;
      tr.appendChild(cell);
    });
    return tr;
  }

  // -- one study ---------------------------------------------------------------------------

  var studyPage = "";  // this study's page, set by start(); trial pages live under it

  function trialLink(number) {
    var link = el("a", "#" + number);
    link.href = studyPage + "/trials/" + number;
    return link;
  }

  function cellWith(node, className) {
    var td = el("td", null, className);
    td.appendChild(node);
    return td;
  }

  function showBest(data) {
    var best = data.best_trial;
    var bestTitle = document.getElementById("best-title");
    var thead = document.querySelector("#best-table thead");
    var bestRows = [];
    var columns = 2;
    if (best) {
      document.getElementById("card-best").textContent = fmt(best.values);
      document.getElementById("card-best-trial").replaceChildren(el("span", "trial "), trialLink(best.number));
      bestTitle.replaceChildren(el("span", "Best trial "), trialLink(best.number));
      thead.replaceChildren(rowOf([el("th", "Parameter"), el("th", "Value")]));
      Object.keys(best.params).forEach(function (name) {
        bestRows.push(rowOf([el("td", name), el("td", fmt(best.params[name]))]));
      });
    } else if (data.best_trials.length) {
      // The Pareto front: one row per trial, a column per objective, then its parameters.
      document.getElementById("card-best").textContent = data.best_trials.length + " on front";
      document.getElementById("card-best-trial").textContent = "Pareto front";
      bestTitle.textContent = "Pareto front (" + data.best_trials.length + " trials)";
      var names = data.objective_names;
      var params = [];
      data.best_trials.forEach(function (trial) {
        Object.keys(trial.params).forEach(function (name) {
          if (params.indexOf(name) < 0) params.push(name);
        });
      });
      params.sort();
      var head = [el("th", "Trial")];
      names.forEach(function (name, i) {
        head.push(el("th", name + " (" + data.directions[i] + ")", "num"));
      });
      params.forEach(function (name) { head.push(el("th", name)); });
      thead.replaceChildren(rowOf(head));
      columns = head.length;
      data.best_trials.forEach(function (trial) {
        var cells = [cellWith(trialLink(trial.number))];
        names.forEach(function (_, i) { cells.push(el("td", fmt(trial.values[i]), "num")); });
        params.forEach(function (name) {
          cells.push(el("td", name in trial.params ? fmt(trial.params[name]) : "–"));
        });
        bestRows.push(rowOf(cells));
      });
    }
    if (!bestRows.length) bestRows.push(rowOf([el("td", "No completed trial yet.", "hq-muted")], columns));
    fill(document.querySelector("#best-table tbody"), bestRows);
  }

  // Failed trials grouped by the last line of their reason (retried ones left out).
  function showFailReasons(groups) {
    var card = document.getElementById("fail-card");
    card.hidden = !groups.length;
    var total = groups.reduce(function (sum, g) { return sum + g.count; }, 0);
    document.getElementById("fail-count").textContent = total ? "(" + total + ")" : "";
    fill(document.querySelector("#fail-table tbody"), groups.map(function (group) {
      var numbers = el("td");
      group.trials.slice(0, 12).forEach(function (number, i) {
        if (i) numbers.appendChild(document.createTextNode(" "));
        numbers.appendChild(trialLink(number));
      });
      if (group.trials.length > 12) numbers.appendChild(el("span", " … " + (group.trials.length - 12) + " more", "hq-muted"));
      return rowOf([el("td", group.count, "num"), el("td", group.reason, "hq-fail-line"), numbers]);
    }));
  }

  function showSummary(data) {
    document.getElementById("card-trials").textContent = data.n_trials;
    document.getElementById("card-cap").textContent =
      data.max_trials ? "cap " + data.max_trials : "no cap";
    showBest(data);
    showFailReasons(data.fail_reasons || []);

    var running = data.counts.RUNNING || 0;
    document.getElementById("card-running").textContent = running;
    var busy = Object.keys(data.running_by_worker).length;
    document.getElementById("card-workers").textContent =
      busy + " busy worker" + (busy === 1 ? "" : "s") + " of " + data.workers.length;
    document.getElementById("card-throughput").textContent = fmt(data.throughput.per_minute);

    var bar = document.getElementById("state-bar");
    var legend = document.getElementById("state-legend");
    var total = data.n_trials || 1;
    var segments = [];
    var items = [];
    STATES.forEach(function (state) {
      var n = data.counts[state] || 0;
      var item = el("li", null, "hq-state-" + state.toLowerCase());
      item.appendChild(el("span", "", "hq-swatch"));
      item.appendChild(el("span", state.toLowerCase() + " "));
      item.appendChild(el("strong", n));
      item.id = "count-" + state.toLowerCase();
      items.push(item);
      if (!n) return;
      var segment = el("span", null, "hq-segment hq-state-" + state.toLowerCase());
      segment.style.width = (100 * n / total) + "%";
      segment.title = state + ": " + n;
      segments.push(segment);
    });
    bar.replaceChildren.apply(bar, segments);
    legend.replaceChildren.apply(legend, items);

    var workerRows = data.workers.map(function (w) {
      return rowOf([
        el("td", w.worker),
        el("td", w.counts.RUNNING, "num"),
        el("td", w.counts.COMPLETE, "num"),
        el("td", w.counts.PRUNED, "num"),
        el("td", w.counts.FAIL, "num"),
        el("td", w.total, "num"),
      ]);
    });
    if (!workerRows.length) workerRows.push(rowOf([el("td", "No trials have run yet.", "hq-muted")], 6));
    fill(document.querySelector("#workers-table tbody"), workerRows);
  }

  function showTrials(data) {
    document.getElementById("trials-count").textContent =
      "(" + data.returned + " of " + data.total + ")";
    var head = ["#", "State", "Value"].concat(data.param_names, ["Method", "Worker", "Duration", "Last step"]);
    var thead = document.querySelector("#trials-table thead");
    var headRow = rowOf(head.map(function (h) { return el("th", h); }));
    thead.replaceChildren(headRow);
    fill(document.querySelector("#trials-table tbody"), data.trials.map(function (t) {
      var cells = [
        cellWith(trialLink(t.number), "num"),
        el("td", t.state.toLowerCase(), "hq-state-text hq-state-" + t.state.toLowerCase()),
        el("td", fmt(t.values), "num"),
      ];
      data.param_names.forEach(function (name) {
        cells.push(el("td", name in t.params ? fmt(t.params[name]) : "–"));
      });
      cells.push(el("td", t.method || "–"));
      cells.push(el("td", t.worker || "–"));
      cells.push(el("td", fmtDuration(t.duration_seconds), "num"));
      cells.push(el("td", t.last_step === null ? "–" : t.last_step, "num"));
      return rowOf(cells);
    }));
  }

  var shownPlots = {};

  async function refreshPlot(box, api) {
    var kind = box.dataset.kind;
    var response = await fetch(api + "/plots/" + kind + ".svg" + (box.dataset.query || ""));
    if (!response.ok) throw new Error(kind + " plot: " + response.status);
    var text = await response.text();
    if (shownPlots[kind] === text) return;  // unchanged: keep the DOM (and any hover) as is
    var doc = new DOMParser().parseFromString(text, "image/svg+xml");
    if (doc.getElementsByTagName("parsererror").length) throw new Error(kind + " plot is not valid SVG");
    box.replaceChildren(document.importNode(doc.documentElement, true));
    shownPlots[kind] = text;
  }

  async function refreshStudy(main, withPlots) {
    var api = main.dataset.api;
    var jobs = [
      getJson(api).then(showSummary),
      getJson(api + "/trials?limit=100").then(showTrials),
    ];
    if (withPlots) {
      document.querySelectorAll(".hq-plot-box").forEach(function (box) {
        jobs.push(refreshPlot(box, api));
      });
    }
    await Promise.all(jobs);
  }

  // -- the refresh loop --------------------------------------------------------------------

  function start() {
    var main = document.querySelector("main[data-page]");
    if (!main || main.dataset.page === "trial") return;  // the trial page is static
    studyPage = main.dataset.studyUrl || "";
    var every = Number(main.dataset.refreshMs) || 3000;
    var round = 0;
    async function tick() {
      if (!document.hidden || round === 0) {
        try {
          if (main.dataset.page === "studies") {
            await refreshStudies(main);
          } else {
            // Plots every other round: they change less often and weigh more.
            await refreshStudy(main, round % 2 === 0);
          }
          lastFailure = null;
          stamp();
        } catch (error) {
          failed("refresh failed", error);
        }
      }
      round += 1;
      window.setTimeout(tick, every);
    }
    tick();
  }

  start();
})();
