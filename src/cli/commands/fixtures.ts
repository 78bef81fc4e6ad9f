/**
 * `labgrade fixtures generate`: regenerates expected outputs from the reference solutions.
 * With --check it writes nothing and fails when the committed files differ from a fresh generation.
 * Cases that train (Lab 2's model) train the reference on SIGNS (--data), a minute or more each;
 * --skip-training keeps their committed results (the Lab 2 tests check those against a fresh run).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { selectLabs } from '../../../graders/index.js';
import { generateArchitecture, generateExpected } from '../generate-expected.js';
import { architectureFilePath, expectedFilePath, loadExpected, writeExpected } from '../../cases/expected.js';
import { datasetsDir } from '../../data/datasets-dir.js';
import { writeFileAtomic } from '../../atomic-write.js';

import type { Visibility } from '../../contract/result.js';

export function registerFixtures(program: Command, setExitCode: (code: number) => void): void {
  const fixtures = program.command('fixtures').description('fixture maintenance (instructors, developers)');
  fixtures
    .command('generate')
    .description('write fixtures/<lab>/{public,hidden}.expected.json (and the course model\'s architecture.json) from the reference solution')
    .option('--lab <id...>', 'only these labs')
    .option('--check', 'compare with the committed files instead of writing them')
    .option('--data <dir>', 'datasets folder holding signs/, for the cases that train the reference (default: $LABGRADE_DATA, else the shared folder\'s datasets/)')
    .option('--skip-training', 'keep the committed results of the cases that train instead of training again')
    .action(async (options: { lab?: string[]; check?: boolean; data?: string; skipTraining?: boolean }) => {
      const labs = selectLabs(options.lab);
      let stale = 0;
      for (const lab of labs) {
        for (const visibility of ['public', 'hidden'] as Visibility[]) {
          const file = expectedFilePath(lab.id, visibility);
          const generated = await generateExpected(lab, visibility, { dataDir: datasetsDir(options.data), ...(options.skipTraining ? { keepTrained: loadExpected(lab.id, visibility) } : {}) });
          if (options.check) {
            const tmp = `${file}.check`;
            writeExpected(tmp, generated);
            const same = readFileOr(file) === readFileSync(tmp, 'utf8');
            await import('node:fs').then((fs) => fs.rmSync(tmp));
            if (!same) stale++;
            process.stdout.write(`${same ? 'up to date' : 'STALE'}: ${file}\n`);
          } else {
            writeExpected(file, generated);
            process.stdout.write(`wrote ${file} (${Object.keys(generated.cases).length} cases)\n`);
          }
        }
        const architecture = await generateArchitecture(lab);
        if (architecture === null) continue;
        const file = architectureFilePath(lab.id);
        if (options.check) {
          const same = readFileOr(file) === architecture;
          if (!same) stale++;
          process.stdout.write(`${same ? 'up to date' : 'STALE'}: ${file}\n`);
        } else {
          writeFileAtomic(file, architecture);
          process.stdout.write(`wrote ${file}\n`);
        }
      }
      setExitCode(stale > 0 ? 1 : 0);
    });
}

function readFileOr(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
