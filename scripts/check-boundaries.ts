// check:boundaries: fail when a component imports across a boundary it must not cross.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { checkFile, COMPONENTS } from './lib/boundaries.ts';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(
    "usage: npm run check:boundaries\n\nChecks that sdk/ depends on nothing of ours, node/ and verifier/ only on sdk/, and nothing on scripts/ (tests may drive scripts/devnet/).\nA dependency is an import or a program started by its path (a string literal naming another component's file).",
  );
  process.exit(0);
}

const root = path.resolve(import.meta.dirname, '..');
const files: string[] = [];
const walk = (dir: string): void => {
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) walk(rel);
    else if (/\.(ts|js|mjs|cjs)$/.test(entry.name)) files.push(rel);
  }
};
for (const c of COMPONENTS) {
  try {
    walk(c);
  } catch {
    // A component that does not exist yet has no imports to check.
  }
}

const exists = (rel: string): boolean => existsSync(path.join(root, rel));
const violations = files.flatMap((f) => checkFile(f, readFileSync(path.join(root, f), 'utf8'), { exists }));
for (const v of violations) console.error(`${v.file}:${v.line}: '${v.specifier}': ${v.message}`);
console.log(`check:boundaries: ${files.length} files, ${violations.length} violations`);
process.exit(violations.length === 0 ? 0 : 1);
