/**
 * The grading process's side of a sandboxed process: starts it (spawn-child.ts), loads a bundled
 * submission or gives it a job that runs no submitted code (a model evaluator, a trainer), sends
 * requests with a time limit, and watches its memory. A request that times out, a malformed
 * message, or a process that dies ends the session; the caller starts a new one for the rest.
 */
import type { MessageRef } from '../contract/result.js';
import { english, msg } from '../i18n/messages.js';
import { readFileSync } from 'node:fs';
import { validateValue, type Value } from '../contract/values.js';
import type { ModelSummary } from '../contract/summary.js';
import { BackendError, type BackendChoice, type BackendPurpose } from '../backends/choice.js';
import { wasmThreads } from '../backends/wasm-threads.js';
import type { EpochProgress, TrainedModel, TrainOptions } from '../training/train-model.js';
import { CHANNEL_FD, encodeFrame, FrameReader } from './channel.js';
import type { SandboxKind } from './os-sandbox.js';
import type { ChildRole } from './permissions.js';
import type { ChildMessage, DatasetRef, ParentMessage, ThrownError } from './protocol.js';
import type { DatasetTensor } from '../data/dataset-tensors.js';
import type { LabelledImages } from '../data/signs-arrays.js';
import type { ModelFileBytes, Scores } from '../models/evaluate-model-file.js';
import { isChildMessage, sanitizeError, tamperedNames } from './protocol-checks.js';
import { descendants, killChild, spawnChild, type SpawnedChild } from './spawn-child.js';
import { mapStack, type SubmissionBundle } from './bundle.js';

export interface SandboxLimits {
  /** V8 old-space cap for the child (--max-old-space-size). */
  heapMb: number;
  /** Memory cap of the process and everything under it (tensor data lives outside the V8 heap): a cgroup's limit where there is one, else checked every poll. */
  rssMb: number;
  startupTimeoutMs: number;
  /** How much of the child's stdout/stderr is kept for diagnosis. */
  outputCapBytes: number;
  /** The largest message read from the child; a larger one ends it. */
  messageCapBytes: number;
}

export const DEFAULT_LIMITS: SandboxLimits = { heapMb: 768, rssMb: 2048, startupTimeoutMs: 30_000, outputCapBytes: 64 * 1024, messageCapBytes: 96 << 20 };

export type CallOutcome =
  /** `tampered`: built-ins or tfjs members the call replaced; the session is then ended. */
  | { kind: 'value'; value: Value; durationMs: number; tampered?: string[] }
  | { kind: 'threw'; error: ThrownError; durationMs: number; tampered?: string[] }
  | { kind: 'timeout'; durationMs: number; limitMs: number }
  /** Not run: the process had been changed between calls; run it again in a fresh process. */
  | { kind: 'stale'; tampered: string[]; durationMs: number }
  /** `detail` quotes what the process printed (student-controlled), kept apart so hidden checks can omit it. */
  | { kind: 'crashed'; reason: string; reasonRef?: MessageRef; detail?: string; durationMs: number }
  | { kind: 'topology'; topology: string; durationMs: number }
  | { kind: 'trained'; trained: TrainedModel; durationMs: number }
  | { kind: 'evaluated'; scores: Scores; weightsSha256: string; weightsSample: number[]; channelNorms: number[]; durationMs: number }
  /** An evaluator refused a model file (not the course's model, a bound passed), in labgrade's words. */
  | { kind: 'rejected'; reason: string; durationMs: number };

export interface BackendInfo {
  backend: string;
  device: string;
  tfjsVersion: string;
  /** Why `auto` did not start the faster backends it tried first, in one line. */
  passedOver?: string;
}

export type FailedToStart = 'every-attempt' | 'out-of-time';

export type StartOutcome =
  | ({ kind: 'loaded'; session: SandboxSession; exports: Record<string, string> } & BackendInfo)
  | { kind: 'load-failed'; error: ThrownError }
  /**
   * `failedToStart`: it exited before its backend ran, nothing of the submission loaded (the machine's
   * failure, not the submission's), each of the times it was started ('every-attempt') or until the
   * startup time ran out ('out-of-time').
   */
  | { kind: 'crashed'; reason: string; reasonRef?: MessageRef; detail?: string; failedToStart?: FailedToStart };

