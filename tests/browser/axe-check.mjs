// Runs axe-core (WCAG 2.1 A/AA) on every HTML page given, in headless Chromium via
// playwright-core, and prints one JSON object: {page: [violations with impact serious/critical]}.
// Usage: node axe-check.mjs NODE_MODULES_DIR CHROMIUM_PATH BASE_URL page1.html page2.html ...
import { createRequire } from "node:module";
import path from "node:path";

const [modules, chromiumPath, baseUrl, ...pages] = process.argv.slice(2);
const require = createRequire(path.join(modules, "noop.js"));
const { chromium } = require("playwright-core");
const axeSource = require("fs").readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
const results = {};
try {
  for (const widthName of [["desktop", 1280], ["mobile", 390]]) {
    const [name, width] = widthName;
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    const page = await context.newPage();
    for (const p of pages) {
      await page.goto(`${baseUrl}/${p}`, { waitUntil: "load" });
      await page.addScriptTag({ content: axeSource });
      const found = await page.evaluate(async () => {
        const r = await window.axe.run(document, {
          runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
        });
        return r.violations
          .filter((v) => v.impact === "serious" || v.impact === "critical")
          .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length,
                         target: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
      });
      const key = `${p} @${name}`;
      if (found.length) results[key] = found;
    }
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(results));
