#!/usr/bin/env node
// Entry point of the `groupgate` command (`npx groupgate ...` in a clone, or after `npm link`):
// runs the compiled CLI, building it first when a fresh clone has not been built yet.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = new URL('../dist/cli.js', import.meta.url);
const builder = fileURLToPath(new URL('../scripts/build-if-needed.js', import.meta.url));
if (!existsSync(compiled) && existsSync(builder)) {
  const built = spawnSync(process.execPath, [builder], { cwd: root, stdio: ['ignore', process.stderr, 'inherit'] });
  if (built.status !== 0) process.exit(built.status ?? 1);
}
const { main } = await import(compiled.href);

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