export interface SessionOptions {
  /** bubblewrap around Node's permission model, or the permission model alone. */
  sandbox: SandboxKind;
  backend: BackendChoice;
  /** 'train' lets `auto` take a hardware WebGPU adapter (training reads tensors asynchronously). */
  purpose?: BackendPurpose;
  /** The datasets the calls refer to ({$dataset: name}), sent to the process once. */
  datasets?: Record<string, DatasetTensor>;
  /** Threads for the wasm backend (default: this machine's cores; a class run shares them out between jobs). */
  wasmThreads?: number;
}

const POLL_MS = 100;

/** How many times a process that exits before its backend runs is started (START_PAUSE_MS, twice that, ... apart). */
const START_ATTEMPTS = 3;
const START_PAUSE_MS = 500;

/** Each kind of process by its catalogue id, for the sentences that say why it stopped. */
const PROCESS_NAMES: Record<ChildRole, MessageRef> = { submission: msg('session.process.submission'), evaluator: msg('session.process.evaluator'), trainer: msg('session.process.trainer') };

/** Resident memory of a process and all its descendants, in kB (0 where /proc cannot tell). */
function treeRssKb(pid: number): number {
  let total = 0;
  for (const p of [pid, ...descendants(pid)]) {
    try {
      total += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone meanwhile, or not Linux
    }
  }
  return total;
}

export class SandboxSession {
  private pending = new Map<number, (outcome: CallOutcome) => void>();
  private progressListeners = new Map<number, (progress: EpochProgress) => void>();
  private nextId = 1;
  private exitReason: MessageRef | null = null;
  private killedFor: MessageRef | null = null;
  private readonly output: string[] = [];
  private outputBytes = 0;
  private readonly watchdog: NodeJS.Timeout;
  private readonly listeners = new Set<(message: ChildMessage) => void>();
  private readonly exitWaiters = new Set<() => void>();

