#!/usr/bin/env node
// Adaptive Cards: validate with the official library, render screenshots in Chromium.
//
//   node e2e/cards.cjs validate <dir>            one JSON report line per *.json card;
//                                                exit 1 when any card has errors
//   node e2e/cards.cjs render <dir> <outdir>     <name>.desktop.png (700 px) and
//                                                <name>.mobile.png (400 px) per card;
//                                                prints one JSON line per screenshot
//
// The library is npm `adaptivecards` (pinned in e2e/package-lock.json), loaded from its
// UMD bundle: in Node for validation, and into the page (from node_modules, nothing from
// the internet) for rendering. Chromium is Debian's /usr/bin/chromium (CHROMIUM to
// override), driven by playwright-core. No JSON schema for cards 1.5 is published on npm,
// so validation is the library's parse and validation events plus our own rules below.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const BUNDLE = require.resolve("adaptivecards/dist/adaptivecards.js");
const STYLES = path.join(path.dirname(BUNDLE), "adaptivecards.css");
const VERSION = "1.5";
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
// Library events that are advice rather than faults: reported, never failing a card.
const WARNING_EVENTS = new Set([
  "Hint",
  "Deprecated",
  "RequiredInputsShouldHaveLabel",
  "RequiredInputsShouldHaveErrorMessage",
]);

function cardFiles(dir) {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => path.join(dir, name));
}

// -- validation ------------------------------------------------------------------------

function where(source) {
  if (!source || typeof source !== "object") return "";
  return source.id ? `${source.type} "${source.id}"` : String(source.type || "");
}

function libraryEvents(AC, json) {
  const card = new AC.AdaptiveCard();
  const context = new AC.SerializationContext();
  card.parse(json, context);
  const events = [];
  for (let i = 0; i < context.eventCount; i++) events.push(context.getEventAt(i));
  events.push(...card.validateProperties().validationEvents);
  return events.map((e) => ({
    event: AC.ValidationEvent[e.event] || String(e.event),
    phase: AC.ValidationPhase[e.phase] || String(e.phase),
    at: where(e.source),
    message: e.message,
  }));
}

// Every object in the card with the JSON path to it.
function walk(node, at, visit) {
  if (Array.isArray(node)) {
    node.forEach((item, i) => walk(item, `${at}[${i}]`, visit));
  } else if (node && typeof node === "object") {
    visit(node, at);
    for (const [key, value] of Object.entries(node)) walk(value, `${at}.${key}`, visit);
  }
}

// What our cards rely on and the library does not check.
function ownChecks(json) {
  const errors = [];
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    return ["the card is not a JSON object"];
  }
  if (json.type !== "AdaptiveCard") errors.push(`$.type: "${json.type}", expected "AdaptiveCard"`);
  if (json.version !== VERSION) errors.push(`$.version: "${json.version}", expected "${VERSION}"`);
  const inputIds = new Map();
  walk(json, "$", (node, at) => {
    const type = typeof node.type === "string" ? node.type : "";
    if (type === "Action.Execute") {
      if (typeof node.verb !== "string" || node.verb.trim() === "") {
        errors.push(`${at}: Action.Execute "${node.title || ""}" has no verb`);
      }
      if ("data" in node && (node.data === null || typeof node.data !== "object" || Array.isArray(node.data))) {
        errors.push(`${at}: Action.Execute "${node.title || ""}" data is not an object`);
      }
    }
    if (type.startsWith("Input.")) {
      if (typeof node.id !== "string" || node.id === "") {
        errors.push(`${at}: ${type} has no id`);
      } else if (inputIds.has(node.id)) {
        errors.push(`${at}: input id "${node.id}" is also used at ${inputIds.get(node.id)}`);
      } else {
        inputIds.set(node.id, at);
      }
    }
  });
  return errors;
}

function validateOne(AC, file) {
  const report = { file: path.basename(file), errors: [], warnings: [] };
  let json;
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    report.errors.push(`not JSON: ${error.message}`);
    return report;
  }
  for (const e of libraryEvents(AC, json)) {
    const line = `${e.event}${e.at ? ` (${e.at})` : ""}: ${e.message}`;
    (WARNING_EVENTS.has(e.event) ? report.warnings : report.errors).push(line);
  }
  report.errors.push(...ownChecks(json));
  return report;
}

