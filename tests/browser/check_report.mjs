// Opens copyguard's HTML report in the system Chromium (headless) and prints what a reader
// would see, as one JSON object: console and page errors, every request other than the
// file itself, the copy-flow picture (arrows with their drawn colours), and the rows the
// table filters leave visible. Writes a PNG screenshot.
//
//   node check_report.mjs REPORT.html SCREENSHOT.png [CHROMIUM]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const [report, screenshot, executable = "/usr/bin/chromium"] = process.argv.slice(2);
if (!report || !screenshot) {
  console.error("usage: node check_report.mjs REPORT.html SCREENSHOT.png [CHROMIUM]");
  process.exit(2);
}
const url = pathToFileURL(resolve(report)).href;
const profile = mkdtempSync(join(tmpdir(), "copyguard-chromium-"));
const out = { url, console_errors: [], page_errors: [], requests: [], blocked: [] };

const context = await chromium.launchPersistentContext(profile, {
  executablePath: executable,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
  viewport: { width: 1400, height: 900 },
  offline: true,
});
try {
  // nothing but the report itself may be fetched: anything else is recorded and refused
  await context.route("**/*", (route) => {
    const u = route.request().url();
    if (u === url) {
      return route.continue();
    }
    out.blocked.push(u);
    return route.abort();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (msg) => {
    if (msg.type() === "error") {
      out.console_errors.push(msg.text());
    }
  });
  page.on("pageerror", (err) => out.page_errors.push(String(err)));
  out.dialogs = [];
  page.on("dialog", (dialog) => {
    out.dialogs.push(dialog.message());
    dialog.dismiss().catch(() => {});
  });
  page.on("request", (req) => {
    if (req.url() !== url) {
      out.requests.push(req.url());
    }
  });
  await page.goto(url, { waitUntil: "load" });

  out.title = await page.title();
  out.verdict = await page.getAttribute("#verdict", "data-verdict");
  out.svg = await page.evaluate(() => {
    const svg = document.querySelector("svg#flows");
    if (!svg) {
      return null;
    }
    const box = svg.getBoundingClientRect();
    const flows = [...svg.querySelectorAll("path.flow")].map((p) => ({
      verdict: p.getAttribute("data-verdict"),
      count: Number(p.getAttribute("data-count")),
      stroke: getComputedStyle(p).stroke,
      length: p.getTotalLength(),
    }));
    const labels = [...svg.querySelectorAll("text.flow-label")].map((t) => t.textContent);
    return {
      width: box.width,
      height: box.height,
      lanes: svg.querySelectorAll("rect.lane").length,
      boxes: svg.querySelectorAll("rect.box").length,
      flows,
      labels,
    };
  });

  // the filters: every option of each select, alone; the visible rows and their data
  const rows = async () =>
    page.$$eval("#copies tbody tr", (trs) =>
      trs
        .filter((tr) => !tr.hidden && tr.offsetParent !== null)
        .map((tr) => ({
          verdict: tr.getAttribute("data-verdict"),
          src: tr.getAttribute("data-src"),
          dst: tr.getAttribute("data-dst"),
          codes: tr.getAttribute("data-codes"),
        })),
    );
  out.rows_total = (await rows()).length;
  out.filters = {};
  for (const id of ["f-account", "f-verdict", "f-code"]) {
    const sel = await page.$(`#${id}`);
    if (!sel) {
      continue;
    }
    const values = (await page.$$eval(`#${id} option`, (os) => os.map((o) => o.value)))
      .filter((v) => v)
      .slice(0, 25);
    out.filters[id] = {};
    for (const v of values) {
      await page.selectOption(`#${id}`, v);
      out.filters[id][v] = {
        rows: await rows(),
        count: await page.textContent("#f-count"),
      };
    }
    await page.selectOption(`#${id}`, "");
  }
  out.rows_after_reset = (await rows()).length;

  // a click on an arrow filters the table to that arrow's verdict
  if (await page.$("svg path.flow")) {
    await page.dispatchEvent("svg path.flow >> nth=0", "click");
    out.flow_click = {
      verdict: await page.inputValue("#f-verdict"),
      rows: await rows(),
    };
    await page.selectOption("#f-verdict", "");
  }

  // collapse and expand the findings
  if (await page.$("#collapse-all")) {
    await page.click("#collapse-all");
    out.open_after_collapse = await page.$$eval("details.finding[open]", (d) => d.length);
    await page.click("#expand-all");
    out.open_after_expand = await page.$$eval("details.finding[open]", (d) => d.length);
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  // COPYGUARD_SHOT_HEIGHT=N: only the top N pixels (the README's picture), else the whole page
  const clip = Number(process.env.COPYGUARD_SHOT_HEIGHT || 0);
  await page.screenshot(
    clip > 0
      ? { path: screenshot, fullPage: true, clip: { x: 0, y: 0, width: 1400, height: clip } }
      : { path: screenshot, fullPage: true },
  );
  out.screenshot = screenshot;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(out) + "\n");
