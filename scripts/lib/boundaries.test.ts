import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkFile } from './boundaries.ts';

describe('import boundaries', () => {
  it('lets node/ and verifier/ import sdk/', () => {
    assert.deepEqual(checkFile('node/daemon.ts', "import { stateRoot } from '../sdk/index.ts';"), []);
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
});
