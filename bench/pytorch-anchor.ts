/**
 * labgrade's training against PyTorch's on the same machine: ResNet50's training step (batch 32,
 * Adam) and Lab 2's 100 epochs (1080 images, batches of 64, Adam), each run in a process of its own,
 * the two sides interleaved round by round so that the machine's noise hits both; prints the
 * labgrade / PyTorch ratios (issue 22's goals: ResNet50 ≤ 3×, Lab 2 ≤ 1×). PyTorch is Debian's
 * python3-torch; where it is missing the anchor is skipped, saying how to get it, and
 * BENCH_INSTALL_TORCH=1 installs it with apt where this user may (root, or sudo without a
 * password). BENCH_ANCHOR_ROUNDS (default 3) rounds; BENCH_RESNET_STEPS
 * steps per ResNet50 median.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from '../src/median.js';
import { recordBench } from './bench-record.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.BENCH_ANCHOR_ROUNDS ?? 3);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`BENCH_ANCHOR_ROUNDS must be a whole number of rounds, at least 1; got ${process.env.BENCH_ANCHOR_ROUNDS}`);
const RESNET_STEPS = Number(process.env.BENCH_RESNET_STEPS ?? 3);
const EPOCHS = 100;
const GOALS = { resnet50Step: 3, lab2: 1 };
// Debian's interpreter, which python3-torch installs for (a python3 earlier on PATH may be another).
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const ANCHOR = path.join(here, '..', '..', 'bench', 'pytorch', 'anchor.py');

function torchVersion(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** PyTorch's version, installing Debian's python3-torch where allowed; null, with the reason printed, where it cannot be had. */
function ensureTorch(): string | null {
  const found = torchVersion();
  if (found) return found;
  const asRoot = process.getuid?.() === 0;
  const sudo = () => spawnSync('sudo', ['-n', 'true']).status === 0;
  if (process.env.BENCH_INSTALL_TORCH !== '1' || (!asRoot && !sudo())) {
    console.log(`PyTorch anchor skipped: ${PYTHON} has no torch (apt-get install python3-torch${process.env.BENCH_INSTALL_TORCH === '1' ? ', which needs root: this user cannot' : ', or BENCH_INSTALL_TORCH=1 to have the benchmark install it'}).`);
    return null;
  }
  console.log('Installing Debian\'s python3-torch for the PyTorch anchor (apt-get; a few minutes)...');
  const apt = (args: string[]) => spawnSync(asRoot ? 'apt-get' : 'sudo', asRoot ? args : ['apt-get', ...args], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  apt(['update', '-qq']);
  const installed = apt(['install', '-y', '-qq', 'python3-torch']);
  const version = installed.status === 0 ? torchVersion() : null;
  if (!version) console.log('PyTorch anchor skipped: apt-get install python3-torch failed.');
  return version;
}

const lastJson = <T>(stdout: string): T => JSON.parse(stdout.trim().split('\n').pop()!) as T;

function labgradeResnetStepMs(): number {
  return lastJson<{ stepMs: number }>(execFileSync(process.execPath, [path.join(here, 'train-resnet50.js'), 'labgrade'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_RESNET_STEPS: String(RESNET_STEPS) } })).stepMs;
}

function labgradeLab2Seconds(): number {
  const figure = lastJson<{ secondsPerEpoch: number }>(execFileSync(process.execPath, [path.join(here, 'train-lab2.js'), '--training-only'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_EPOCHS: String(EPOCHS) } }));
  return figure.secondsPerEpoch * EPOCHS;
}

function pytorch<T>(work: 'resnet50-step' | 'lab2', n: number): T {
  return lastJson<T>(execFileSync(PYTHON, [ANCHOR, work, String(n)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
}

const version = ensureTorch();
if (version) {
  console.log(`labgrade (wasm) against PyTorch ${version} (CPU) on this machine, ${ROUNDS} interleaved rounds`);
  const figures = { resnet50StepMs: { labgrade: [] as number[], pytorch: [] as number[] }, lab2Seconds: { labgrade: [] as number[], pytorch: [] as number[] } };
  for (let round = 1; round <= ROUNDS; round++) {
    figures.resnet50StepMs.labgrade.push(labgradeResnetStepMs());
    figures.resnet50StepMs.pytorch.push(pytorch<{ stepMs: number }>('resnet50-step', RESNET_STEPS).stepMs);
    figures.lab2Seconds.labgrade.push(labgradeLab2Seconds());
    figures.lab2Seconds.pytorch.push(pytorch<{ seconds: number }>('lab2', EPOCHS).seconds);
    console.log(`round ${round}: ResNet50 step ${figures.resnet50StepMs.labgrade[round - 1].toFixed(0)} / ${figures.resnet50StepMs.pytorch[round - 1].toFixed(0)} ms; Lab 2 ${figures.lab2Seconds.labgrade[round - 1].toFixed(1)} / ${figures.lab2Seconds.pytorch[round - 1].toFixed(1)} s`);
  }
  const ratio = (f: { labgrade: number[]; pytorch: number[] }) => median(f.labgrade) / median(f.pytorch);
  const resnet = ratio(figures.resnet50StepMs);
  const lab2 = ratio(figures.lab2Seconds);
  console.log('work                          labgrade    PyTorch   labgrade / PyTorch   goal');
  console.log(`ResNet50 step, batch 32 (ms) ${median(figures.resnet50StepMs.labgrade).toFixed(0).padStart(9)} ${median(figures.resnet50StepMs.pytorch).toFixed(0).padStart(10)} ${resnet.toFixed(2).padStart(20)}   ≤ ${GOALS.resnet50Step}`);
  console.log(`Lab 2, 100 epochs (s)         ${median(figures.lab2Seconds.labgrade).toFixed(1).padStart(9)} ${median(figures.lab2Seconds.pytorch).toFixed(1).padStart(10)} ${lab2.toFixed(2).padStart(20)}   ≤ ${GOALS.lab2}`);
  recordBench('pytorch-anchor', { torch: version, rounds: ROUNDS, goals: GOALS, ratios: { resnet50Step: Number(resnet.toFixed(3)), lab2: Number(lab2.toFixed(3)) }, ...figures });
}
