/** `labgrade kit <out>`: builds the student starter kit (no solutions, no hidden checks). */
import path from 'node:path';
import type { Command } from 'commander';
import { selectLabs } from '../../../graders/index.js';
import { buildKit } from '../../kit/build-kit.js';

export function registerKit(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('kit')
    .description('build the student starter kit: starter files, public checks, a push workflow; no solutions or hidden checks')
    .argument('<out>', 'a new, empty folder for the kit')
    .option('--lab <id...>', 'only these labs')
    .action((out: string, options: { lab?: string[] }) => {
      const files = buildKit(path.resolve(out), selectLabs(options.lab));
      process.stdout.write(`wrote the starter kit to ${path.resolve(out)} (${files.join(', ')}); students run: npm install && npx labgrade check ${files[0]}\n`);
      setExitCode(0);
    });
}
