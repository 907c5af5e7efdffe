/**
 * The layers of Faultline (DESIGN.md): folders import downward only.
 *
 *   harness/                       top: runner, cli, supervisor, services, world, bench
 *   reports/                       writers, from results (and the analysis that reads them)
 *   adapters/   chaos/             orchestration strategies; faults
 *   analysis/                      checker, metrics, gates: pure functions of the history
 *   scenarios/                     pipelines as data, the step runtime
 *   core/                          history events, results types, errors, random, clock
 *
 * Peers in the middle do not import each other, and nothing outside adapters/<name>/
 * reaches into an adapter's folder: the core never names a backend.
 */
const layer = (name, mayImport) => ({
  name: `${name}-imports-downward`,
  comment: `${name}/ may import only ${mayImport.join(', ') || 'nothing of the project'}`,
  severity: 'error',
  from: { path: `^${name}/` },
  to: {
    path: '^(core|scenarios|analysis|adapters|chaos|reports|harness|bin)/',
    pathNot: mayImport.length ? `^(${[name, ...mayImport].join('|')})/` : `^${name}/`,
  },
});

module.exports = {
  forbidden: [
    layer('core', []),
    layer('scenarios', ['core']),
    layer('analysis', ['core', 'scenarios']),
    layer('adapters', ['core', 'scenarios']),
    layer('chaos', ['core', 'scenarios']),
    layer('reports', ['core', 'scenarios', 'analysis']),
    layer('harness', ['core', 'scenarios', 'analysis', 'adapters', 'chaos', 'reports']),
    {
      name: 'adapter-folders-are-private',
      comment:
        'an adapter is one folder: the rest of the code reaches it only through the registry (adapters/*.ts)',
      severity: 'error',
      from: { path: '^(core|scenarios|analysis|chaos|reports|harness|bin)/' },
      to: { path: '^adapters/[^/]+/' },
    },
    {
      name: 'adapters-do-not-import-each-other',
      severity: 'error',
      from: { path: '^adapters/([^/]+)/' },
      to: { path: '^adapters/[^/]+/', pathNot: '^adapters/$1/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|results|\\.tools)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
