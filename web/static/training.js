// Quarry training pages: dataset upload (class folders or one .zip, chosen
// in datasetform.js) through the Hugging Face Hub API (create repo,
// preupload, LFS transfers by lfsupload.js, NDJSON commit)
// and dataset validation on /training/new; live progress on /training/ID.
// Same-origin calls authenticate with the session cookie and the
// X-CSRF-Token header.
"use strict";
(function () {
  function csrf() {
    var f = document.querySelector('input[name="csrf"]');
    return f ? f.value : "";
  }

  function api(method, url, body, type) {
    var headers = { "X-CSRF-Token": csrf(), Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = type || "application/json";
    return fetch(url, { method: method, headers: headers, credentials: "same-origin",
      body: body === undefined ? undefined : (typeof body === "string" || body instanceof Blob ? body : JSON.stringify(body)) })
      .then(function (res) {
        return res.text().then(function (text) {
          var data = null;
          try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
          if (!res.ok) {
            var err = new Error((data && data.error) || res.headers.get("X-Error-Message") || (res.status + " " + res.statusText));
            err.status = res.status;
            err.data = data;
            throw err;
          }
          return data;
        });
      });
  }

  function b64(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s);
  }

  function text(el, s) { if (el) el.textContent = s; }

  // inputError is a problem of the form, which a retry does not solve.
  function inputError(msg) {
    var e = new Error(msg);
    e.input = true;
    return e;
  }

  // uploadDataset creates the dataset repo (if new), sends the LFS files
  // through lfsupload.js (multipart and resumable for large ones), the
  // others inline, and commits them all to main. The files are the class
  // folders of datasetform.js, or one .zip stored as is (the server reads
  // and checks it when validating).
  function uploadDataset(section) {
    var status = document.getElementById("upload-status");
    var bar = document.getElementById("upload-progress");
    var note = document.getElementById("upload-resume");
    var name = document.getElementById("upload-name").value.trim();
    var ns = section.getAttribute("data-namespace");
    var repo = ns + "/" + name;
    var items, what;
    if (!name) return Promise.reject(inputError("Type a name for the new dataset."));
    try {
      var chosen = window.QuarryDatasetForm.choice();
      items = chosen.items;
      what = chosen.what;
    } catch (e) { return Promise.reject(e); }
    var total = items.reduce(function (a, it) { return a + it.file.size; }, 0) || 1;
    var done = {};
    var show = function () {
      var sum = 0;
      Object.keys(done).forEach(function (k) { sum += done[k]; });
      bar.value = Math.min(100, Math.floor(100 * sum / total));
      bar.textContent = bar.value + "%";
    };
    var setDone = function (key, bytes) { done[key] = bytes; show(); };
    bar.value = 0;
    text(note, "");
    note.hidden = true;
    var base = "/api/datasets/" + repo;
    text(status, "Creating dataset " + repo + "…");
    return api("POST", "/api/repos/create", { name: name, organization: ns, type: "dataset", private: true })
      .catch(function (e) { if (e.status !== 409) throw e; })
      .then(function () {
        return Promise.all(items.map(function (it) {
          return it.file.slice(0, 512).arrayBuffer().then(function (b) {
            it.sample = b64(new Uint8Array(b));
          });
        }));
      })
      .then(function () {
        text(status, "Preparing " + what + "…");
        return api("POST", base + "/preupload/main", { files: items.map(function (it) {
          return { path: it.path, size: it.file.size, sample: it.sample };
        }) });
      })
      .then(function (pre) {
        var mode = {};
        (pre.files || []).forEach(function (f) { mode[f.path] = f.uploadMode; });
        var lfs = items.filter(function (it) { return mode[it.path] === "lfs"; });
        return window.QuarryLFS.upload({
          repo: "datasets/" + repo, items: lfs, csrf: csrf,
          onProgress: function (oid, bytes) {
            // identical files are one object: each copy counts
            lfs.forEach(function (it) { if (it.oid === oid) setDone("lfs:" + it.path, bytes); });
          },
          onStatus: function (s) { text(status, s); },
          onResume: function (n, m) {
            note.hidden = false;
            text(note, "Resuming: " + n + " of " + m + " parts already uploaded.");
          },
          onRestart: function (path) {
            note.hidden = false;
            text(note, "The earlier upload of " + path + " could not be resumed; sending it again from the start.");
          },
        }).then(function () {
          return Promise.all(items.map(function (it) {
            if (it.oid) return null;
            return it.file.arrayBuffer().then(function (b) { it.content = b64(new Uint8Array(b)); setDone("file:" + it.path, it.file.size); });
          }));
        });
      })
      .then(function () {
        var lines = [JSON.stringify({ key: "header", value: { summary: "Upload " + what + " from the browser" } })];
        items.forEach(function (it) {
          lines.push(JSON.stringify(it.oid ?
            { key: "lfsFile", value: { path: it.path, algo: "sha256", oid: it.oid, size: it.file.size } } :
            { key: "file", value: { path: it.path, content: it.content, encoding: "base64" } }));
        });
        text(status, "Committing…");
        return api("POST", base + "/commit/main", lines.join("\n") + "\n", "application/x-ndjson");
      })
      .then(function () {
        bar.value = 100;
        bar.textContent = "100%";
        text(status, "Uploaded " + what + " to dataset " + repo + ".");
        return repo;
      });
  }

  function validate() {
    var report = document.getElementById("report");
    var dataset = document.getElementById("dataset").value;
    if (!dataset) { text(report, "Choose a dataset first."); return Promise.resolve(); }
    text(report, "Checking " + dataset + "…");
    return api("POST", "/api/training/validate", { dataset: dataset, positive: document.getElementById("positive").value.trim() })
      .then(function (r) { showReport(report, r.report, r.ok); },
        function (e) { if (e.data && e.data.report) showReport(report, e.data.report, false); else text(report, e.message); });
  }

  function showReport(el, rep, ok) {
    el.textContent = "";
    var h = document.createElement("h3");
    h.textContent = ok ? "Dataset ready to train" : "Dataset has problems";
    el.appendChild(h);
    var table = document.createElement("table");
    table.className = "report";
    table.innerHTML = "<caption>Images per class</caption><thead><tr><th scope=\"col\">Class</th><th scope=\"col\">Train</th>" +
      "<th scope=\"col\">Validation</th><th scope=\"col\">Test</th></tr></thead>";
    var tbody = document.createElement("tbody");
    var list = document.getElementById("labels-list");
    list.textContent = "";
    (rep.classes || []).forEach(function (c) {
      var tr = document.createElement("tr");
      [c.label, c.train, c.validation, c.test].forEach(function (v, i) {
        var td = document.createElement(i === 0 ? "th" : "td");
        if (i === 0) td.scope = "row";
        td.textContent = v;
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
      var o = document.createElement("option");
      o.value = c.label;
      list.appendChild(o);
    });
    table.appendChild(tbody);
    el.appendChild(table);
    [["Problems", rep.problems], ["Warnings", rep.warnings]].forEach(function (pair) {
      if (!pair[1] || !pair[1].length) return;
      var p = document.createElement("p");
      p.textContent = pair[0] + ":";
      el.appendChild(p);
      var ul = document.createElement("ul");
      pair[1].forEach(function (i) { var li = document.createElement("li"); li.textContent = i.message; ul.appendChild(li); });
      el.appendChild(ul);
    });
  }

  function newProjectPage(section) {
    section.hidden = false;
    window.QuarryDatasetForm.init();
    var vb = document.getElementById("validate-button");
    vb.hidden = false;
    vb.addEventListener("click", validate);
    document.getElementById("dataset").addEventListener("change", validate);
    document.getElementById("positive").addEventListener("change", function () {
      if (document.getElementById("dataset").value) validate();
    });
    var uploadButton = document.getElementById("upload-button");
    var retryButton = document.getElementById("upload-retry");
    var failure = document.getElementById("upload-error");
    function start() {
      uploadButton.disabled = true;
      retryButton.disabled = true;
      failure.hidden = true;
      uploadDataset(section).then(function (repo) {
        var sel = document.getElementById("dataset");
        var opt = Array.prototype.find.call(sel.options, function (o) { return o.value === repo; });
        if (!opt) { opt = document.createElement("option"); opt.value = repo; opt.textContent = repo; sel.appendChild(opt); }
        sel.value = repo;
        return validate();
      }).catch(function (e) {
        if (e.input) { text(document.getElementById("upload-status"), e.message); return; }
        text(document.getElementById("upload-status"), "Upload stopped.");
        text(document.getElementById("upload-error-message"), "Upload failed: " + e.message);
        failure.hidden = false;
      }).then(function () {
        uploadButton.disabled = false;
        retryButton.disabled = false;
        if (!failure.hidden) retryButton.focus();
      });
    }
    uploadButton.addEventListener("click", start);
    retryButton.addEventListener("click", start);
    if (window.QuarryLFS) window.QuarryLFS.sweep();
  }

  // projectPage polls the project every second while it runs, updating the
  // state, progress and metrics, and reloads the page when it ends.
  function projectPage(el) {
    if (el.getAttribute("data-running") !== "true") return;
    var id = el.getAttribute("data-project");
    function tick() {
      api("GET", "/api/training/projects/" + encodeURIComponent(id)).then(function (p) {
        text(document.getElementById("project-state"), p.state);
        (p.candidates || []).forEach(function (c) {
          var row = el.querySelector('tr[data-candidate="' + CSS.escape(c.name) + '"]');
          if (!row) return;
          var j = c.job || { state: "waiting", progress: {} };
          var pr = j.progress || {};
          var s = j.state + (pr.phase ? " · " + pr.phase : "") + (pr.total ? " · " + pr.done + "/" + pr.total : "") +
            (pr.etaSeconds > 0 && j.state === "running" ? " · ETA " + Math.round(pr.etaSeconds) + "s" : "");
          text(row.querySelector(".progress"), s);
          text(row.querySelector(".rank"), c.rank ? String(c.rank) : "–");
          row.querySelectorAll("td[data-metric]").forEach(function (td) {
            var key = td.getAttribute("data-metric");
            var v = c.metrics ? c.metrics[key] : undefined;
            var se = c.metrics ? c.metrics[key + "_se"] : undefined; // cross-validated cells: mean ± SE
            td.textContent = typeof v === "number" ? v.toFixed(4) + (typeof se === "number" ? " ± " + se.toFixed(4) : "") : "–";
          });
        });
        var board = document.getElementById("leaderboard");
        if (board) { markBest(board); sortRows(board); }
        if (p.state !== "running") { location.reload(); return; }
        setTimeout(tick, 1000);
      }, function () { setTimeout(tick, 3000); });
    }
    setTimeout(tick, 1000);
  }

  // LOWER_BETTER are the metrics whose best value is the smallest.
  var LOWER_BETTER = { loss: true, cv_loss: true };

  function cellValue(row, metric) {
    var td = metric === "rank" ? row.querySelector(".rank") : row.querySelector('td[data-metric="' + CSS.escape(metric) + '"]');
    var v = td ? parseFloat(td.textContent) : NaN;
    return isNaN(v) ? null : v;
  }

  // markBest bolds the best value of each metric column (ties all bold).
  function markBest(table) {
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    table.querySelectorAll("th[data-sort]").forEach(function (th) {
      var m = th.getAttribute("data-sort");
      var vals = rows.map(function (r) { return cellValue(r, m); }).filter(function (v) { return v !== null; });
      var best = vals.length ? (LOWER_BETTER[m] ? Math.min.apply(null, vals) : Math.max.apply(null, vals)) : null;
      rows.forEach(function (r) {
        var td = r.querySelector('td[data-metric="' + CSS.escape(m) + '"]');
        if (!td) return;
        var v = cellValue(r, m);
        var isBest = best !== null && v === best;
        td.classList.toggle("best", isBest);
        var hint = td.querySelector(".visually-hidden");
        if (isBest && !hint) {
          hint = document.createElement("span");
          hint.className = "visually-hidden";
          hint.textContent = " (best)";
          td.appendChild(hint);
        } else if (!isBest && hint) hint.remove();
      });
    });
  }

  // sortRows orders the rows by the sorted column, if any; rows lacking a
  // value go last, ties keep the server's rank order.
  function sortRows(table) {
    var th = table.querySelector("th[data-sort][aria-sort]");
    if (!th) return;
    var m = th.getAttribute("data-sort");
    var dir = th.getAttribute("aria-sort") === "ascending" ? 1 : -1;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).map(function (r, i) { return { r: r, i: i, v: cellValue(r, m) }; });
    rows.sort(function (a, b) {
      if (a.v === null || b.v === null) return a.v === b.v ? a.i - b.i : (a.v === null ? 1 : -1);
      return a.v === b.v ? a.i - b.i : dir * (a.v - b.v);
    });
    rows.forEach(function (x) { body.appendChild(x.r); });
  }

  // sortable turns the metric headings into sort buttons: loss sorts
  // ascending first, the others descending; a second click reverses.
  function sortable(table) {
    var hint = document.querySelector(".sort-hint");
    if (hint) hint.hidden = false;
    table.querySelectorAll("th[data-sort]").forEach(function (th) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "sort";
      b.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(b);
      b.addEventListener("click", function () {
        var m = th.getAttribute("data-sort");
        var cur = th.getAttribute("aria-sort");
        var next = cur ? (cur === "ascending" ? "descending" : "ascending") : (LOWER_BETTER[m] ? "ascending" : "descending");
        table.querySelectorAll("th[aria-sort]").forEach(function (o) { o.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", next);
        sortRows(table);
      });
    });
  }

  // MAX_LOG_LINES bounds the lines kept in a log panel.
  var MAX_LOG_LINES = 500;

  // jobLogs streams a job's log into its <details> panel while it is open.
  function jobLogs(details) {
    var pre = details.querySelector("pre.log-lines");
    var status = details.querySelector(".log-status");
    var es = null;
    function stop() { if (es) { es.close(); es = null; } }
    details.addEventListener("toggle", function () {
      if (!details.open) { stop(); return; }
      stop();
      pre.textContent = "";
      text(status, "Streaming…");
      es = new EventSource("/api/jobs/" + encodeURIComponent(details.getAttribute("data-job")) + "/logs?follow=1");
      es.onmessage = function (ev) {
        var stick = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
        pre.appendChild(document.createTextNode(ev.data + "\n"));
        while (pre.childNodes.length > MAX_LOG_LINES) pre.removeChild(pre.firstChild);
        if (stick) pre.scrollTop = pre.scrollHeight;
      };
      es.addEventListener("end", function (ev) {
        stop();
        var d = {};
        try { d = JSON.parse(ev.data); } catch (e) { d = {}; }
        text(status, d.error ? "Log ended: " + d.error : "Job " + (d.state || "ended") + ".");
      });
      es.onerror = function () { stop(); text(status, "Log stream interrupted; close and reopen to retry."); };
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var board = document.getElementById("leaderboard");
    if (board) sortable(board);
    document.querySelectorAll("details.job-logs").forEach(jobLogs);
    var section = document.getElementById("upload-section");
    if (section) newProjectPage(section);
    var project = document.getElementById("project");
    if (project) projectPage(project);
  });
})();
