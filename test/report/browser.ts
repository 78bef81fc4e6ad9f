/** Headless Chromium for report tests (Debian's `chromium`), started without network chatter. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
  const url = `file://${file}`;
  const dom = await execa(chromium, [...common, '--dump-dom', url], { timeout: 60_000 });
  await execa(chromium, [...common, `--screenshot=${screenshot}`, url], { timeout: 60_000 });
  return dom.stdout;
}
