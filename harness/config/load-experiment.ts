import { existsSync, readFileSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { describeZodError, InputError, REPORT_INPUT } from '../../core/errors.js';
import { type Experiment, type ExperimentInput, ExperimentSchema } from './experiment.js';

/** Validates experiment data; the error names each bad field by its path. */
export function parseExperiment(data: unknown, source: string): Experiment {
  const parsed = ExperimentSchema.safeParse(data, REPORT_INPUT);
  if (!parsed.success) throw new InputError(describeZodError(parsed.error, source, ExperimentSchema));
  return parsed.data;
}

/** Reads an experiment file (YAML or JSON): a mapping of fields, not validated yet. */
export function readExperimentFile(path: string): ExperimentInput {
  if (!existsSync(path)) throw new InputError(`experiment file ${path} does not exist`);
  if (!statSync(path).isFile()) throw new InputError(`experiment file ${path} is not a file`);
  let data: unknown;
  try {
    data = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputError(`${path}: not valid YAML or JSON (${(error as Error).message.split('\n')[0]})`);
  }
  const shape = `an experiment is a mapping of fields (scenarios, adapters, load, …; see experiments/smoke.yaml)`;
  if (data === null || data === undefined) throw new InputError(`${path} is empty: ${shape}`);
  if (Array.isArray(data)) throw new InputError(`${path} holds a list: ${shape}`);
  if (typeof data !== 'object') throw new InputError(`${path} holds a ${typeof data}: ${shape}`);
  return data as ExperimentInput;
}
