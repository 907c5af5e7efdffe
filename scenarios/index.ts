import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeZodError, InputError, REPORT_INPUT, unknownName } from '../core/errors.js';
import { type Scenario, ScenarioSchema } from './model.js';

/** Scenarios are the JSON files beside this module; the file name is the public name. */
const SCENARIO_DIR = dirname(fileURLToPath(import.meta.url));

export function scenarioNames(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => basename(f, '.json'))
    .sort();
}

/** Parses and validates scenario data; errors name the bad field. */
export function parseScenario(data: unknown, source: string): Scenario {
  const parsed = ScenarioSchema.safeParse(data, REPORT_INPUT);
  if (!parsed.success) throw new InputError(describeZodError(parsed.error, source, ScenarioSchema));
  return parsed.data;
}

export function loadScenarioFile(path: string): Scenario {
  if (!existsSync(path)) throw new InputError(`scenario file ${path} does not exist`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  const scenario = parseScenario(data, path);
  if (scenario.name !== basename(path, '.json')) {
    throw new InputError(
      `${path}: name "${scenario.name}" must equal the file name "${basename(path, '.json')}"`,
    );
  }
  return scenario;
}

/** A scenario by name, or a scenario file of the user's by path (ending in .json). */
export function loadScenario(name: string): Scenario {
  if (name.endsWith('.json')) return loadScenarioFile(name);
  const names = scenarioNames();
  if (!names.includes(name)) throw unknownName('scenario', name, names);
  return loadScenarioFile(join(SCENARIO_DIR, `${name}.json`));
}
