#!/usr/bin/env node
// A thin driver of Debian's Chromium through playwright-core, for test_wallboard.py: one
// JSON command a line on stdin, one JSON answer a line on stdout ({"id", "ok", "result"}
// or {"id", "ok": false, "error"}). The Python side starts ctid, places the calls and
// queries the protocol; this side only opens pages, reads and clicks them.
//
// Commands: launch {}; open {name, url, user?, password?, width?, height?, timezone?}; eval {name,
// expr}; wait {name, expr, ms} (until expr is truthy); click {name, selector}; screenshot
// {name, path}; errors {name} (the page's script and console errors); close {name}; quit {}.
"use strict";

const readline = require("readline");
const { chromium } = require("playwright-core");

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
let browser = null;
const pages = new Map();  // name -> {context, page}

function page(name) {
  const p = pages.get(name);
  if (!p) throw new Error("no page " + name);
  return p.page;
}

const ops = {
  async launch() {
    // The flags keep Chromium off the network it cannot reach here (background services,
    // component updates) and let it run as root in a container.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage"],
    });
    return browser.version();
  },
  // A context per page: its own connections, so Chromium's six connections per host do
  // not cap the number of pages each holding a live stream.
  async open(c) {
    const opts = { viewport: { width: c.width || 1600, height: c.height || 900 } };
    if (c.user !== undefined) opts.httpCredentials = { username: c.user, password: c.password };
    if (c.timezone) opts.timezoneId = c.timezone;
    const context = await browser.newContext(opts);
    const p = await context.newPage();
    const errors = [];
    p.on("pageerror", (e) => errors.push(String(e)));
    p.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    pages.set(c.name, { context, page: p, errors });
    const r = await p.goto(c.url, { waitUntil: "load", timeout: c.timeout || 30000 });
    return { status: r ? r.status() : null };
  },
  async eval(c) {
    return page(c.name).evaluate(c.expr);
  },
  // Polled with evaluate, not waitForFunction: that one compiles its string in the page,
  // which the pages' Content-Security-Policy (no eval) forbids.
  async wait(c) {
    const deadline = Date.now() + (c.ms || 10000);
    for (;;) {
      const v = await page(c.name).evaluate(c.expr);
      if (v) return v;
      if (Date.now() > deadline) throw new Error("timed out waiting for " + c.expr);
      await new Promise((r) => setTimeout(r, 20));
    }
  },
  async click(c) {
    await page(c.name).click(c.selector, { timeout: c.timeout || 10000 });
    return true;
  },
  async screenshot(c) {
    await page(c.name).screenshot({ path: c.path, fullPage: !!c.fullPage });
    return c.path;
  },
  async errors(c) {
    return pages.get(c.name).errors;
  },
  async close(c) {
    const p = pages.get(c.name);
    if (p) {
      pages.delete(c.name);
      await p.context.close();
    }
    return true;
  },
  async quit() {
    if (browser) await browser.close();
    browser = null;
    return true;
  },
};

const rl = readline.createInterface({ input: process.stdin });
let chain = Promise.resolve();
rl.on("line", (line) => {
  chain = chain.then(async () => {
    let c;
    try {
      c = JSON.parse(line);
      const result = await ops[c.op](c);
      process.stdout.write(JSON.stringify({ id: c.id, ok: true, result }) + "\n");
    } catch (e) {
      process.stdout.write(JSON.stringify({ id: c && c.id, ok: false,
                                            error: String(e && e.message || e) }) + "\n");
    }
    if (c && c.op === "quit") process.exit(0);
  });
});
rl.on("close", () => {
  chain.then(() => (browser ? browser.close() : null)).then(() => process.exit(0));
});
