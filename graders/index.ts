/** The labs labgrade knows, in course order. */
import type { LabDefinition } from '../src/engine/lab-definition.js';
import { UsageError } from '../src/errors.js';
import { convStepByStep } from './conv-step-by-step.js';
import { convApplication } from './conv-application.js';
import { residualNetworks } from './residual-networks.js';

export const labs: readonly LabDefinition[] = [convStepByStep, convApplication, residualNetworks];

export function findLab(id: string): LabDefinition | undefined {
  return labs.find((lab) => lab.id === id || lab.file === id);
}

/** The labs named (by id or file name), or all of them; an unknown name is bad usage. */
export function selectLabs(ids: readonly string[] | undefined): LabDefinition[] {
  return (ids ?? labs.map((l) => l.id)).map((id) => {
    const lab = findLab(id);
    if (!lab) throw new UsageError(`unknown lab "${id}"; labs: ${labs.map((l) => l.id).join(', ')}`);
    return lab;
  });
}
