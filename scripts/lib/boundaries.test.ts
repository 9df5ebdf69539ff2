import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkFile } from './boundaries.ts';

describe('import boundaries', () => {
  it('lets node/, verifier/ and explorer/ import sdk/, and explorer/ nothing else', () => {
    assert.deepEqual(checkFile('node/daemon.ts', "import { stateRoot } from '../sdk/index.ts';"), []);
    assert.deepEqual(checkFile('explorer/indexer.ts', "import { readJob } from '../sdk/chain/market.ts';"), []);
    assert.equal(checkFile('explorer/x.ts', "import { report } from '../verifier/core/report.ts';").length, 1);
    assert.deepEqual(checkFile('verifier/a/b.ts', "export { x } from '../../sdk/commit/merkle.ts';"), []);
  });

  it('rejects sdk/ importing node/, node/ importing verifier/, and anyone importing scripts/', () => {
    const [found, ...rest] = checkFile('sdk/x.ts', "\n\nimport type { Config } from '../node/config.ts';");
    assert.ok(found);
    assert.equal(rest.length, 0);
    assert.equal(found.line, 3);
    assert.match(found.message, /sdk\/ may import nothing outside itself, not node\//);
    assert.equal(checkFile('node/x.ts', "const v = await import('../verifier/index.ts');").length, 1);
    assert.equal(checkFile('test/integration/x.test.ts', "import { deploy } from '../../scripts/deploy.ts';").length, 1);
    assert.equal(checkFile('verifier/x.ts', "import {\n  a,\n  b,\n} from '../node/a.ts';").length, 1);
  });

  it('ignores packages and imports inside a component', () => {
    assert.deepEqual(checkFile('sdk/x.ts', "import { hash } from 'node:crypto';\nimport { y } from './y.ts';"), []);
  });

  it('treats the package name (veritrain, veritrain/<subpath>) as sdk/', () => {
    assert.deepEqual(checkFile('node/x.ts', "import { postJob } from 'veritrain';\nimport { fraudTransition } from 'veritrain/testing';"), []);
    assert.deepEqual(checkFile('sdk/x.ts', "import { readJob } from 'veritrain/chain';"), []);
    assert.equal(checkFile('contracts/x.ts', "import { readJob } from 'veritrain/chain';").length, 1);
  });

  it('lets tests drive the devnet (scripts/devnet/) but import nothing else of scripts/', () => {
    assert.deepEqual(checkFile('test/e2e/x.test.ts', "import { startDevnet } from '../../scripts/devnet/devnet.ts';"), []);
    const [found] = checkFile('test/e2e/x.test.ts', "import { deploy } from '../../scripts/deploy-lib.ts';");
    assert.match(found?.message ?? '', /test\/ may import sdk\/, node\/, verifier\/, explorer\/, scripts\/devnet\/, not scripts\//);
    assert.equal(checkFile('test/e2e/x.test.ts', "import { x } from '../../scripts/devnetwork/x.ts';").length, 1);
  });
});

describe('programs started by their path', () => {
  it("counts a string literal naming another component's file, repository-relative or relative to the file", () => {
    const [found, ...rest] = checkFile('sdk/devnet/devnet.ts', "const PROGRAMS = {\n  solver: 'node/cli.ts',\n};");
    assert.equal(rest.length, 0);
    assert.ok(found);
    assert.equal(found.line, 2);
    assert.equal(found.specifier, 'node/cli.ts');
    assert.match(found.message, /sdk\/ may depend on nothing outside itself, not node\/ \(a program started by its path is a dependency\)/);
    assert.equal(checkFile('node/x.ts', 'spawn(process.execPath, ["../verifier/cli.ts"]);').length, 1);
    assert.equal(checkFile('node/a/x.ts', "const cli = new URL('../../verifier/cli.ts', import.meta.url);").length, 1);
    assert.equal(checkFile('sdk/x.ts', 'const p = `scripts/devnet/submitter.js`;').length, 1);
  });

  it("counts path.join / path.resolve / join calls whose literal arguments spell another component's file", () => {
    const [found] = checkFile('sdk/devnet/devnet.ts', "const solver = path.join(REPO_ROOT, 'node', 'cli.ts');");
    assert.equal(found?.specifier, 'node/cli.ts');
    assert.equal(checkFile('sdk/x.ts', "const v = path.resolve(import.meta.dirname, '..', 'verifier', 'cli.ts');").length, 1);
    assert.equal(checkFile('node/x.ts', "const v = join(root, 'verifier', 'cli.ts');").length, 1);
    assert.deepEqual(checkFile('sdk/x.ts', "const w = path.join(import.meta.dirname, 'commit', 'hash-worker.ts');"), []);
  });

  it("allows what the table allows and ignores the file's own component", () => {
    assert.deepEqual(
      checkFile('scripts/devnet/devnet.ts', "const p = [path.join(ROOT, 'node', 'cli.ts'), 'verifier/cli.ts', 'scripts/devnet/submitter.ts'];"),
      [],
    );
    assert.deepEqual(checkFile('test/e2e/x.test.ts', "spawn('node', ['node/cli.ts', 'run']);"), []);
    assert.deepEqual(checkFile('node/x.ts', "spawn('node', ['node/cli.ts']);"), []);
  });

  it('ignores comments, prose, regular expressions and strings that are no source path', () => {
    const source = [
      "// spawns 'verifier/cli.ts'",
      '/** runs `node/cli.ts` */',
      "const usage = 'usage: node verifier/cli.ts run';",
      'const re = /[\'"]verifier\\/cli.ts[\'"]/;',
      "const url = 'http://127.0.0.1/node/cli.ts?x';",
      "const data = 'node/config.json';",
    ].join('\n');
    assert.deepEqual(checkFile('sdk/x.ts', source), []);
  });

  it('counts a literal only when it names an existing file, given `exists`', () => {
    const exists = (p: string): boolean => p === 'node/cli.ts';
    assert.deepEqual(checkFile('sdk/x.test.ts', "checkFile('node/daemon.ts', source);", { exists }), []);
    assert.equal(checkFile('sdk/x.ts', "spawn('node', ['node/cli.ts']);", { exists }).length, 1);
    assert.equal(checkFile('sdk/x.ts', "import { a } from '../node/gone.ts';", { exists }).length, 1, 'imports are checked whether or not the file exists');
  });
});
