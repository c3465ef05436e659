// Runs every test file under test/ with node's test runner (TypeScript through tsx).
// Usage: npm test [-- <file or folder filter>...]
// After the run it checks that the tests left the repository as they found it (`git status`):
// tests write only to temporary directories.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...find(path));
    else if (entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

/** `git status --porcelain` of the working tree, or undefined outside a git checkout. */
function gitStatus() {
  const res = spawnSync('git', ['status', '--porcelain', '--untracked-files=all'], { encoding: 'utf8' });
  return res.status === 0 ? res.stdout : undefined;
}

const filters = process.argv.slice(2);
const files = find('test')
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const before = gitStatus();
const reporters = [
  `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
  '--test-reporter-destination=stdout',
  '--test-reporter=./scripts/test-summary.js',
  '--test-reporter-destination=stdout',
];
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=180000', ...reporters, ...files], {
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'test' },
});
let status = result.status ?? 1;
const after = gitStatus();
if (before !== undefined && after !== before) {
  const was = new Set(before.split('\n'));
  const changed = after
    .split('\n')
    .filter((l) => l && !was.has(l))
    .concat(before.split('\n').filter((l) => l && !after.split('\n').includes(l)));
  console.error(`\n# the tests changed the repository (they must write only to temporary directories):\n${changed.map((l) => `#   ${l}`).join('\n')}`);
  status = status || 1;
} else if (before !== undefined) {
  console.log('# repository unchanged by the tests (git status)');
}
process.exit(status);