  private constructor(
    private readonly child: SpawnedChild,
    private readonly role: ChildRole,
    private readonly limits: SandboxLimits,
    private readonly bundle: SubmissionBundle | null,
  ) {
    const proc = child.process;
    const keep = (chunk: Buffer) => {
      if (this.outputBytes >= limits.outputCapBytes) return;
      const text = chunk.toString('utf8').slice(0, limits.outputCapBytes - this.outputBytes);
      this.outputBytes += text.length;
      this.output.push(text);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    const channel = proc.stdio[CHANNEL_FD] as unknown as NodeJS.ReadWriteStream;
    const reader = new FrameReader(limits.messageCapBytes, (m) => this.onMessage(m), (reason) => this.kill(reason));
    channel.on('data', (chunk: Buffer) => reader.push(chunk));
    channel.on('error', () => {
      // The child is gone; the exit handler settles what is pending.
    });
    proc.on('error', (err) => this.kill(msg('session.could-not-start', { error: err.message })));
    proc.on('close', (code, signal) => this.onExit(code ?? undefined, signal ?? undefined));
    this.watchdog = setInterval(() => this.checkMemory(), POLL_MS);
    this.watchdog.unref();
  }

  /**
   * Starts a process of `role` and waits until its backend runs; a backend that cannot start is
   * labgrade's problem (BackendError), not the submission's. A process that exits before its backend
   * runs has loaded nothing of the submission: the machine failed it (bubblewrap's namespaces or
   * cgroup, a busy machine), so it is started again, up to START_ATTEMPTS times within the startup
   * time, rather than costing a student the checks it was to run.
   */
  private static async spawn(role: ChildRole, options: SessionOptions, limits: SandboxLimits, bundle: SubmissionBundle | null): Promise<{ session: SandboxSession; info: BackendInfo } | { crashed: { reason: string; reasonRef: MessageRef; detail?: string; failedToStart?: FailedToStart } }> {
    const purpose = options.purpose ?? 'grade';
    const startBy = performance.now() + limits.startupTimeoutMs;
    let exited = 0;
    for (let attempt = 1; ; attempt++) {
      const child = spawnChild({
        sandbox: options.sandbox,
        role,
        backend: options.backend,
        purpose,
        wasmThreads: options.wasmThreads ?? wasmThreads(),
        preloadGenerator: options.datasets !== undefined,
        heapMb: limits.heapMb,
        memoryMb: limits.rssMb,
      });
      const session = new SandboxSession(child, role, limits, bundle);
      const ready = await session.waitFor((m) => m.type === 'ready' || m.type === 'backend-failed', Math.max(1, startBy - performance.now()));
      if (ready) return SandboxSession.started(session, ready, options);
      const timedOut = session.alive;
      if (timedOut) session.kill(msg('session.start-timeout', { ms: String(limits.startupTimeoutMs) }));
      else exited++;
      const pause = START_PAUSE_MS * attempt;
      const failedToStart: FailedToStart | undefined = exited === START_ATTEMPTS ? 'every-attempt' : exited > 0 ? 'out-of-time' : undefined;
      if (timedOut || attempt === START_ATTEMPTS || performance.now() + pause >= startBy) return { crashed: { ...session.describeExit(msg('session.did-not-start')), ...(failedToStart ? { failedToStart } : {}) } };
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  /** The process whose backend answered `ready`: running, or its backend's failure thrown. */
  private static started(session: SandboxSession, ready: ChildMessage, options: SessionOptions): { session: SandboxSession; info: BackendInfo } {
    if (ready.type === 'backend-failed') {
      session.close();
      throw new BackendError(ready.reason.slice(0, 2000));
    }
    if (ready.type !== 'ready') throw new Error('unreachable');
    if (options.datasets) session.post({ type: 'datasets', tensors: options.datasets });
    return { session, info: { backend: ready.backend, device: ready.device, tfjsVersion: ready.tfjsVersion, ...(ready.passedOver ? { passedOver: ready.passedOver } : {}) } };
  }

  /** Starts a process for one submission and loads its bundled code. */
  static async start(bundle: SubmissionBundle, options: SessionOptions, limits: SandboxLimits = DEFAULT_LIMITS): Promise<StartOutcome> {
    const started = await SandboxSession.spawn('submission', options, limits, bundle);
    if ('crashed' in started) return { kind: 'crashed', ...started.crashed };
    const { session, info } = started;
    session.post({ type: 'load', code: bundle.code, filename: bundle.filename });
    const loaded = await session.waitFor((m) => m.type === 'loaded' || m.type === 'load-failed', limits.startupTimeoutMs);
    if (!loaded) {
      session.kill(msg('session.load-timeout', { ms: String(limits.startupTimeoutMs) }));
      return { kind: 'crashed', ...session.describeExit(msg('session.stopped-loading')) };
    }
    if (loaded.type === 'load-failed') {
      session.close();
      return { kind: 'load-failed', error: session.mapError(loaded.error) };
    }
    if (loaded.type !== 'loaded') throw new Error('unreachable');
    return { kind: 'loaded', session, exports: loaded.exports, ...info };
  }

  /** Starts a process that runs no submitted code: an evaluator of model files, or a trainer of a submitted model's topology. */
  static async startWorker(role: 'evaluator' | 'trainer', options: SessionOptions, limits: SandboxLimits): Promise<({ session: SandboxSession } & BackendInfo) | { crashed: { reason: string; detail?: string } }> {
    const started = await SandboxSession.spawn(role, options, limits, null);
    return 'crashed' in started ? started : { session: started.session, ...started.info };
  }

  /** The started process (with bubblewrap, the shell that became bwrap: the sandboxed Node is below it). */
  get pid(): number | undefined {
    return this.child.process.pid;
  }

  /** The CPUs the kernel lets the process and its threads use together, or null where no quota could be set. */
  get cpuQuota(): number | null {
    return this.child.cgroup?.cpus ?? null;
  }

  /** False as soon as the session is killed, before the process's exit is reported. */
  get alive(): boolean {
    return this.exitReason === null && this.killedFor === null;
  }

  /**
   * Calls an exported function; resolves with its encoded result or what went wrong. `shuffleFrom`:
   * the call trains, and randomMiniBatches shuffles with the recipe's seeds from this one on.
   */
  call(fn: string, args: (Value | DatasetRef)[], timeoutMs: number, shuffleFrom?: number): Promise<CallOutcome> {
    return this.request((id) => ({ type: 'call', id, fn, args, ...(shuffleFrom !== undefined ? { shuffleFrom } : {}) }), timeoutMs);
  }

  /** Calls `fn` and answers with the topology of the model it returns (labgrade train rebuilds it in a trainer). */
  topology(fn: string, timeoutMs: number): Promise<CallOutcome> {
    return this.request((id) => ({ type: 'topology', id, fn }), timeoutMs);
  }

  /** Trainer: rebuilds `topology`, checks it against `expected`, trains it on the datasets sent; `onProgress` hears of every batch. */
  train(topology: string, expected: ModelSummary, options: TrainOptions, timeoutMs: number, onProgress: (p: EpochProgress) => void): Promise<CallOutcome> {
    return this.request((id) => ({ type: 'train', id, topology, expected, options }), timeoutMs, onProgress);
  }

  /** Evaluator: loads a trained model file's weights into `architecture` (the course model's topology) and scores it on each set of images. */
  evaluate(model: ModelFileBytes, architecture: string, sets: Record<string, LabelledImages>, timeoutMs: number): Promise<CallOutcome> {
    return this.request((id) => ({ type: 'evaluate', id, model, architecture, sets }), timeoutMs);
  }

  private request(message: (id: number) => ParentMessage, timeoutMs: number, onProgress?: (p: EpochProgress) => void): Promise<CallOutcome> {
    const started = performance.now();
    if (!this.alive) return Promise.resolve({ kind: 'crashed', ...this.describeExit(msg('session.already-stopped')), durationMs: 0 });
    const id = this.nextId++;
    return new Promise<CallOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.progressListeners.delete(id);
        this.kill(msg('session.call-timeout', { ms: String(timeoutMs) }));
        resolve({ kind: 'timeout', durationMs: performance.now() - started, limitMs: timeoutMs });
      }, timeoutMs);
      if (onProgress) this.progressListeners.set(id, onProgress);
      this.pending.set(id, (outcome) => {
        clearTimeout(timer);
        this.pending.delete(id);
        this.progressListeners.delete(id);
        resolve(outcome);
      });
      this.post(message(id));
    });
  }

  /** Ends the child; safe to call more than once. */
  close(): void {
    clearInterval(this.watchdog);
    if (this.exitReason === null) killChild(this.child);
  }

  /** What the child printed (capped), for diagnosing crashes. */
  capturedOutput(): string {
    return this.output.join('');
  }

  /** Sanitizes an error from the child and points its stack at the student's lines. */
  private mapError(error: unknown): ThrownError {
    const clean = sanitizeError(error);
    return clean.stack && this.bundle ? { ...clean, stack: mapStack(clean.stack, this.bundle) } : clean;
  }

  private post(message: ParentMessage): void {
    const channel = this.child.process.stdio[CHANNEL_FD] as NodeJS.WritableStream | null;
    if (!channel || !this.alive) return;
    channel.write(encodeFrame(message));
  }

  private kill(reason: MessageRef): void {
    this.killedFor ??= reason;
    this.close();
  }

  private waitFor(predicate: (m: ChildMessage) => boolean, timeoutMs: number): Promise<ChildMessage | null> {
    return new Promise((resolve) => {
      const done = (m: ChildMessage | null) => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        this.exitWaiters.delete(onExit);
        resolve(m);
      };
      const listener = (m: ChildMessage) => predicate(m) && done(m);
      const onExit = () => done(null);
      const timer = setTimeout(() => done(null), timeoutMs);
      this.listeners.add(listener);
      this.exitWaiters.add(onExit);
      if (!this.alive) done(null);
    });
  }

  private onMessage(raw: unknown): void {
    if (!this.alive) return;
    if (!isChildMessage(raw, this.role)) {
      this.kill(msg('session.malformed-message'));
      return;
    }
    const message = raw;
    for (const listener of [...this.listeners]) listener(message);
    if (message.type === 'progress') {
      const { id, epoch, epochs, batch, batches, logs } = message;
      this.progressListeners.get(id)?.({ epoch, epochs, batch, batches, logs });
      return;
    }
    if (!('id' in message)) return;
    const settle = this.pending.get(message.id);
    if (!settle) return;
    switch (message.type) {
      case 'trained':
        return settle({ kind: 'trained', trained: { artifacts: message.artifacts, history: message.history, reductions: message.reductions }, durationMs: message.durationMs });
      case 'topology':
        return settle({ kind: 'topology', topology: message.topology, durationMs: message.durationMs });
      case 'evaluated':
        return settle({ kind: 'evaluated', scores: message.scores, weightsSha256: message.weightsSha256, weightsSample: message.weightsSample, channelNorms: message.channelNorms, durationMs: message.durationMs });
      case 'rejected':
        return settle({ kind: 'rejected', reason: message.reason.slice(0, 2000), durationMs: message.durationMs });
      case 'stale':
        settle({ kind: 'stale', tampered: tamperedNames(message.tampered), durationMs: 0 });
        return this.kill(msg('session.changed-between-calls'));
      case 'threw':
      case 'result': {
        const durationMs = Number(message.durationMs) || 0;
        const tampered = tamperedNames(message.tampered);
        const extra = tampered.length > 0 ? { tampered } : {};
        if (message.type === 'threw') settle({ kind: 'threw', error: this.mapError(message.error), durationMs, ...extra });
        else {
          const problem = validateValue(message.value);
          const malformed = msg('session.malformed-value', { problem: problem ?? '' });
          settle(problem ? { kind: 'crashed', reason: english(malformed), reasonRef: malformed, durationMs } : { kind: 'value', value: message.value, durationMs, ...extra });
        }
        // What one call changed must not reach the next: that one gets a fresh process.
        if (tampered.length > 0) this.kill(msg('session.changed-named', { what: tampered.join(', ') }));
      }
    }
  }

  private onExit(exitCode: number | undefined, signal: string | undefined): void {
    clearInterval(this.watchdog);
    if (this.exitReason !== null) return;
    const oom = this.child.cgroup?.oomKilled() ?? false;
    this.exitReason = this.killedFor ?? (oom ? msg('session.memory', { mb: String(this.limits.rssMb) }) : signal ? msg('session.killed', { signal }) : msg('session.exited', { code: String(exitCode ?? 'unknown') }));
    if (!this.killedFor && !oom && /heap out of memory/i.test(this.capturedOutput())) this.exitReason = msg('session.heap', { mb: String(this.limits.heapMb) });
    this.child.cgroup?.remove();
    for (const settle of [...this.pending.values()]) settle({ kind: 'crashed', ...this.describeExit(msg('session.stopped-during-call')), durationMs: 0 });
    this.pending.clear();
    for (const waiter of [...this.exitWaiters]) waiter();
  }

  private describeExit(fallback: MessageRef): { reason: string; reasonRef: MessageRef; detail?: string } {
    const reasonRef = msg('session.stopped', { process: PROCESS_NAMES[this.role], why: this.exitReason ?? this.killedFor ?? fallback });
    const reason = english(reasonRef);
    // An uncaught error (e.g. a rejected promise) prints its name and message; quote that line.
    const errorLine = this.killedFor ? undefined : /^\w*(?:Error|Exception)\b[^\n]*/m.exec(this.capturedOutput())?.[0];
    return errorLine ? { reason, reasonRef, detail: errorLine.slice(0, 300) } : { reason, reasonRef };
  }

  private checkMemory(): void {
    const pid = this.child.process.pid;
    if (!pid || !this.alive) return;
    if (treeRssKb(pid) > this.limits.rssMb * 1024) this.kill(msg('session.memory', { mb: String(this.limits.rssMb) }));
  }
}
