import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXPERIMENT_SCHEMA_PATH, experimentJsonSchema } from '../../harness/config/json-schema.js';

describe('experiments/experiment.schema.json', () => {
  it('is the JSON Schema of the current experiment schema (regenerate: npm run schema)', () => {
    expect(readFileSync(EXPERIMENT_SCHEMA_PATH, 'utf8')).toBe(experimentJsonSchema());
  });

  it('names the fields an experiment needs', () => {
    const schema = JSON.parse(experimentJsonSchema()) as {
      required: string[];
      properties: Record<string, unknown>;
    };
    expect(schema.required).toEqual(expect.arrayContaining(['scenarios', 'adapters']));
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['load', 'faults', 'faultSchedule', 'thresholds']),
    );
  });
});
