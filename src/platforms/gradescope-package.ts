/**
 * The autograder package an instructor uploads to Gradescope: a zip whose setup.sh installs Node 20
 * where it is missing and labgrade (its runtime, with every fixture of the chosen labs) with its
 * dependencies from npm, and whose run_autograder grades /autograder/submission and writes
 * /autograder/results/results.json. Both honour AUTOGRADER_ROOT (default /autograder), so the
 * package can be run end to end anywhere. The SIGNS data goes in when a lab needs it and the
 * datasets folder has it; otherwise the package's README says how to add it.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LabDefinition } from '../engine/lab-definition.js';
import type { CourseConfig } from '../config/course-config.js';
import { copyRuntime } from '../kit/build-kit.js';
import { writeZip } from './zip.js';

/** The labs whose grading reads SIGNS (training, trained models). */
const NEEDS_SIGNS = new Set(['conv-application', 'residual-networks']);

const SETUP_SH = `#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder's image.
set -euo pipefail
ROOT="\${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 20 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ca-certificates curl gnupg
  curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs
fi
# The OS sandbox for submitted code; where Gradescope's container cannot run it, run_autograder
# falls back to Node's permission model alone (each submission has a container of its own there).
if ! command -v bwrap >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap) || echo "bubblewrap could not be installed"
fi
cd "$SOURCE/labgrade"
npm install --omit=dev --no-audit --no-fund --prefer-offline
`;

const RUN_AUTOGRADER = `#!/usr/bin/env bash
# Gradescope runs this for every submission; it writes $ROOT/results/results.json.
set -uo pipefail
ROOT="\${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
OUT="$ROOT/results/labgrade"
mkdir -p "$ROOT/results"
ARGS=(--out "$OUT" --config "$SOURCE/labgrade.config.json")
if ! bwrap --unshare-all --die-with-parent --ro-bind / / true >/dev/null 2>&1; then
  echo "bubblewrap cannot start in this container: grading under Node's permission model alone"
  ARGS+=(--sandbox node)
fi
if [ -d "$SOURCE/data/signs" ]; then ARGS+=(--data "$SOURCE/data"); fi
if [ -f "$ROOT/submission_metadata.json" ]; then ARGS+=(--gradescope-metadata "$ROOT/submission_metadata.json"); fi
node "$SOURCE/labgrade/bin/labgrade.js" grade "$ROOT/submission" "\${ARGS[@]}" > "$ROOT/results/labgrade.log" 2>&1
status=$?
cat "$ROOT/results/labgrade.log"
if [ $status -eq 0 ] && [ -f "$OUT/gradescope-results.json" ]; then
  cp "$OUT/gradescope-results.json" "$ROOT/results/results.json"
else
  # Nothing was graded: the student sees why (a missing lab file, say), and the score is 0.
  STATUS=$status LOG="$ROOT/results/labgrade.log" RESULTS="$ROOT/results/results.json" node -e '
    const fs = require("fs");
    const log = fs.readFileSync(process.env.LOG, "utf8").trim().split("\\n").slice(-5).join("\\n");
    const who = process.env.STATUS === "2" ? "Your submission could not be graded" : "labgrade could not grade this submission (ask your instructor to regrade it)";
    fs.writeFileSync(process.env.RESULTS, JSON.stringify({ score: 0, execution_time: 0, output: who + ":\\n" + log, visibility: "visible", stdout_visibility: "hidden", tests: [] }, null, 2));
  '
fi
`;

function packageReadme(labs: readonly LabDefinition[], dataNote: string): string {
  return `# labgrade: Gradescope autograder

Upload this zip as the assignment's autograder (Gradescope: Configure Autograder → Zip file upload,
base image Ubuntu). It grades ${labs.map((l) => `\`${l.file}\``).join(', ')}: students upload those files
(and optionally \`student.json\`).

- \`setup.sh\` installs Node 20 where it is missing, bubblewrap, and labgrade's dependencies from npm.
- \`run_autograder\` grades \`/autograder/submission\` with the public and hidden checks and writes
  \`/autograder/results/results.json\`: one test per check, public ones visible, hidden ones as
  \`labgrade.config.json\` says (default: after grades are published), the late policy applied
  from \`submission_metadata.json\` (\`created_at\` against the assignment's due date, or the
  config's deadline for a lab), and the trained ResNet50's accuracy on the leaderboard.
- \`labgrade.config.json\` is the course's configuration (schema: \`labgrade/schemas/config.schema.json\`).

${dataNote}
`;
}

export interface GradescopePackage {
  files: number;
  /** What the instructor should know (data left out, say). */
  notes: string[];
}

export function buildGradescopePackage(zipFile: string, labs: readonly LabDefinition[], config: CourseConfig, datasetsDir: string | undefined): GradescopePackage {
  const stage = mkdtempSync(path.join(os.tmpdir(), 'labgrade-gradescope-'));
  try {
    copyRuntime(path.join(stage, 'labgrade'), labs, 'all', 'Gradescope autograder');
    writeFileSync(path.join(stage, 'labgrade.config.json'), `${JSON.stringify({ ...config, labs: labs.map((l) => l.id) }, null, 2)}\n`);
    const notes: string[] = [];
    let dataNote = 'No lab in this package reads the SIGNS data.';
    if (labs.some((l) => NEEDS_SIGNS.has(l.id))) {
      const signs = datasetsDir && path.join(datasetsDir, 'signs');
      if (signs && existsSync(path.join(signs, 'test_signs.h5'))) {
        cpSync(signs, path.join(stage, 'data', 'signs'), { recursive: true });
        dataNote = 'The SIGNS data is in `data/signs/`.';
      } else {
        dataNote = 'The SIGNS data was not found when this package was built, so the training and trained-model checks will be skipped, saying so. Rebuild with `--data <datasets folder holding signs/>`, or add `data/signs/` (test_signs.h5 and jpeg64/) to this zip.';
        notes.push(`SIGNS data not found${datasetsDir ? ` in ${datasetsDir}` : ''}: Labs 2 and 3 will skip their data checks on Gradescope (--data names the folder)`);
      }
    }
    writeFileSync(path.join(stage, 'README.md'), packageReadme(labs, dataNote));
    writeFileSync(path.join(stage, 'setup.sh'), SETUP_SH, { mode: 0o755 });
    writeFileSync(path.join(stage, 'run_autograder'), RUN_AUTOGRADER, { mode: 0o755 });
    mkdirSync(path.dirname(path.resolve(zipFile)), { recursive: true });
    return { files: writeZip(stage, zipFile), notes };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
