/**
 * Arguments that run a TypeScript entry point in a fresh Node process. The tsx
 * loader is resolved to an absolute URL so the child finds it from any cwd.
 */
const tsxLoader = import.meta.resolve('tsx');

export function nodeArgsFor(entry: string): string[] {
  return ['--import', tsxLoader, entry];
}
