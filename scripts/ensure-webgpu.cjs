// The `webgpu` package (Dawn for Node) ships dawn.node prebuilt for every platform in its tarball;
// its own postinstall (build/postinstall.js) only removes macOS's quarantine attribute from the
// darwin binary, which Gatekeeper would otherwise refuse to load. Installs that skip dependency
// scripts (npm's install-scripts policy) skip that too, so the project's postinstall does it.
// A no-op on other platforms, when the package is absent or the attribute is not set.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

function main() {
  if (process.platform !== 'darwin') return;
  const dawn = path.join(__dirname, '..', 'node_modules', 'webgpu', 'dist', 'darwin-universal', 'dawn.node');
  if (!existsSync(dawn)) return;
  const attribute = 'com.apple.quarantine';
  let attributes = '';
  try {
    attributes = execFileSync('xattr', ['-l', dawn], { encoding: 'utf8' });
  } catch {
    return;
  }
  if (!attributes.includes(attribute)) return;
  console.log(`[postinstall] removing ${attribute} from ${path.relative(process.cwd(), dawn)}`);
  execFileSync('xattr', ['-d', attribute, dawn], { stdio: 'inherit' });
}

main();