function validate(dir) {
  const AC = require(BUNDLE);
  const files = cardFiles(dir);
  if (files.length === 0) {
    console.error(`no *.json cards in ${dir}`);
    return 2;
  }
  let failed = 0;
  for (const file of files) {
    const report = validateOne(AC, file);
    report.ok = report.errors.length === 0;
    if (!report.ok) failed++;
    console.log(JSON.stringify(report));
  }
  return failed ? 1 : 0;
}

// -- rendering ---------------------------------------------------------------------------

// Close to Teams' light theme (the web client's host config, simplified).
function hostConfig(mobile) {
  const colours = (dflt, subtle) => ({ default: dflt, subtle });
  const foreground = {
    default: colours("#242424", "#616161"),
    dark: colours("#252423", "#484644"),
    light: colours("#FFFFFF", "#FFFFFF"),
    accent: colours("#5B5FC7", "#4F52B2"),
    good: colours("#237B4B", "#0E700E"),
    warning: colours("#835C00", "#835C00"),
    attention: colours("#C4314B", "#A4262C"),
  };
  const style = (backgroundColor) => ({ backgroundColor, foregroundColors: foreground });
  return {
    supportsInteractivity: true,
    fontFamily: "'Segoe UI', 'Segoe UI Web (West European)', -apple-system, BlinkMacSystemFont, Roboto, 'Helvetica Neue', 'Liberation Sans', 'DejaVu Sans', sans-serif",
    fontTypes: {
      default: {
        fontFamily: "'Segoe UI', 'Segoe UI Web (West European)', -apple-system, BlinkMacSystemFont, Roboto, 'Helvetica Neue', 'Liberation Sans', 'DejaVu Sans', sans-serif",
        fontSizes: { small: 12, default: 14, medium: 14, large: 18, extraLarge: 24 },
        fontWeights: { lighter: 300, default: 400, bolder: 600 },
      },
      monospace: {
        fontFamily: "Consolas, 'Courier New', 'Liberation Mono', monospace",
        fontSizes: { small: 12, default: 14, medium: 14, large: 18, extraLarge: 24 },
        fontWeights: { lighter: 300, default: 400, bolder: 600 },
      },
    },
    spacing: { small: 4, default: 8, medium: 16, large: 20, extraLarge: 24, padding: 16 },
    separator: { lineThickness: 1, lineColor: "#E0E0E0" },
    imageSizes: { small: 32, medium: 52, large: 100 },
    containerStyles: {
      default: style("#FFFFFF"),
      emphasis: style("#F5F5F5"),
      accent: style("#E8EBFA"),
      good: style("#E7F2DA"),
      attention: style("#FCF4F6"),
      warning: style("#FBF6D9"),
    },
    actions: {
      maxActions: 6,
      spacing: "default",
      buttonSpacing: 8,
      showCard: { actionMode: "inline", inlineTopMargin: 16, style: "emphasis" },
      actionsOrientation: mobile ? "vertical" : "horizontal",
      actionAlignment: mobile ? "stretch" : "left",
    },
    adaptiveCard: { allowCustomStyle: true },
    factSet: {
      title: { color: "default", size: "default", isSubtle: false, weight: "bolder", wrap: true, maxWidth: 150 },
      value: { color: "default", size: "default", isSubtle: false, weight: "default", wrap: true },
      spacing: 8,
    },
    textBlock: { headingLevel: 2 },
  };
}

const PAGE = `<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>card</title>
<style>
  html, body { margin: 0; background: #F5F5F5; }
  body { padding: 16px; font-family: 'Segoe UI', 'Liberation Sans', 'DejaVu Sans', sans-serif; }
  #frame { background: #FFFFFF; border-radius: 6px; box-shadow: 0 1px 2px rgba(0,0,0,.14), 0 0 2px rgba(0,0,0,.12); overflow: hidden; }
  #frame .ac-pushButton { background: #FFFFFF; color: #242424; border: 1px solid #D1D1D1; border-radius: 4px;
    font: 600 14px 'Segoe UI', 'Liberation Sans', 'DejaVu Sans', sans-serif; min-height: 32px; padding: 4px 12px; cursor: pointer; }
  #frame .ac-pushButton.style-positive { background: #5B5FC7; color: #FFFFFF; border-color: #5B5FC7; }
  #frame .ac-pushButton.style-destructive { color: #C4314B; border-color: #C4314B; }
  #frame .ac-pushButton.expandable:after { font-family: inherit; font-size: 11px; content: "\\00a0\\25BE"; }
  #frame .ac-pushButton.expandable.expanded:after { content: "\\00a0\\25B4"; }
  #frame .ac-input { font: 14px 'Segoe UI', 'Liberation Sans', 'DejaVu Sans', sans-serif; }
</style></head>
<body><div id="frame"></div></body></html>`;

