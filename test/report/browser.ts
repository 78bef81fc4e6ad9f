/** Headless Chromium for report tests (Debian's `chromium`), started without network chatter. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function findChromium(): Promise<string | null> {
  const r = await execa('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { reject: false });
  if (r.exitCode === 0 && r.stdout.trim()) return r.stdout.trim();
  const message = 'chromium is not installed (apt-get install chromium); the browser test of the HTML report is skipped';
  if (process.env.LABGRADE_REQUIRE_CHROMIUM === '1') throw new Error(message);
  console.warn(`SKIPPED: ${message}`);
  return null;
}

/** A tool the report tests need besides Chromium (pdftotext, from Debian's poppler-utils), or null, saying so. */
export async function findTool(name: string): Promise<string | null> {
  const r = await execa('sh', ['-c', `command -v ${name}`], { reject: false });
  if (r.exitCode === 0 && r.stdout.trim()) return r.stdout.trim();
  const message = `${name} is not installed (apt-get install poppler-utils); the PDF test is skipped`;
  if (process.env.LABGRADE_REQUIRE_CHROMIUM === '1') throw new Error(message);
  console.warn(`SKIPPED: ${message}`);
  return null;
}

/** Loads a local file with networking off; returns the rendered DOM, and writes a screenshot. */
export async function renderInChromium(chromium: string, file: string, screenshot: string): Promise<string> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'labgrade-chromium-'));
  const common = [...FLAGS, `--user-data-dir=${profile}`, '--window-size=1100,1600'];
  const url = pathToFileURL(file).href;
  const dom = await execa(chromium, [...common, '--dump-dom', url], { timeout: 60_000 });
  await execa(chromium, [...common, `--screenshot=${screenshot}`, url], { timeout: 60_000 });
  return dom.stdout;
}

/**
 * The report laid out at a printed A4 page's width (180 mm between 15 mm margins, 680 px, and the
 * body's padding): how many lines each status and points cell takes, and whether anything is
 * wider than the page. The report's CSP allows no script, so a copy without it carries the probe.
 */
export async function measureLayout(chromium: string, html: string): Promise<{ statusLines: Record<string, number>; tallestStatus: number; overflow: number }> {
  const probe = `<script>
const lines = (cell) => { const r = document.createRange(); r.selectNodeContents(cell); return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size; };
const cells = [...document.querySelectorAll('td.status, td.points')];
const statusLines = {};
for (const c of cells) statusLines[c.textContent.trim()] = Math.max(statusLines[c.textContent.trim()] ?? 0, lines(c));
const out = document.createElement('pre');
out.id = 'layout';
out.textContent = JSON.stringify({ statusLines, tallestStatus: Math.max(...cells.map(lines)), overflow: document.documentElement.scrollWidth - window.innerWidth });
document.body.append(out);
</script>`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'labgrade-layout-'));
  const file = path.join(dir, 'report.html');
  writeFileSync(file, html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '').replace('</body>', `${probe}</body>`));
  const profile = mkdtempSync(path.join(os.tmpdir(), 'labgrade-chromium-'));
  const dom = await execa(chromium, [...FLAGS, `--user-data-dir=${profile}`, '--window-size=712,1000', '--dump-dom', pathToFileURL(file).href], { timeout: 60_000 });
  const found = /<pre id="layout">([^<]*)<\/pre>/.exec(dom.stdout);
  if (!found) throw new Error('the layout probe did not run');
  return JSON.parse(found[1].replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
}
