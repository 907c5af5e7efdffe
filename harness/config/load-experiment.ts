import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { describeZodError, InputError } from '../../core/errors.js';
import { type Experiment, type ExperimentInput, ExperimentSchema } from './experiment.js';

/** Validates experiment data; the error names each bad field by its path. */
export function parseExperiment(data: unknown, source: string): Experiment {
  const parsed = ExperimentSchema.safeParse(data);
  if (!parsed.success) throw new InputError(describeZodError(parsed.error, source));
  return parsed.data;
}

/** Reads an experiment file (YAML or JSON), without validating it yet. */
export function readExperimentFile(path: string): ExperimentInput {
  if (!existsSync(path)) throw new InputError(`experiment file ${path} does not exist`);
  try {
    return parseYaml(readFileSync(path, 'utf8')) as ExperimentInput;
  } catch (error) {
    throw new InputError(`${path}: not valid YAML or JSON (${(error as Error).message.split('\n')[0]})`);
  }
}
