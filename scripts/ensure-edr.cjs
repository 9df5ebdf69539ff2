// npm running on Node < 22 skips Hardhat's native EDR binding (an optional dependency that
// declares engines >= 22), and Hardhat then fails with HHE27. Install the matching binding
// when it is missing. Runs as `postinstall`; a no-op when the binding already loads.
'use strict';
const { execFileSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const path = require('node:path');

function bindingLoads() {
  try {
    require('@nomicfoundation/edr');
    return true;
  } catch {
    return false;
  }
}

function main() {
  let edrPkg;
  try {
    edrPkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'node_modules', '@nomicfoundation', 'edr', 'package.json'), 'utf8'));
  } catch {
    return; // Hardhat not installed (production install): nothing to fix.
  }
  if (bindingLoads()) return;
  const libc = process.platform === 'linux' ? (process.report.getReport().header.glibcVersionRuntime ? '-gnu' : '-musl') : '';
  const binding = `@nomicfoundation/edr-${process.platform}-${process.arch}${libc}@${edrPkg.version}`;
  console.log(`[postinstall] installing Hardhat's native binding ${binding}`);
  execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', binding], {
    cwd: path.join(__dirname, '..'),
    stdio: 'inherit',
  });
}

main();
