// The supervisor page: agents and pending maker-checker proposals, from the supervisor API
// (HTTP Basic auth, a principal of role supervisor: the browser asks for it). Each action is
// a POST that ctid turns into the protocol's command in the principal's session, so it is
// authorised, journaled and raises events as a desk's would; a refusal's text is shown as
// the server wrote it. The live feed only says when to fetch again.
"use strict";

(() => {
  const agentsBody = document.querySelector("#agents tbody");
  const propBody = document.querySelector("#proposals tbody");
  const message = document.getElementById("message");
  const setConn = cc.showState(document.getElementById("conn"));
  let agents = [];
  let serverOffset = 0;

  const STATE_WORDS = {
    logged_out: "logged out", ready: "ready", not_ready: "not ready", busy: "busy",
    wrap_up: "wrap-up", offered: "ringing", reserved: "reserved",
  };
  function stateWord(s) {
    const k = String(s || "").toLowerCase().replace(/^agent_/, "");
    return STATE_WORDS[k] || k.replace(/_/g, " ");
  }

  function say(text, kind) {
    message.className = "message " + kind;
    message.textContent = text;
  }

  // The server's own words for a refusal: a JSON body's "error" or "message", else the text.
  async function errorText(r) {
    const body = await r.text();
    try {
      const j = JSON.parse(body);
      const parts = [j.code_name, j.error, j.message].filter((x) => typeof x === "string" && x);
      if (parts.length) return parts.join(": ");
    } catch (e) { /* not JSON */ }
    // An HTML error page (a proxy's, say): its text, not its markup.
    const text = body.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim().slice(0, 300);
    return text || "HTTP " + r.status + " " + r.statusText;
  }

  async function getJson(path) {
    const r = await fetch(path, { cache: "no-store", credentials: "same-origin" });
    if (!r.ok) throw new Error("HTTP " + r.status + ": " + (await errorText(r)));
    const d = r.headers.get("Date");
    if (d) serverOffset = Date.parse(d) - Date.now();
    return r.json();
  }

  async function act(path, label, button) {
    button.disabled = true;
    try {
      const r = await fetch(path, { method: "POST", credentials: "same-origin" });
      if (r.ok) say(label + ": done", "done");
      else say(label + " refused (HTTP " + r.status + "): " + (await errorText(r)), "error");
    } catch (e) {
      say(label + " failed: " + e.message, "error");
    } finally {
      button.disabled = false;
      refresh();
    }
  }

  function button(text, path, label) {
    const b = cc.el("button", { type: "button", text, "aria-label": label });
    b.addEventListener("click", () => act(path, label, b));
    return b;
  }

  function renderAgents() {
    const keep = new Set();
    for (const a of agents) {
      keep.add(a.id);
      let tr = agentsBody.querySelector('tr[data-agent="' + CSS.escape(a.id) + '"]');
      if (!tr) {
        const id = encodeURIComponent(a.id);
        tr = cc.el("tr", { "data-agent": a.id }, [
          cc.el("th", { scope: "row", text: a.id }),
          cc.el("td", { class: "text" }, [cc.el("span", { "data-agent": a.id, "data-field": "state" })]),
          cc.el("td", {}, [cc.el("span", { "data-agent": a.id, "data-field": "since" })]),
          cc.el("td", { class: "text" }, [cc.el("span", { "data-agent": a.id, "data-field": "contact" })]),
          cc.el("td", { class: "text" }, [
            button("Ready", "api/agents/" + id + "/ready", "Force " + a.id + " ready"),
            button("Not ready", "api/agents/" + id + "/not_ready", "Force " + a.id + " not ready"),
            button("Log out", "api/agents/" + id + "/logout", "Log " + a.id + " out"),
          ]),
        ]);
      }
      agentsBody.append(tr);  // in the server's order
      const st = tr.querySelector('[data-field="state"]');
      cc.setFigure(st, a.state, stateWord(a.state) + (a.contact ? ", on a contact" : "") +
                   (a.reason ? " (" + a.reason + ")" : ""));
      const c = tr.querySelector('[data-field="contact"]');
      cc.setFigure(c, a.contact || null, a.contact || "\u2013");
      tr.querySelector('[data-field="since"]').dataset.value =
        a.since === null || a.since === undefined ? "" : String(a.since);
    }
    for (const tr of Array.from(agentsBody.children)) {
      if (!keep.has(tr.dataset.agent)) tr.remove();
    }
    if (!agents.length && !agentsBody.children.length)
      agentsBody.append(cc.el("tr", {}, [cc.el("td", { class: "text empty", colspan: "5",
                                                       text: "No agent configured." })]));
    tick();
  }

  function renderProposals(list) {
    propBody.replaceChildren();
    if (!list.length) {
      propBody.append(cc.el("tr", {}, [cc.el("td", { class: "text empty", colspan: "6",
                                                     text: "Nothing waiting." })]));
      return;
    }
    for (const p of list) {
      const cs = p.case, id = p.proposal;
      const base = "api/proposals/" + encodeURIComponent(cs) + "/" + encodeURIComponent(id);
      propBody.append(cc.el("tr", { "data-case": cs, "data-proposal": id }, [
        cc.el("th", { scope: "row", text: cs }),
        cc.el("td", { class: "text", text: id }),
        cc.el("td", { class: "text", text: (p.workflow || "") + ", from " + (p.state || "") }),
        cc.el("td", { class: "text", text: p.proposed_by || "" }),
        cc.el("td", { text: p.expires ? cc.clockTime(p.expires) : "\u2013" }),
        cc.el("td", { class: "text" }, [
          button("Approve", base + "/approve", "Approve " + id + " of " + cs),
          button("Reject", base + "/reject", "Reject " + id + " of " + cs),
        ]),
      ]));
    }
  }

  let pending = null, again = false;
  // At most one refresh in flight, and one more after it when the feed spoke meanwhile.
  function refresh() {
    if (pending) {
      again = true;
      return pending;
    }
    pending = Promise.all([getJson("api/agents"), getJson("api/proposals")])
      .then(([a, p]) => {
        agents = Array.isArray(a) ? a : a.agents || [];
        renderAgents();
        renderProposals(Array.isArray(p) ? p : p.proposals || []);
        document.body.dataset.loaded = String(Date.now());
      })
      .catch((e) => say("Could not load the agents: " + e.message, "error"))
      .finally(() => {
        pending = null;
        if (again) {
          again = false;
          refresh();
        }
      });
    return pending;
  }

  function tick() {
    const now = Date.now() + serverOffset;
    document.getElementById("clock").textContent =
      new Date(now).toLocaleTimeString("en-GB", { hour12: false });
    for (const span of agentsBody.querySelectorAll('[data-field="since"]')) {
      const since = span.dataset.value;
      const text = since === "" || since === undefined ? "\u2013" : cc.duration(now - Number(since));
      if (span.textContent !== text) span.textContent = text;
    }
  }

  refresh();
  cc.live("api/stream", (b, got) => { cc.record(b.seq, got); refresh(); }, setConn);
  setInterval(tick, 500);
})();
