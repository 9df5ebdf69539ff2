/**
 * Import boundaries between the top-level components (docs/PROTOCOL.md §0, CONVENTIONS):
 * sdk/ imports nothing of ours; node/ and verifier/ import sdk/ only (never each other);
 * nothing outside scripts/ imports scripts/.
 */
import path from 'node:path';

export const COMPONENTS = ['sdk', 'node', 'verifier', 'scripts', 'test', 'contracts'] as const;
type Component = (typeof COMPONENTS)[number];

/** Which components each component may import from (besides itself). */
const ALLOWED: Record<Component, readonly Component[]> = {
  sdk: [],
  node: ['sdk'],
  verifier: ['sdk'],
  scripts: ['sdk', 'node', 'verifier'],
  test: ['sdk', 'node', 'verifier'],
  contracts: [],
};

export interface Violation {
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
  readonly message: string;
}

const IMPORT_RE = /(?:^|[^\w.])(?:import|export)\s*(?:[^'"`;]*?\sfrom\s*)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function componentOf(relPath: string): Component | undefined {
  const top = relPath.split(/[\\/]/)[0];
  return COMPONENTS.find((c) => c === top);
}

/** Check one file's imports. `file` is relative to the repository root. */
export function checkFile(file: string, source: string): Violation[] {
  const from = componentOf(file);
  if (from === undefined) return [];
  const violations: Violation[] = [];
  for (const match of source.matchAll(IMPORT_RE)) {
    const specifier = match[1] ?? match[2] ?? '';
    if (!specifier.startsWith('.')) continue;
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
    const to = componentOf(target);
    if (to === undefined || to === from) continue;
    if (!ALLOWED[from].includes(to)) {
      const line = source.slice(0, match.index + match[0].search(/import|export/)).split('\n').length;
      const allowed = ALLOWED[from].length === 0 ? 'nothing outside itself' : ALLOWED[from].map((c) => `${c}/`).join(', ');
      violations.push({ file, line, specifier, message: `${from}/ may import ${allowed}, not ${to}/` });
    }
  }
  return violations;
}