const LAYOUTS = [
  { name: "desktop", width: 700, mobile: false },
  { name: "mobile", width: 400, mobile: true },
];

// The viewer's locale (dates and times in cards are formatted by the browser): the card's
// "lang", else "_en" at the end of the file name for English, else Dutch.
function locale(json, name) {
  const lang = json && typeof json.lang === "string" ? json.lang.toLowerCase() : "";
  if (lang === "en" || (!lang && /(^|[_-])en$/.test(name))) return "en-GB";
  return lang && lang !== "nl" ? lang : "nl-NL";
}

// One page per layout and locale, with the library loaded from node_modules.
async function pageFor(browser, pages, layout, localeName) {
  const key = `${layout.name}/${localeName}`;
  if (pages.has(key)) return pages.get(key);
  // width of the card frame = layout width (plus the page's 16 px padding each side)
  const context = await browser.newContext({
    viewport: { width: layout.width + 32, height: 800 },
    deviceScaleFactor: 1,
    locale: localeName,
    timezoneId: "Europe/Amsterdam",
    offline: true,
  });
  // nothing may come from the network: everything is in the page or added from disk
  await context.route("**/*", (route) => route.abort());
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  await page.setContent(PAGE);
  await page.addStyleTag({ path: STYLES });
  await page.addScriptTag({ path: BUNDLE });
  pages.set(key, page);
  return page;
}

async function render(dir, outdir) {
  const files = cardFiles(dir);
  if (files.length === 0) {
    console.error(`no *.json cards in ${dir}`);
    return 2;
  }
  if (!fs.existsSync(CHROMIUM)) {
    console.error(
      `Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install chromium; .ci/run does) or set CHROMIUM`,
    );
    return 3;
  }
  fs.mkdirSync(outdir, { recursive: true });
  const { chromium } = require("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30000 });
  const pages = new Map();
  let failed = 0;
  try {
    for (const layout of LAYOUTS) {
      for (const file of files) {
        const name = path.basename(file, ".json");
        const json = JSON.parse(fs.readFileSync(file, "utf8"));
        const page = await pageFor(browser, pages, layout, locale(json, name));
        const result = await page.evaluate(
          ({ card, config }) => {
            const AC = window.AdaptiveCards;
            const frame = document.getElementById("frame");
            frame.replaceChildren();
            // Teams renders a subset of Markdown in TextBlocks (**bold**, _italic_); the
            // library only does so with a processor, so give it that subset.
            AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
              const escaped = text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
              result.outputHtml = escaped
                .replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>")
                .replace(/(^|\s)_(.+?)_(?=\s|$)/g, "$1<em>$2</em>")
                .replace(/\n/g, "<br>");
              result.didProcess = true;
            };
            const adaptive = new AC.AdaptiveCard();
            adaptive.hostConfig = new AC.HostConfig(config);
            adaptive.parse(card);
            const element = adaptive.render();
            if (!element) return { error: "the library rendered nothing" };
            frame.appendChild(element);
            const box = frame.getBoundingClientRect();
            return { width: Math.round(box.width), height: Math.round(box.height), text: frame.innerText.length };
          },
          { card: json, config: hostConfig(layout.mobile) },
        );
        if (result.error) {
          failed++;
          console.log(JSON.stringify({ file: path.basename(file), layout: layout.name, error: result.error }));
          continue;
        }
        const out = path.join(outdir, `${name}.${layout.name}.png`);
        await page.evaluate(() => document.fonts.ready);
        await page.locator("#frame").screenshot({ path: out, animations: "disabled" });
        console.log(
          JSON.stringify({
            file: path.basename(file),
            layout: layout.name,
            png: out,
            width: result.width,
            height: result.height,
            textChars: result.text,
            bytes: fs.statSync(out).size,
          }),
        );
      }
    }
  } finally {
    await browser.close();
  }
  return failed ? 1 : 0;
}

async function main(argv) {
  const [command, ...args] = argv;
  if (command === "validate" && args.length === 1) return validate(args[0]);
  if (command === "render" && args.length === 2) return render(args[0], args[1]);
  console.error("usage: node e2e/cards.cjs validate <dir> | render <dir> <outdir>");
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error && error.stack ? error.stack : error);
    process.exitCode = 1;
  },
);
