/**
 * report.pdf from report.html, printed by the system's headless Chromium (Debian's `chromium`, as
 * .ci/run installs it). The HTML is self-contained and its Content-Security-Policy loads nothing;
 * Chromium runs with a throwaway profile and no network besides. Where Chromium is missing or
 * fails, the caller says so and everything else is still written.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeFileAtomic } from '../atomic-write.js';

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome'];
const TIMEOUT_MS = 120_000;

function findOnPath(names: readonly string[]): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const name of names) if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

/** The Chromium that prints PDFs here ($LABGRADE_CHROMIUM, else the first on PATH), or why there is none. */
export function chromiumForPdf(): { path: string } | { missing: string } {
  const named = process.env.LABGRADE_CHROMIUM;
  if (named) return existsSync(named) ? { path: named } : { missing: `LABGRADE_CHROMIUM names ${named}, which does not exist` };
  const found = findOnPath(CANDIDATES);
  return found ? { path: found } : { missing: 'Chromium is not installed (apt-get install chromium): no report.pdf was written' };
}

export type PdfOutcome = { written: true } | { written: false; reason: string };

/**
 * Prints `htmlFile` to `pdfFile`. The report is copied into a fresh folder beside `pdfFile` and
 * printed from there to a fixed name, then moved; its URL is built by pathToFileURL. A path pasted
 * into a file:// URL is Chromium's to interpret (a backslash is a slash, `..` climbs, `?` and `#`
 * end it), and a submission folder's name is the student's to choose. Beside the output, not in
 * /tmp: a snap-packaged Chromium (Ubuntu's) has a /tmp of its own.
 */
export async function printPdf(chromium: string, htmlFile: string, pdfFile: string): Promise<PdfOutcome> {
  const profile = mkdtempSync(path.join(path.dirname(pdfFile), 'labgrade-pdf-'));
  const page = path.join(profile, 'report.html');
  const printed = path.join(profile, 'report.pdf');
  const flags = [
    '--headless',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    // Nothing in the report loads from anywhere; a proxy that goes nowhere makes sure of it.
    '--proxy-server=127.0.0.1:9',
    '--no-pdf-header-footer',
    `--user-data-dir=${path.join(profile, 'profile')}`,
    `--print-to-pdf=${printed}`,
    // Chromium's own sandbox cannot start as root (a container's usual user).
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    pathToFileURL(page).href,
  ];
  try {
    copyFileSync(htmlFile, page);
    rmSync(pdfFile, { force: true });
    await new Promise<void>((resolve, reject) => {
      execFile(chromium, flags, { timeout: TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 }, (err) => (err ? reject(err) : resolve()));
    });
    if (!existsSync(printed)) return { written: false, reason: 'Chromium ran but wrote no PDF' };
    writeFileAtomic(pdfFile, readFileSync(printed));
    return { written: true };
  } catch (err) {
    return { written: false, reason: `Chromium could not print the report: ${(err as Error).message.split('\n')[0].slice(0, 200)}` };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
