/**
 * The sandbox the tests grade in: bubblewrap where it can start here (as instructors grade), else
 * Node's permission model alone, saying so. With LABGRADE_REQUIRE_BWRAP=1 (CI installs it) a
 * missing bubblewrap fails instead.
 */
import { bwrapStatus, type SandboxKind } from '../src/sandbox/os-sandbox.js';

function testSandbox(): SandboxKind {
  const status = bwrapStatus();
  if (status.available) return 'bwrap';
  const message = `the OS sandbox cannot start here (${status.reason}); tests grade under Node's permission model alone`;
  if (process.env.LABGRADE_REQUIRE_BWRAP === '1') throw new Error(message);
  console.warn(`SKIPPED: ${message}`);
  return 'node';
}

export const SANDBOX: SandboxKind = testSandbox();

/** Whether bubblewrap runs here: tests of what only it stops skip (saying so) where it does not. */
export const withBwrap = SANDBOX === 'bwrap';
