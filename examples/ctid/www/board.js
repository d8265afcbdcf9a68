// The wallboard: GET /api/wallboard once, then every board pushed on /api/stream. Between
// updates the clocks tick here (longest wait, golden windows), counted from the moment the
// board arrived, so a quiet queue does not look frozen.
"use strict";

(() => {
  const tbody = document.querySelector("#queues tbody");
  const casesList = document.getElementById("cases");
  const chart = document.getElementById("chart");
  const announce = document.getElementById("announce");
  const setConn = cc.showState(document.getElementById("conn"));
  let board = null;        // the last board received
  let receivedAt = 0;      // the browser's time when it arrived
  let serverOffset = 0;    // server time minus browser time, for the clock on the wall
  const rows = new Map();  // queue id -> {tr, fields}
  const lastSl = new Map();  // queue id -> class of its SL today, to announce changes

  // A service level against the queue's target: at or above it is good; within 5 points
  // below it, a warning; further below, bad.
  function slClass(v, target) {
    if (v === null || v === undefined || target === null || target === undefined) return "";
    if (v >= target) return "good";
    return v >= target - 5 ? "warn" : "bad";
  }

  const FIELDS = ["waiting", "longest_wait_ms", "ewt_ms", "sl_today_pct", "sl_interval_pct",
                  "asa_ms", "abandon_pct", "offered_today", "agents.ready", "agents.busy", "agents.wrap_up",
                  "agents.not_ready", "agents.logged_in"];

  function row(q) {
    let r = rows.get(q.id);
    if (r) return r;
    const tr = cc.el("tr", { "data-queue": q.id });
    tr.append(cc.el("th", { scope: "row", text: q.id }));
    const fields = {};
    for (const f of FIELDS) {
      const span = cc.el("span", { "data-queue": q.id, "data-field": f.replace(".", "_") });
      const td = cc.el("td", f.startsWith("agents.") ? { class: "small" } : {}, [span]);
      if (f.startsWith("sl_")) {
        const t = cc.el("span", { class: "target", "data-queue": q.id,
                                  "data-field": f === "sl_today_pct" ? "sl_target_pct" : "sl_threshold_ms" });
        td.append(t);
        fields[f + ":target"] = t;
      }
      // Under the calls offered, those answered and abandoned, smaller.
      if (f === "offered_today") {
        const line = cc.el("span", { class: "target" });
        for (const g of ["answered_today", "abandoned_today"]) {
          const t = cc.el("span", { "data-queue": q.id, "data-field": g });
          line.append(t, g === "answered_today" ? " \u00b7 " : "");
          fields[g] = t;
        }
        td.append(line);
      }
      tr.append(td);
      fields[f] = span;
    }
    r = { tr, fields };
    rows.set(q.id, r);
    return r;
  }

  function get(q, f) {
    const [a, b] = f.split(".");
    return b ? (q[a] ? q[a][b] : null) : q[a];
  }

  function renderQueues() {
    const seen = new Set();
    const msgs = [];
    for (const q of board.queues) {
      const r = row(q);
      seen.add(q.id);
      if (r.tr.parentNode !== tbody || tbody.lastChild !== r.tr) tbody.append(r.tr);
      for (const f of FIELDS) {
        const v = get(q, f);
        const span = r.fields[f];
        let text;
        if (f.endsWith("_ms")) text = cc.duration(v);
        else if (f.endsWith("_pct")) text = cc.pct(v);
        else text = v === null || v === undefined ? "\u2013" : String(v);
        cc.setFigure(span, v, text);
        if (f === "offered_today") {
          const n = (v) => (v === null || v === undefined ? "\u2013" : String(v));
          cc.setFigure(r.fields.answered_today, q.answered_today, n(q.answered_today) + " answered");
          cc.setFigure(r.fields.abandoned_today, q.abandoned_today, n(q.abandoned_today) + " abandoned");
        }
        if (f.startsWith("sl_")) {
          const cls = slClass(v, q.sl_target_pct);
          span.className = cls + (v === null || v === undefined ? " none" : "");
          const t = r.fields[f + ":target"];
          if (f === "sl_today_pct") {
            cc.setFigure(t, q.sl_target_pct, q.sl_target_pct === null || q.sl_target_pct === undefined
              ? "" : "target " + cc.pct(q.sl_target_pct));
            const before = lastSl.get(q.id);
            if (before !== undefined && before !== cls && cls)
              msgs.push(q.id + ": service level " + cc.pct(v) +
                        (cls === "good" ? ", on target" : ", below target"));
            lastSl.set(q.id, cls);
          } else {
            cc.setFigure(t, q.sl_threshold_ms, q.sl_threshold_ms === null || q.sl_threshold_ms === undefined
              ? "" : "in " + Math.round(q.sl_threshold_ms / 1000) + " s");
          }
        }
      }
    }
    for (const [id, r] of rows) {
      if (!seen.has(id)) {
        r.tr.remove();
        rows.delete(id);
      }
    }
    if (msgs.length) announce.textContent = msgs.join(". ");
  }

  function goldenClass(left) {
    if (left === null || left === undefined) return "";
    if (left <= 0) return "bad";
    return left < 15 * 60000 ? "warn" : "good";
  }

  function renderCases() {
    const cases = board.emergency || [];
    const keep = new Set(cases.map((c) => c.case));
    for (const li of Array.from(casesList.children)) {
      if (!keep.has(li.dataset.case)) li.remove();
    }
    if (!cases.length) {
      if (!casesList.querySelector(".empty"))
        casesList.append(cc.el("li", { class: "empty", text: "No open emergency case." }));
      return;
    }
    const empty = casesList.querySelector(".empty");
    if (empty) empty.remove();
    for (const c of cases) {
      let li = casesList.querySelector('li[data-case="' + CSS.escape(c.case) + '"]');
      if (!li) {
        li = cc.el("li", { "data-case": c.case }, [
          cc.el("span", { class: "case-id", text: c.case }), " ",
          cc.el("span", { "data-case": c.case, "data-field": "state" }), " ",
          cc.el("span", { class: "dim", "data-case": c.case, "data-field": "workflow" }),
          cc.el("div", {}, ["Golden window: ",
            cc.el("span", { class: "golden", "data-case": c.case,
                            "data-field": "golden_window_left_ms" })]),
          cc.el("div", { class: "deadlines", "data-case": c.case, "data-field": "deadlines" }),
        ]);
        casesList.append(li);
      }
      cc.setFigure(li.querySelector('[data-field="state"]'), c.state, c.state || "");
      cc.setFigure(li.querySelector('[data-field="workflow"]'), c.workflow, c.workflow || "");
      const dl = li.querySelector('[data-field="deadlines"]');
      const due = (c.deadlines_today || []).map((d) => d.name + " " + cc.clockTime(d.due));
      const text = due.length ? "Due today: " + due.join(", ") : "Nothing due today";
      if (dl.textContent !== text) dl.textContent = text;
      dl.dataset.value = JSON.stringify(c.deadlines_today || []);
    }
  }

  // Scaled to the day's busiest interval; the service-level line on 0..100 %.
  function renderChart() {
    // From the first interval with calls (a centre that opens at 08:00 sees its day from
    // 08:00, not from midnight), but at least the last twelve intervals.
    const all = board.intervals || [];
    const busy = all.findIndex((i) => i.offered > 0);
    const keep = Math.max(0, all.length - 12);
    const iv = all.slice(busy < 0 ? keep : Math.min(busy, keep));
    const W = 640, H = 240, L = 36, R = 36, T = 12, B = 28;
    const w = W - L - R, h = H - T - B;
    const ns = "http://www.w3.org/2000/svg";
    const mk = (tag, attrs, text) => {
      const e = document.createElementNS(ns, tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
      if (text !== undefined) e.textContent = text;
      return e;
    };
    const desc = chart.querySelector("desc");
    chart.replaceChildren(desc);
    const max = Math.max(1, ...iv.map((i) => i.offered || 0));
    const step = iv.length ? w / iv.length : w;
    const y = (v) => T + h - (v / max) * h;
    const ySl = (p) => T + h - (p / 100) * h;
    chart.append(mk("line", { class: "axis", x1: L, y1: T + h, x2: L + w, y2: T + h }));
    for (const p of [0, 50, 100]) {
      chart.append(mk("line", { class: "grid", x1: L, y1: ySl(p), x2: L + w, y2: ySl(p) }));
      chart.append(mk("text", { x: L + w + 4, y: ySl(p) + 4 }, p + "%"));
    }
    chart.append(mk("text", { x: L - 4, y: T + 10, "text-anchor": "end" }, String(max)));
    chart.append(mk("text", { x: L - 4, y: T + h, "text-anchor": "end" }, "0"));
    const targets = board.queues.map((q) => q.sl_target_pct).filter((t) => t !== null && t !== undefined);
    if (targets.length) {
      const t = Math.max(...targets);
      chart.append(mk("line", { class: "target-line", x1: L, y1: ySl(t), x2: L + w, y2: ySl(t) }));
    }
    const pts = [];
    const bw = Math.max(1, step * 0.8);
    // Intervals under a minute (a test's) are labelled to the second.
    const fine = iv.length > 1 && iv[1].start - iv[0].start < 60000;
    const label = (t) => (fine ? new Date(t).toLocaleTimeString("en-GB", { hour12: false })
                               : cc.clockTime(t));
    iv.forEach((i, k) => {
      const x = L + k * step + (step - bw) / 2;
      const g = mk("g", { "data-interval": String(i.start) });
      g.append(mk("rect", { class: "bar-offered", x, y: y(i.offered || 0), width: bw,
                            height: T + h - y(i.offered || 0) }));
      g.append(mk("rect", { class: "bar-answered", x: x + bw * 0.2, y: y(i.answered || 0),
                            width: bw * 0.6, height: T + h - y(i.answered || 0) }));
      g.append(mk("title", {}, cc.clockTime(i.start) + ": " + (i.offered || 0) + " offered, " +
                  (i.answered || 0) + " answered, " + (i.abandoned || 0) + " abandoned, SL " +
                  cc.pct(i.sl_pct)));
      chart.append(g);
      if (i.sl_pct !== null && i.sl_pct !== undefined) pts.push([x + bw / 2, ySl(i.sl_pct)]);
      // About six time labels, evenly spaced.
      if (k % Math.ceil(iv.length / 6) === 0)
        chart.append(mk("text", { x: x + bw / 2, y: H - 8, "text-anchor": "middle" },
                        label(i.start)));
    });
    if (pts.length > 1)
      chart.append(mk("polyline", { class: "sl-line", points: pts.map((p) => p.join(",")).join(" ") }));
    for (const p of pts) chart.append(mk("circle", { class: "sl-dot", cx: p[0], cy: p[1], r: 2.5 }));
    if (!iv.length)
      chart.append(mk("text", { x: L + w / 2, y: T + h / 2, "text-anchor": "middle" }, "no interval yet"));
  }

  // The clocks: longest waits and golden windows move on between boards.
  function tick() {
    const now = Date.now();
    document.getElementById("clock").textContent =
      new Date(now + serverOffset).toLocaleTimeString("en-GB", { hour12: false });
    if (!board) return;
    const dt = now - receivedAt;
    for (const q of board.queues) {
      const r = rows.get(q.id);
      if (!r) continue;
      const v = q.longest_wait_ms;
      r.fields.longest_wait_ms.textContent =
        v === null || v === undefined ? "\u2013" : cc.duration(q.waiting > 0 ? v + dt : v);
    }
    for (const c of board.emergency || []) {
      const span = casesList.querySelector('[data-case="' + CSS.escape(c.case) +
                                           '"][data-field="golden_window_left_ms"]');
      if (!span) continue;
      const v = c.golden_window_left_ms;
      const left = v === null || v === undefined ? null : Math.max(0, v - dt);
      const text = left === null ? "none" : left === 0 ? "passed" : cc.duration(left) + " left";
      if (span.dataset.value !== (v === null || v === undefined ? "" : String(v)))
        span.dataset.value = v === null || v === undefined ? "" : String(v);
      if (span.textContent !== text) span.textContent = text;
      const li = span.closest("li");
      const cls = goldenClass(left);
      if (li.className !== cls) li.className = cls;
    }
  }

  function apply(b, got) {
    board = b;
    receivedAt = Date.now();
    if (typeof b.time === "number") serverOffset = b.time - receivedAt;
    renderQueues();
    renderCases();
    renderChart();
    tick();
    document.body.dataset.seq = String(b.seq);
    document.body.dataset.time = String(b.time);
    cc.record(b.seq, got);
  }

  fetch("api/wallboard", { cache: "no-store" })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status))))
    .then((b) => { if (!board || b.seq >= board.seq) apply(b, cc.now()); })
    .catch(() => setConn("down"));
  cc.live("api/stream", (b, got) => { if (!board || b.seq >= board.seq) apply(b, got); },
          setConn);
  setInterval(tick, 250);
  tick();
})();
