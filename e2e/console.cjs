#!/usr/bin/env node
// A browser for tests/test_console_browser.py: Debian's Chromium driven by playwright-core,
// one page, steps read as JSON lines on stdin, one JSON answer line per step on stdout.
//
//   node e2e/console.cjs <outdir>
//
// Steps (one object a line):
//   {"goto": "http://127.0.0.1:1234/desk/"}        open a URL, wait for the load
//   {"fill": "<selector>", "value": "..."}          type into an input
//   {"check": "<selector>"}                          tick a radio button or a box
//   {"select": "<selector>", "value": "..."}        choose an option
//   {"click": "<selector>"}                          click and wait for the next page
//   {"press": "<selector>", "key": "Enter"}         a key (the keyboard path)
//   {"text": "<selector>"}                           answer {"text": innerText}
//   {"shot": "name"}                                 full-page <outdir>/name.png
//   {"viewport": [820, 1180]}                        resize the page (a tablet upright)
//   {"quit": true}
// Every answer carries "url" and, on failure, "error" (the page's text for context).
// Chromium is /usr/bin/chromium (CHROMIUM overrides). Nothing is fetched from elsewhere.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const readline = require("node:readline");

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

async function main() {
  const outdir = process.argv[2];
  fs.mkdirSync(outdir, { recursive: true });
  if (!fs.existsSync(CHROMIUM)) {
    console.log(JSON.stringify({ error: `Chromium not found at ${CHROMIUM}` }));
    process.exit(2);
  }
  const { chromium } = require("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30000 });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: "nl-NL" });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  const violations = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/.test(message.text())) violations.push(message.text());
  });
  console.log(JSON.stringify({ ready: true }));
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const step = JSON.parse(line);
    const answer = {};
    try {
      if (step.quit) break;
      if (step.goto) {
        const response = await page.goto(step.goto, { waitUntil: "load" });
        answer.status = response ? response.status() : null;
      } else if (step.fill) {
        await page.fill(step.fill, step.value);
      } else if (step.check) {
        await page.check(step.check);
      } else if (step.select) {
        await page.selectOption(step.select, step.value);
      } else if (step.click) {
        await Promise.all([page.waitForLoadState("load"), page.click(step.click)]);
        await page.waitForLoadState("load");
      } else if (step.press) {
        await page.press(step.press, step.key);
        await page.waitForLoadState("load");
      } else if (step.text) {
        answer.text = await page.innerText(step.text);
      } else if (step.viewport) {
        await page.setViewportSize({ width: step.viewport[0], height: step.viewport[1] });
        answer.overflow = await page.evaluate(
          () => document.documentElement.scrollWidth > document.documentElement.clientWidth,
        );
      } else if (step.shot) {
        const file = path.join(outdir, `${step.shot}.png`);
        await page.screenshot({ path: file, fullPage: true, animations: "disabled" });
        answer.file = file;
      }
    } catch (error) {
      answer.error = String(error.message || error).split("\n")[0];
      answer.page = (await page.innerText("body").catch(() => "")).slice(0, 2000);
    }
    answer.url = page.url();
    answer.csp_violations = violations.splice(0);
    console.log(JSON.stringify(answer));
  }
  await browser.close();
}

main().catch((error) => {
  console.log(JSON.stringify({ error: String(error) }));
  process.exit(1);
});
