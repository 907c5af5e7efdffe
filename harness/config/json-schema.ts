import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ExperimentSchema } from './experiment.js';

/**
 * The experiment schema as JSON Schema, for editors (the YAML files point at it with a
 * yaml-language-server comment). The zod schema stays the one source of truth; this is
 * derived from it, and a test keeps the committed file current.
 */
export const EXPERIMENT_SCHEMA_PATH = fileURLToPath(
  new URL('../../experiments/experiment.schema.json', import.meta.url),
);

export function experimentJsonSchema(): string {
  const schema = z.toJSONSchema(ExperimentSchema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ title: 'Faultline experiment', ...schema }, null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(EXPERIMENT_SCHEMA_PATH, experimentJsonSchema());
  console.log(`wrote ${EXPERIMENT_SCHEMA_PATH}`);
}
