import { builtInAdapters } from '../../adapters/index.js';
import { METRICS, type MetricDefinition } from '../../analysis/metrics/catalog.js';
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
    section(
      'metrics (for gates: METRIC OP VALUE; ms metrics take ms, s or m)',
      METRICS.metrics.map((m) => [m.name, metricLine(m)]),
    ),
  ].join('\n\n');
}

/** `ms, lower is better, fault cells only: …`. */
function metricLine(m: MetricDefinition): string {
  const better = m.better === 'neither' ? 'descriptive' : `${m.better} is better`;
  const scope = m.scope === 'faulted' ? ', fault cells only' : '';
  return `${m.unit}, ${better}${scope}: ${m.description}`;
}

const firstSentence = (text: string): string => text.split(/(?<=\.)\s/)[0] ?? text;
