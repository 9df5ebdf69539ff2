/**
 * The package's entries (package.json `exports`) load, and every import in the SDK's documentation
 * (TSDoc `@example` blocks in sdk/, the code blocks of docs/SDK.md) names a module that resolves and
 * values that module exports: an example a user copies must not fail at its first line.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

const ROOT = path.resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; exports: Record<string, string> };

interface ImportSite {
  readonly where: string;
  readonly specifier: string;
  /** Value imports by their exported name (`type` imports are erased at run time and not checked). */
  readonly names: readonly string[];
}

const IMPORT_RE = /^\s*import\s+(type\s+)?([\s\S]*?)\s+from\s+['"]([^'"]+)['"]/gm;

/** Every `import … from '…'` of a code snippet, with the value names it takes. */
function importsOf(code: string, where: string): ImportSite[] {
  const sites: ImportSite[] = [];
  for (const m of code.matchAll(IMPORT_RE)) {
    const [, typeOnly, clause = '', specifier = ''] = m;
    const names =
      typeOnly !== undefined
        ? []
        : [...(/\{([^}]*)\}/.exec(clause)?.[1] ?? '').split(',')]
            .map((n) => n.trim())
            .filter((n) => n !== '' && !n.startsWith('type '))
            .map((n) => (n.split(/\s+as\s+/)[0] ?? n).trim());
    if (typeOnly === undefined && /^\s*[A-Za-z_$][\w$]*\s*(,|$)/.test(clause)) names.push('default');
    sites.push({ where, specifier, names });
  }
  return sites;
}

/** The fenced ```ts blocks of a Markdown text. */
const fencedTs = (text: string): string[] => [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

/** The code of every TSDoc `@example` block of a source file (the leading ` * ` of each line removed). */
function tsdocExamples(source: string): string[] {
  const blocks: string[] = [];
  for (const comment of source.match(/\/\*\*[\s\S]*?\*\//g) ?? []) {
    if (!comment.includes('@example')) continue;
    const body = comment
      .split('\n')
      .map((l) => l.replace(/^\s*\/?\*+\/?\s?/, ''))
      .join('\n');
    blocks.push(...fencedTs(body.slice(body.indexOf('@example'))));
  }
  return blocks;
}

const sdkSources = (dir: string): string[] =>
  readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) return sdkSources(rel);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [rel] : [];
  });

const sites: ImportSite[] = [
  ...sdkSources('sdk').flatMap((f) => tsdocExamples(readFileSync(path.join(ROOT, f), 'utf8')).flatMap((code) => importsOf(code, `${f} @example`))),
  ...fencedTs(readFileSync(path.join(ROOT, 'docs', 'SDK.md'), 'utf8')).flatMap((code) => importsOf(code, 'docs/SDK.md')),
];

/** Examples run from the repository root (docs/SDK.md): a relative specifier is resolved from there. */
const resolveFromRoot = (specifier: string): string =>
  specifier.startsWith('.') ? new URL(specifier, pathToFileURL(`${ROOT}/`)).href : import.meta.resolve(specifier);

describe('package exports', () => {
  const subpaths = Object.keys(pkg.exports).filter((s) => s !== './package.json');

  it('has the main entry and one entry per SDK area, each under the package name', () => {
    assert.equal(pkg.name, 'veritrain');
    assert.deepEqual(subpaths, ['.', './chain', './dispute', './storage', './p2p', './submitter', './daemon', './testing']);
    assert.equal(pkg.exports['.'], './sdk/index.ts');
  });

  it('loads every entry through the package name, each exporting something', async () => {
    for (const sub of subpaths) {
      const specifier = sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`;
      assert.equal(import.meta.resolve(specifier), pathToFileURL(path.join(ROOT, pkg.exports[sub] ?? '')).href, specifier);
      const mod = (await import(specifier)) as Record<string, unknown>;
      assert.ok(Object.keys(mod).length > 0, `${specifier} exports nothing`);
    }
  });

  it("the main entry has every area's API (the same bindings) and none of the testing entry", async () => {
    const main = (await import('veritrain')) as Record<string, unknown>;
    for (const sub of subpaths.filter((s) => s !== '.' && s !== './testing')) {
      const area = (await import(`veritrain/${sub.slice(2)}`)) as Record<string, unknown>;
      for (const [name, value] of Object.entries(area)) assert.equal(main[name], value, `veritrain lacks ${name} of veritrain/${sub.slice(2)}`);
    }
    const testing = (await import('veritrain/testing')) as Record<string, unknown>;
    for (const name of ['fraudTransition', 'FRAUD_KINDS', 'copyStateTransition', 'nanMomentumStart', 'exampleSpec']) {
      assert.equal(typeof testing[name] === 'function' || Array.isArray(testing[name]), true, `veritrain/testing lacks ${name}`);
      assert.equal(name in main, false, `the main entry still exports ${name} (tests and demos only)`);
    }
  });
});

describe('documentation imports', () => {
  it('finds the examples (the extraction works)', () => {
    assert.ok(
      sites.some((s) => s.where.endsWith('@example') && s.specifier.startsWith('veritrain')),
      'no TSDoc example imports the package',
    );
    assert.ok(sites.filter((s) => s.where === 'docs/SDK.md').length >= 10, 'docs/SDK.md: too few imports found');
    assert.deepEqual(importsOf("import * as tf from 'x';\nimport type { A } from 'y';\nimport D, { b as c, type E } from 'z';", 't'), [
      { where: 't', specifier: 'x', names: [] },
      { where: 't', specifier: 'y', names: [] },
      { where: 't', specifier: 'z', names: ['b', 'default'] },
    ]);
    assert.deepEqual(tsdocExamples("/**\n * Does x.\n * @example\n * ```ts\n * import { a } from 'veritrain';\n * ```\n */"), [
      "import { a } from 'veritrain';\n",
    ]);
  });

  it('every import of a TSDoc example or of docs/SDK.md resolves, and the module exports the names taken', async () => {
    const failures: string[] = [];
    for (const site of sites) {
      let url: string;
      try {
        url = resolveFromRoot(site.specifier);
      } catch (err) {
        failures.push(`${site.where}: '${site.specifier}' does not resolve (${(err as Error).message})`);
        continue;
      }
      const mod = (await import(url)) as Record<string, unknown>;
      for (const name of site.names) if (!(name in mod)) failures.push(`${site.where}: '${site.specifier}' has no export ${name}`);
    }
    assert.deepEqual(failures, []);
  });
});
