/**
 * Import boundaries between the top-level components (docs/PROTOCOL.md §0, CONVENTIONS):
 * sdk/ imports nothing of ours; node/ and verifier/ import sdk/ only (never each other);
 * nothing outside scripts/ imports scripts/, except that tests drive the devnet (scripts/devnet/).
 *
 * A dependency is an import (static, dynamic, `export … from`, `import type`; the package's own
 * name `veritrain[/…]` is sdk/), and also a program started by its path: a string literal that
 * names another component's source file (`'node/cli.ts'`, `'../verifier/cli.ts'`,
 * `new URL('../node/cli.ts', import.meta.url)`) or a `path.join`/`path.resolve` call whose literal
 * arguments spell one (`path.join(root, 'node', 'cli.ts')`). The source is parsed with the
 * TypeScript scanner, so comments and prose in strings never count.
 */
import path from 'node:path';
import ts from 'typescript';

export const COMPONENTS = ['sdk', 'node', 'verifier', 'explorer', 'scripts', 'test', 'contracts'] as const;
type Component = (typeof COMPONENTS)[number];

/** The package's own name: `veritrain` and `veritrain/<subpath>` resolve (package.json `exports`) into sdk/. */
export const PACKAGE_NAME = 'veritrain';

/**
 * What each component may depend on besides itself: a component, or a folder of one
 * (`scripts/devnet`: the devnet harness the end-to-end tests start, and nothing else of scripts/).
 */
const ALLOWED: Record<Component, readonly string[]> = {
  sdk: [],
  node: ['sdk'],
  verifier: ['sdk'],
  explorer: ['sdk'],
  scripts: ['sdk', 'node', 'verifier', 'explorer'],
  test: ['sdk', 'node', 'verifier', 'explorer', 'scripts/devnet'],
  contracts: [],
};

export interface Violation {
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
  readonly message: string;
}

export interface CheckOptions {
  /**
   * Whether a repository-relative path is a file of the repository. A path-like string literal
   * counts as a dependency only when it names one (so test data such as `'node/x.ts'` passed to a
   * function does not); without this, every such literal counts.
   */
  readonly exists?: (relPath: string) => boolean;
}

/** A source file path, repository-relative or relative to the file: `node/cli.ts`, `../verifier/cli.ts`. */
const SOURCE_PATH_RE = /^(?:\.{1,2}\/)*[\w@-]+(?:\/[\w@.-]+)+\.(?:ts|mts|cts|js|mjs|cjs)$/;

function componentOf(relPath: string): Component | undefined {
  const top = relPath.split(/[\\/]/)[0];
  return COMPONENTS.find((c) => c === top);
}

const isStringLike = (n: ts.Node): n is ts.StringLiteral | ts.NoSubstitutionTemplateLiteral => ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n);

/** The string that names a module in an import or export, when `node` is one. */
function moduleSpecifierOf(node: ts.Node): ts.Expression | undefined {
  if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined) return node.moduleSpecifier;
  if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) return node.moduleReference.expression;
  if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) return node.arguments[0];
  if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require' && node.arguments.length === 1)
    return node.arguments[0];
  if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) return node.argument.literal;
  return undefined;
}

/** `path.join(a, 'node', 'cli.ts')` / `join(...)` / `path.resolve(...)`: its trailing literal arguments joined by '/'. */
function joinedPathOf(node: ts.CallExpression): string | undefined {
  const callee = node.expression;
  const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : undefined;
  if (name !== 'join' && name !== 'resolve') return undefined;
  const parts: string[] = [];
  for (let i = node.arguments.length - 1; i >= 0; i--) {
    const arg = node.arguments[i] as ts.Expression;
    if (!isStringLike(arg)) break;
    parts.unshift(arg.text);
  }
  return parts.length >= 2 ? parts.join('/') : undefined;
}

/** The repository-relative file a path-like string names from `file`, if it is one. */
function targetOf(file: string, text: string): string | undefined {
  if (!SOURCE_PATH_RE.test(text)) return undefined;
  const joined = text.startsWith('.') ? path.posix.join(path.posix.dirname(file), text) : text;
  return path.posix.normalize(joined);
}

/** Check one file's imports and path-started programs. `file` is relative to the repository root. */
export function checkFile(file: string, source: string, options: CheckOptions = {}): Violation[] {
  const from = componentOf(file);
  if (from === undefined) return [];
  const kind = /\.[cm]?js$/.test(file) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, kind);
  const violations: Violation[] = [];
  const specifiers = new Set<ts.Node>();

  const check = (at: ts.Node, specifier: string, target: string, what: 'import' | 'start'): void => {
    const to = componentOf(target);
    if (to === undefined || to === from) return;
    if (ALLOWED[from].some((a) => target === a || target.startsWith(`${a}/`))) return;
    const line = sf.getLineAndCharacterOfPosition(at.getStart(sf)).line + 1;
    const allowed = ALLOWED[from].length === 0 ? 'nothing outside itself' : ALLOWED[from].map((c) => `${c}/`).join(', ');
    const verb = what === 'import' ? 'import' : 'depend on';
    const how = what === 'import' ? '' : ' (a program started by its path is a dependency)';
    violations.push({ file, line, specifier, message: `${from}/ may ${verb} ${allowed}, not ${to}/${how}` });
  };

  const visit = (node: ts.Node): void => {
    const spec = moduleSpecifierOf(node);
    if (spec !== undefined && isStringLike(spec)) {
      specifiers.add(spec);
      const s = spec.text;
      if (s.startsWith('.')) check(node, s, path.posix.normalize(path.posix.join(path.posix.dirname(file), s)), 'import');
      else if (s === PACKAGE_NAME || s.startsWith(`${PACKAGE_NAME}/`)) check(node, s, 'sdk', 'import');
    } else if (ts.isCallExpression(node)) {
      const joined = joinedPathOf(node);
      const target = joined === undefined ? undefined : targetOf(file, joined);
      if (joined !== undefined && target !== undefined && (options.exists?.(target) ?? true)) {
        for (const a of node.arguments) specifiers.add(a);
        check(node, joined, target, 'start');
      }
    } else if (isStringLike(node) && !specifiers.has(node)) {
      const target = targetOf(file, node.text);
      if (target !== undefined && (options.exists?.(target) ?? true)) check(node, node.text, target, 'start');
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return violations;
}
