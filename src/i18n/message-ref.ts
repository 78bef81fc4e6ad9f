/**
 * A catalogue message by id and parameters (a MessageRef). Nothing here reads a catalogue or loads
 * the formatter, so code that runs in a sandboxed child (model summaries) can say what it found.
 */
import type { MessageParam, MessageRef } from '../contract/result.js';

/** A ref to a catalogue message; the id must be in the catalogues (a test reads every call). */
export function msg(id: string, params?: Record<string, MessageParam>): MessageRef {
  return params ? { id, params } : { id };
}
