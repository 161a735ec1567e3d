/**
 * Notebooks 04 and 07 as web pages, two ways: Debian's `jupyter nbconvert --to html` of the
 * notebooks converted to .ipynb (no code of ours in the page), and `agnb convert --to html`.
 * Both must show the Hessian heatmap and the loss curve as pictures: the HTML is checked, then
 * Chromium opens each page, every picture must decode, and a screenshot goes to .test-output/.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { ROOT, buildKernelBundles } from "../kernel/bundles";
import { newNotebook, serializeNotebook } from "../kernel/notebook-file";

const SHOTS = join(ROOT, ".test-output", "html-pages");
const NOTEBOOKS = ["04-higher-order", "07-keras-linear-regression"];
let folder: string;
let cli: string;
let browser: Browser;

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { cwd: folder, encoding: "utf8", env: { ...process.env, PATH: `/usr/bin:/bin:${process.env.PATH}` } });
  assert.equal(result.status, 0, `${command} ${args.join(" ")}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** The SVG pictures a page shows as <img src="data:image/svg+xml;base64,...">, decoded. */
function pictures(html: string): string[] {
  return [...html.matchAll(/<img [^>]*src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1], "base64").toString("utf8"));
}

/** Opens the page in Chromium; returns how many images decoded, of how many, after a screenshot. */
async function openPage(file: string, shot: string): Promise<{ decoded: number; images: number }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  try {
    await page.goto(`file://${file}`);
    await page.waitForLoadState("load");
    await page.screenshot({ path: join(SHOTS, shot), fullPage: true });
    return await page.evaluate("(() => { const all = [...document.images]; return { images: all.length, decoded: all.filter((i) => i.complete && i.naturalWidth > 0).length }; })()") as { decoded: number; images: number };
  } finally {
    await page.close();
  }
}

function assertPictures(html: string, what: string): void {
  const shown = pictures(html);
  assert.ok(shown.some((svg) => />Hessian 2 × 2 · target \(2,\) · source \(2,\)</.test(svg) && />9\.333</.test(svg) && />∂ first ↓ \(2,\)</.test(svg)) || !what.startsWith("04"),
    `${what}: the Hessian heatmap, its values and axes are a picture (${shown.length} pictures)`);
  if (what.startsWith("07")) {
    assert.ok(shown.some((svg) => />Training history</.test(svg) && />loss: last 0\.00\d+</.test(svg) && />epoch</.test(svg)), `${what}: the History's loss curve is a picture`);
    assert.ok(shown.some((svg) => />Epoch 1000\/1000 - loss: /.test(svg)), `${what}: the live progress's last state is a picture`);
  }
}

describe("notebooks 04 and 07 as standalone web pages", { timeout: 240_000 }, () => {
  before(async () => {
    ({ cli } = await buildKernelBundles());
    folder = mkdtempSync(join(tmpdir(), "agnb-html-"));
    mkdirSync(SHOTS, { recursive: true });
    run(process.execPath, [cli, "run", ...NOTEBOOKS.map((n) => join(ROOT, "notebooks", `${n}.agnb`)), "--out", folder, "--quiet"]);
    for (const name of NOTEBOOKS) run(process.execPath, [cli, "convert", `${name}.agnb`, "--to", "ipynb"]);
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  });

  after(async () => {
    await browser?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  test("jupyter nbconvert --to html shows the heatmap and the loss curve as pictures", async () => {
    run("/usr/bin/jupyter", ["nbconvert", "--to", "html", ...NOTEBOOKS.map((n) => `${n}.ipynb`)]);
    for (const name of NOTEBOOKS) {
      const file = join(folder, `${name}.html`);
      const html = readFileSync(file, "utf8");
      assertPictures(html, `${name} by nbconvert`);
      const { decoded, images } = await openPage(file, `nbconvert-${name}.png`);
      assert.ok(images >= (name.startsWith("04") ? 3 : 2), `${name}: ${images} pictures on the page`);
      assert.equal(decoded, images, `${name}: every picture decodes in Chromium`);
    }
  });

  test("agnb convert --to html writes one standalone page with the same pictures", async () => {
    for (const name of NOTEBOOKS) {
      const file = join(folder, `${name}.agnb.html`);
      run(process.execPath, [cli, "convert", `${name}.agnb`, "--to", "html", "--output", file]);
      const html = readFileSync(file, "utf8");
      assertPictures(html, `${name} by agnb`);
      assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">/);
      assert.doesNotMatch(html, /<script|<link|src="http/i, "nothing is loaded from elsewhere, nothing runs");
      const { decoded, images } = await openPage(file, `agnb-${name}.png`);
      assert.ok(images >= 2 && decoded === images, `${name}: ${decoded} of ${images} pictures decode`);
    }
    const again = spawnSync(process.execPath, [cli, "convert", `${NOTEBOOKS[0]}.agnb`, "--to", "html", "--output", join(folder, `${NOTEBOOKS[0]}.agnb.html`)], { cwd: folder, encoding: "utf8" });
    assert.equal(again.status, 1);
    assert.match(again.stderr, /exists; add --force to replace it/);
  });

  test("markdown and outputs that carry markup reach the page as text", () => {
    const hostile = newNotebook([
      { cell_type: "markdown", source: "# Title <script>alert(1)</script>\n[click](javascript:alert(1)) and <img src=x onerror=alert(1)>" },
      { cell_type: "code", source: "const s = '</pre><script>alert(2)</script>';" },
    ]);
    const input = join(folder, "hostile.agnb");
    writeFileSync(input, serializeNotebook(hostile));
    run(process.execPath, [cli, "convert", input, "--to", "html", "--force"]);
    const html = readFileSync(join(folder, "hostile.html"), "utf8");
    assert.doesNotMatch(html, /<script>|<img src=x|href="javascript:/);
    assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
    assert.match(html, /<h1>Title &lt;script&gt;alert\(1\)&lt;\/script&gt;<\/h1>/);
    assert.match(html, /const s = &#39;&lt;\/pre&gt;&lt;script&gt;alert\(2\)&lt;\/script&gt;&#39;;/);
  });
});
