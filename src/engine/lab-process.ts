/**
 * The lab's sandboxed processes as grading sees them: started on first use, and again after a
 * timeout or a crash. Public and hidden cases each have their own (grade-lab.ts says why).
 */
import type { MessageRef } from '../contract/result.js';
import { msg } from '../i18n/messages.js';
import { SandboxSession, type CallOutcome, type SandboxLimits, type SessionOptions } from '../sandbox/session.js';
import type { SubmissionBundle } from '../sandbox/bundle.js';
import type { DatasetRef } from '../sandbox/protocol.js';
import type { Value } from '../contract/values.js';
import { datasetKey, datasetValue, type DatasetTensor } from '../data/dataset-tensors.js';
import { crashed, describeThrown } from './call-outcomes.js';
import { skipReason, type LabContext } from './lab-context.js';

/** What the exercise phase calls functions through (a test gives it one that starts no process). */
export interface CallSession {
  call(fn: string, args: (Value | DatasetRef)[], timeoutMs: number, shuffleFrom?: number): Promise<CallOutcome>;
}

/** The session, or why none started: `failure` in full, `short` its first line (what every check says). */
export type Ensured = { session: CallSession } | { failure: MessageRef; short: MessageRef };

export interface CallProcess {
  /** The backend the process runs on, once it has started. */
  readonly backend?: string;
  /** The live session, starting one within `budgetMs` if there is none. */
  ensure(budgetMs?: number): Promise<Ensured>;
}

/** How the lab's process starts: the datasets its calls name are read here and sent to it (it reads no files). */
export function sessionOptions(ctx: LabContext): SessionOptions {
  const { options } = ctx;
  const specs = new Map(ctx.cases.filter((c) => !skipReason(c, ctx)).flatMap((c) => c.datasets.map((s) => [datasetKey(s), s] as const)));
  const datasets = specs.size > 0 ? Object.fromEntries([...specs].map(([key, spec]): [string, DatasetTensor] => [key, datasetValue(spec, options.dataDir!)])) : undefined;
  return {
    sandbox: options.sandbox,
    backend: options.backend ?? 'auto',
    datasets,
    // Threads pay off for calls on real data (training); starting the threaded wasm build's pool
    // costs about 0.25 s, more than a lab of function checks gains from it.
    wasmThreads: datasets ? options.wasmThreads : 1,
  };
}

/** A lazily (re)started sandboxed process: after a timeout or a crash, the next call gets a fresh one. */
export class LabProcess implements CallProcess {
  private session: SandboxSession | null = null;
  exports: Record<string, string> = {};
  backend?: string;
  device?: string;
  tfjsVersion?: string;
  /** Why the machine failed to start the process each time it was started (it exited before any of the submission loaded): the lab's later cases get it without trying again. */
  private machineFailure: MessageRef | null = null;
  /** Whether the machine failed a start at all (every attempt, or until the startup time ran out): checks were lost that a rerun may grade. */
  machineFailed = false;

  constructor(
    private readonly bundle: SubmissionBundle,
    private readonly limits: SandboxLimits,
    private readonly sessionOptions: SessionOptions,
  ) {}

  async ensure(budgetMs = Infinity): Promise<{ session: SandboxSession } | { failure: MessageRef; short: MessageRef }> {
    if (this.session?.alive) return { session: this.session };
    // Every attempt of a start failed: the lab's later cases do not try again in turn.
    if (this.machineFailure) return { failure: this.machineFailure, short: this.machineFailure };
    const limits = { ...this.limits, startupTimeoutMs: Math.max(1, Math.min(this.limits.startupTimeoutMs, Math.round(budgetMs))) };
    const started = await SandboxSession.start(this.bundle, this.sessionOptions, limits);
    if (started.kind === 'load-failed') {
      const thrown = describeThrown(started.error);
      return { failure: msg('grading.load-failed', { error: thrown }), short: msg('grading.load-failed', { error: thrown.split('\n')[0] }) };
    }
    // Loading runs no fixture, so what the process printed may be shown.
    if (started.kind === 'crashed') {
      const failure = crashed(started);
      this.machineFailed ||= started.failedToStart !== undefined;
      if (started.failedToStart === 'every-attempt') this.machineFailure = failure;
      return { failure, short: failure };
    }
    this.session = started.session;
    this.exports = started.exports;
    this.backend = started.backend;
    this.device = started.device;
    this.tfjsVersion = started.tfjsVersion;
    return { session: started.session };
  }

  close(): void {
    this.session?.close();
  }
}
