/**
 * A child command's JSON output, or an error that says how the command ended and what it wrote to
 * stderr: a command that crashed or exited early otherwise fails its test as "Unexpected end of
 * JSON input", with nothing to go on (seen once in CI, for `labgrade evaluate`).
 */
interface CommandResult {
  command: string;
  stdout: string;
  stderr: string;
  exitCode?: number;
  signal?: string;
  timedOut?: boolean;
}

export function jsonOutput<T = any>(r: CommandResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    const ended = r.timedOut ? 'timed out' : r.signal ? `was killed by ${r.signal}` : `exited with ${r.exitCode}`;
    throw new Error(`${r.command} ${ended} without JSON on stdout.\nstdout: ${r.stdout.slice(-2000) || '(empty)'}\nstderr: ${r.stderr.slice(-4000) || '(empty)'}`);
  }
}
