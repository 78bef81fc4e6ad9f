/**
 * Keeps the history of benchmark figures: each run appends its figures to docs/bench/history.json
 * (with the date and the machine) and rewrites docs/bench/README.md, a table of the latest
 * figures of each benchmark, so the history of these numbers is visible in the repository.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../src/paths.js';

export interface BenchEntry {
  bench: string;
  date: string;
  machine: { cpu: string; cores: number; memoryGb: number; node: string };
  figures: unknown;
}

const DIR = path.join(projectRoot, 'docs', 'bench');
const HISTORY = path.join(DIR, 'history.json');

/** Appends figures measured here, or (`measured`) on another machine at another time: the device's. */
export function recordBench(bench: string, figures: unknown, measured?: Pick<BenchEntry, 'date' | 'machine'>): void {
  if (process.env.BENCH_RECORD === '0') return;
  const history: BenchEntry[] = existsSync(HISTORY) ? JSON.parse(readFileSync(HISTORY, 'utf8')) : [];
  const cpus = os.cpus();
  history.push({
    bench,
    ...(measured ?? {
      date: new Date().toISOString(),
      machine: { cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    }),
    figures,
  });
  mkdirSync(DIR, { recursive: true });
  writeFileSync(HISTORY, `${JSON.stringify(history, null, 2)}\n`);
  const latest = new Map(history.map((e) => [e.bench, e]));
  const rows = [...latest.values()].map((e) => `| ${e.bench} | ${e.date.slice(0, 16).replace('T', ' ')} | ${e.machine.cpu}${e.machine.cores ? ` × ${e.machine.cores}` : ''} | \`${JSON.stringify(e.figures)}\` |`);
  writeFileSync(
    path.join(DIR, 'README.md'),
    `# Benchmark figures\n\nWritten by \`npm run bench\` (and the device scripts); every run is kept in \`history.json\`. Latest figures per benchmark:\n\n| benchmark | when (UTC) | machine | figures |\n| --- | --- | --- | --- |\n${rows.join('\n')}\n`,
  );
}
