import { builtInAdapters } from '../../adapters/index.js';
import { faultCatalog } from '../../chaos/index.js';
import { loadScenario, scenarioNames } from '../../scenarios/index.js';

/** `faultline list`: everything a user can name on the command line. */
export function listCommand(): string {
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
      builtInAdapters().map((a) => [a.name, a.description]),
    ),
    section(
      'faults',
      faultCatalog().map((f) => [f.name, f.description]),
    ),
  ].join('\n\n');
}

const firstSentence = (text: string): string => text.split(/(?<=\.)\s/)[0] ?? text;
