/** What went wrong in a call or a process's start, in catalogue words. */
import type { MessageRef } from '../contract/result.js';
import { english, msg } from '../i18n/messages.js';
import type { CallOutcome } from '../sandbox/session.js';
import type { ThrownError } from '../sandbox/protocol.js';

/** Why a process stopped, with what it printed where there is a line of it. */
export function crashed(stop: { reason: string; reasonRef?: MessageRef; detail?: string }): MessageRef {
  const reason = stop.reasonRef ?? stop.reason;
  return stop.detail ? msg('outcome.crashed-detail', { reason, detail: stop.detail }) : msg('outcome.crashed', { reason });
}

export function describeThrown(error: ThrownError): string {
  return `${error.name}: ${error.message}${error.stack ? `\n${error.stack}` : ''}`;
}

/**
 * What went wrong in a call, in words. A hidden check speaks in fixed words only: any text, number,
 * name or shape the submission produced (an error's message or name, an exit code, what changed)
 * could carry the hidden inputs out.
 */
export function outcomeFailure(outcome: Exclude<CallOutcome, { kind: 'value' }>, reveal: boolean): MessageRef {
  switch (outcome.kind) {
    case 'threw':
      return reveal ? msg('outcome.threw', { error: describeThrown(outcome.error) }) : msg('outcome.threw-hidden');
    case 'timeout':
      return msg('outcome.timeout', { seconds: (outcome.limitMs / 1000).toFixed(1) });
    case 'crashed':
      if (reveal) return crashed(outcome);
      return msg(/memory/.test(outcome.reason) ? 'outcome.out-of-memory-hidden' : 'outcome.crashed-hidden');
    case 'stale':
      return reveal ? msg('outcome.stale', { what: outcome.tampered.join(', ') }) : msg('outcome.stale-hidden');
    default:
      return msg(outcome.kind === 'trained' ? 'outcome.trained' : 'outcome.other');
  }
}

export const describeOutcomeFailure = (outcome: Exclude<CallOutcome, { kind: 'value' }>, reveal: boolean): string => english(outcomeFailure(outcome, reveal));

/**
 * The words of the backends' device lines ("WebAssembly SIMD, 2 threads", "plain JavaScript"), for
 * reports in other languages; a GPU adapter's name stays a name.
 */
export function deviceRef(device: string): { deviceRef?: MessageRef } {
  const wasm = /^WebAssembly( SIMD)?, (\d+) threads?(?: \(threads unavailable: (.*)\))?$/.exec(device);
  if (wasm) return { deviceRef: msg(wasm[3] ? 'device.wasm-no-threads' : 'device.wasm', { simd: wasm[1] ? 'simd' : 'plain', threads: Number(wasm[2]), why: wasm[3] ?? '' }) };
  return device === 'plain JavaScript' ? { deviceRef: msg('device.cpu') } : {};
}
