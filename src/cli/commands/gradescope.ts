/** `labgrade gradescope <out.zip>`: the autograder package an instructor uploads to Gradescope. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { labs as allLabs, selectLabs } from '../../../graders/index.js';
import { loadCourseConfig, withConfiguredPoints } from '../../config/course-config.js';
import { datasetsDir } from '../../data/datasets-dir.js';
import { UsageError } from '../../errors.js';
import { buildGradescopePackage } from '../../platforms/gradescope-package.js';

export function registerGradescope(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('gradescope')
    .description("write the autograder zip to upload to Gradescope (setup.sh, run_autograder, labgrade and the labs' fixtures)")
    .argument('<out.zip>', 'the zip file to write')
    .option('--lab <id...>', `the labs it grades (${allLabs.map((l) => l.id).join(', ')}; default: the config's, else all)`)
    .option('--config <file>', 'labgrade.config.json to grade by (default: ./labgrade.config.json where there is one)')
    .option('--data <dir>', "datasets folder holding signs/, packed in for Labs 2 and 3 (default: $LABGRADE_DATA, else the shared folder's datasets/)")
    .action((zip: string, options: { lab?: string[]; config?: string; data?: string }) => {
      if (!zip.endsWith('.zip')) throw new UsageError(`the package is a zip file: name it *.zip, got "${zip}"`);
      if (existsSync(zip)) throw new UsageError(`${zip} exists; choose a new file`);
      const config = loadCourseConfig(options.config);
      const labs = withConfiguredPoints(selectLabs(options.lab ?? config.labs), config);
      const built = buildGradescopePackage(zip, labs, config, datasetsDir(options.data));
      process.stdout.write(`Wrote ${path.resolve(zip)} (${built.files} files) for ${labs.map((l) => l.id).join(', ')}: upload it as the assignment's autograder.\n`);
      for (const note of built.notes) process.stderr.write(`labgrade: warning: ${note}\n`);
      setExitCode(0);
    });
}
