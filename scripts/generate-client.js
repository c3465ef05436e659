// Generates the typed client's types (packages/client/src/schema.d.ts) from the server's OpenAPI
// document: runs scripts/generate-client.ts through tsx.
// Usage: node scripts/generate-client.js [--if-possible] [--if-needed]
//   --if-possible  when tsx is not installed (a production-only install), say so and exit 0
//   --if-needed    do nothing when schema.d.ts is newer than every file under src/
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'packages', 'client', 'src', 'schema.d.ts');
const args = new Set(process.argv.slice(2));

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

if (args.has('--if-needed') && existsSync(target) && statSync(target).mtimeMs >= newest(join(root, 'src'))) process.exit(0);

let tsx;
try {
  tsx = pathToFileURL(createRequire(join(root, 'package.json')).resolve('tsx')).href;
} catch {
  const message = 'groupgate: tsx is not installed, so the typed client was not generated (run `npm install` with dev dependencies).';
  if (args.has('--if-possible')) {
    console.warn(message);
    process.exit(0);
  }
  console.error(message);
  process.exit(1);
}
execFileSync(process.execPath, ['--import', tsx, join(root, 'scripts', 'generate-client.ts')], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, GROUPGATE_LOG_LEVEL: 'silent' },
});
