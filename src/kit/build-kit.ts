/**
 * The student starter kit an instructor hands out (e.g. as a GitHub Classroom template): the lab
 * starter files, labgrade's runtime with only the public fixtures, and a workflow that runs the
 * public checks on every push. Never the solutions, the hidden fixtures or the fixture generator's
 * reference code.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { distDir, fixturesDir, projectRoot, schemasDir } from '../paths.js';
import { UsageError } from '../errors.js';
import type { LabDefinition } from '../engine/lab-definition.js';

/** Folder, inside the kit, holding the trimmed labgrade package the kit depends on. */
export const KIT_PACKAGE_DIR = 'labgrade';

/** labgrade's package.json, down to what an installed copy needs to run. */
export function runtimeManifest(audience: string): Record<string, unknown> {
  const manifest = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8'));
  return {
    name: manifest.name,
    version: manifest.version,
    description: `${manifest.description} (${audience})`,
    license: manifest.license,
    type: manifest.type,
    engines: manifest.engines,
    bin: manifest.bin,
    dependencies: manifest.dependencies,
  };
}

/**
 * Copies labgrade's runtime (its built code, schemas, report templates and the labs' fixtures) to
 * `pkg`: the public fixtures only for students, every fixture of the labs for a grader.
 */
export function copyRuntime(pkg: string, labs: readonly LabDefinition[], fixtures: 'public' | 'all', audience: string): void {
  if (!existsSync(path.join(distDir, 'src'))) throw new UsageError('labgrade is not built: run `npm run build` first');
  mkdirSync(pkg, { recursive: true });
  cpSync(path.join(projectRoot, 'bin'), path.join(pkg, 'bin'), { recursive: true });
  cpSync(path.join(distDir, 'src'), path.join(pkg, 'dist', 'src'), { recursive: true });
  cpSync(path.join(distDir, 'graders'), path.join(pkg, 'dist', 'graders'), { recursive: true });
  cpSync(schemasDir, path.join(pkg, 'schemas'), { recursive: true });
  for (const part of ['templates', 'i18n']) cpSync(path.join(projectRoot, 'reports', part), path.join(pkg, 'reports', part), { recursive: true });
  for (const lab of labs) {
    mkdirSync(path.join(pkg, 'fixtures', lab.id), { recursive: true });
    if (fixtures === 'all') cpSync(path.join(fixturesDir, lab.id), path.join(pkg, 'fixtures', lab.id), { recursive: true });
    else for (const file of ['public.recipes.json', 'public.expected.json']) cpSync(path.join(fixturesDir, lab.id, file), path.join(pkg, 'fixtures', lab.id, file));
    cpSync(path.join(projectRoot, 'exercises', lab.file), path.join(pkg, 'exercises', lab.file));
  }
  writeFileSync(path.join(pkg, 'package.json'), `${JSON.stringify(runtimeManifest(audience), null, 2)}\n`);
}

function studentReadme(labs: readonly LabDefinition[]): string {
  return `# CNN labs: starter kit

Fill in the code between each \`// ### START CODE HERE ###\` and \`// ### END CODE HERE ###\` pair in
${labs.map((l) => `\`${l.file}\``).join(', ')}. Then check your work against the course's public test cases:

\`\`\`sh
npm install
npx labgrade check ${labs[0].file}
\`\`\`

Each check says what it ran and, when it fails, what is wrong (type, shape, the first wrong value,
a likely mistake). Your instructor grades with more, hidden checks. Pushing to GitHub runs the same
public checks (\`.github/workflows/check.yml\`).
`;
}

export function buildKit(out: string, labs: readonly LabDefinition[]): string[] {
  if (existsSync(out) && readdirSync(out).length > 0) throw new UsageError(`${out} is not empty; choose a new folder for the kit`);
  copyRuntime(path.join(out, KIT_PACKAGE_DIR), labs, 'public', 'student kit: public checks only');
  for (const lab of labs) cpSync(path.join(projectRoot, 'exercises', lab.file), path.join(out, lab.file));
  const kitManifest = {
    name: 'cnn-labs-starter',
    private: true,
    type: 'module',
    scripts: Object.fromEntries(labs.map((l) => [`check:${l.id}`, `labgrade check ${l.file}`])),
    dependencies: { labgrade: `file:./${KIT_PACKAGE_DIR}` },
  };
  writeFileSync(path.join(out, 'package.json'), `${JSON.stringify(kitManifest, null, 2)}\n`);
  writeFileSync(path.join(out, 'README.md'), studentReadme(labs));
  writeFileSync(path.join(out, '.gitignore'), 'node_modules/\n');
  mkdirSync(path.join(out, '.github', 'workflows'), { recursive: true });
  cpSync(path.join(projectRoot, 'ci', 'github', 'student-check.yml'), path.join(out, '.github', 'workflows', 'check.yml'));
  return labs.map((l) => l.file);
}
