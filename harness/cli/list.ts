import { builtInAdapters } from '../../adapters/index.js';
import { faultCatalog, faultKinds } from '../../chaos/index.js';
import { loadScenario, scenarioNames } from '../../scenarios/index.js';

/** `faultline list`: everything a user can name on the command line or in a schedule. */
export async function listCommand(): Promise<string> {
  const section = (title: string, rows: [string, string][]) => {
    const width = Math.max(...rows.map(([name]) => name.length));
    return [`${title}:`, ...rows.map(([name, text]) => `  ${name.padEnd(width)}  ${text}`)].join('\n');
  };
  return [
    section(
      'scenarios',
      scenarioNames().map((name) => [name, firstSentence(loadScenario(name).description)]),
    ),
    section(
      'adapters',
      (await builtInAdapters()).map((a) => [a.name, a.description]),
    ),
    section(
      'faults',
      faultCatalog().map((f) => [f.name, f.description]),
    ),
    section(
      'fault kinds (for a faultSchedule)',
      faultKinds().map((k) => [k.kind, k.description]),
    ),
  ].join('\n\n');
}

const firstSentence = (text: string): string => text.split(/(?<=\.)\s/)[0] ?? text;
