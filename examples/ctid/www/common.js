// What the wallboard and the supervisor page share: formatting, the element helpers, and
// the live feed from ctid (/api/stream, server-sent events). No library: the pages must
// work on a wallboard network with no internet, and this is all they need.
"use strict";

const cc = (() => {
  // Durations as a room reads them: 0:42, 12:05, 1:02:09.
  function duration(ms) {
    if (ms === null || ms === undefined || !isFinite(ms)) return "\u2013";
    const s = Math.max(0, Math.floor(ms / 1000));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const two = (n) => (n < 10 ? "0" : "") + n;
    return h > 0 ? h + ":" + two(m) + ":" + two(r) : m + ":" + two(r);
  }

  function pct(v) {
    return v === null || v === undefined || !isFinite(v) ? "\u2013" : v.toFixed(1) + "%";
  }

  function clockTime(ms) {
    if (ms === null || ms === undefined) return "\u2013";
    const d = new Date(ms);
    const two = (n) => (n < 10 ? "0" : "") + n;
    return two(d.getHours()) + ":" + two(d.getMinutes());
  }

  // One figure: the text shown and, in data-value, the number as the server sent it (empty
  // for null), which is what the browser test compares with the protocol's views.
  function setFigure(el, value, text) {
    const v = value === null || value === undefined ? "" : String(value);
    if (el.dataset.value !== v) el.dataset.value = v;
    if (el.textContent !== text) el.textContent = text;
    el.classList.toggle("none", v === "");
  }

  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") e.textContent = v;
      else if (k.startsWith("data-")) e.dataset[k.slice(5).replace(/-(.)/g, (_, c) => c.toUpperCase())] = v;
      else e.setAttribute(k, v);
    }
    for (const c of children || []) e.append(c);
    return e;
  }

  // The browser's clock, ms since the epoch with sub-millisecond steps.
  function now() {
    return performance.timeOrigin + performance.now();
  }

  // The live feed. Every update applied is recorded so that a test can measure how long an
  // event took to reach the page: window.ccUpdates holds the last 10,000 {seq, got, at},
  // got when the message arrived, at when the page showed it.
  window.ccUpdates = [];
  function record(seq, got) {
    window.ccUpdates.push({ seq: seq, got: got, at: now() });
    if (window.ccUpdates.length > 10000) window.ccUpdates.splice(0, 1000);
  }

  function live(path, onData, onState) {
    let es = null;
    function open() {
      onState("connecting");
      es = new EventSource(path);
      es.onopen = () => onState("live");
      const handle = (ev) => {
        const got = now();
        let data;
        try {
          data = JSON.parse(ev.data);
        } catch (e) {
          return;  // a heartbeat or anything that is not a board
        }
        if (data && typeof data === "object" && "queues" in data) onData(data, got);
      };
      es.onmessage = handle;
      es.addEventListener("wallboard", handle);
      // EventSource reconnects by itself; the page only says it is not live meanwhile.
      es.onerror = () => onState(es.readyState === EventSource.CLOSED ? "down" : "connecting");
    }
    open();
    return () => es && es.close();
  }

  function showState(node) {
    const words = { live: "live", connecting: "connecting\u2026", down: "not connected" };
    return (state) => {
      node.dataset.state = state;
      node.textContent = words[state] || state;
    };
  }

  return { duration, pct, clockTime, setFigure, el, now, record, live, showState };
})();
