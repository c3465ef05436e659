// Builds dist/ with tsc when it is missing or older than any file under src/ (used by `npm start`).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

const marker = 'dist/cli.js';
if (!existsSync(marker) || statSync(marker).mtimeMs < newest('src')) {
  console.log('groupgate: building (tsc)...');
  // The CLI compiles against the typed client, whose types are generated from the server's schemas.
  execFileSync(process.execPath, ['scripts/generate-client.js', '--if-needed', '--if-possible'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}

// The dashboard (Vite) too: built when missing or older than its sources; skipped without Vite.
execFileSync(process.execPath, ['dashboard/build.js', '--if-needed', '--if-possible'], { stdio: 'inherit' });
