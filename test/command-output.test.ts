import { execaNode } from 'execa';
import { jsonOutput } from './command-output.js';

describe('jsonOutput', () => {
  test('parses what a command printed', async () => {
    const r = await execaNode('-e', ['process.stdout.write(JSON.stringify({ correct: 118 }))'], { nodeOptions: [], reject: false });
    expect(jsonOutput(r).correct).toBe(118);
  });

  test('a command that died says how, with its stderr', async () => {
    const r = await execaNode('-e', ["process.stderr.write('Segmentation fault?'); process.kill(process.pid, 'SIGSEGV')"], { nodeOptions: [], reject: false });
    expect(() => jsonOutput(r)).toThrow(/was killed by SIGSEGV without JSON on stdout\.\nstdout: \(empty\)\nstderr: Segmentation fault\?/);
  });

  test('a command that exited early says with what', async () => {
    const r = await execaNode('-e', ["process.stderr.write('Warning: Detected unsettled top-level await'); process.exit(13)"], { nodeOptions: [], reject: false });
    expect(() => jsonOutput(r)).toThrow(/exited with 13 without JSON on stdout\.[^]*unsettled top-level await/);
  });
});
