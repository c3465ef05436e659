// Builds the dashboard with Vite into dist/dashboard, which the server serves at /dashboard.
// Usage: node dashboard/build.js [--if-possible] [--if-missing]
//   --if-possible  when Vite is not installed (a production-only install), say so and exit 0
//   --if-needed    do nothing when dist/dashboard is newer than every source file
// The build goes to a temporary directory that is then renamed into place, so a server (or a
// concurrent build) never sees a half-written dashboard.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const rootDir = join(here, '..');
const target = join(rootDir, 'dist', 'dashboard');
const args = new Set(process.argv.slice(2));

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** True when the built index.html is newer than the sources, the page and the Vite config. */
function upToDate() {
  const index = join(target, 'index.html');
  if (!existsSync(index)) return false;
  const sources = Math.max(newest(join(here, 'src')), newest(join(here, 'index.html')), newest(join(here, 'vite.config.js')));
  return statSync(index).mtimeMs >= sources;
}

if (args.has('--if-needed') && upToDate()) process.exit(0);

let viteBin;
try {
  const require = createRequire(join(rootDir, 'package.json'));
  viteBin = join(dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
} catch {
  const message = 'groupgate: vite is not installed, so the dashboard was not built (run `npm install` with dev dependencies, then `npm run build`).';
  if (args.has('--if-possible')) {
    console.warn(message);
    process.exit(0);
  }
  console.error(message);
  process.exit(1);
}

const temp = join(rootDir, 'dist', `.dashboard-build-${process.pid}`);
mkdirSync(join(rootDir, 'dist'), { recursive: true });
try {
  execFileSync(process.execPath, [viteBin, 'build', '--config', join(here, 'vite.config.js'), '--outDir', temp, '--emptyOutDir'], { cwd: rootDir, stdio: 'inherit' });
  if (args.has('--if-needed') && upToDate()) {
    // Another build finished first: keep its output.
    rmSync(temp, { recursive: true, force: true });
  } else {
    rmSync(target, { recursive: true, force: true });
    try {
      renameSync(temp, target);
    } catch (err) {
      // A concurrent build put its output there between the two calls: that one is as good.
      if (!upToDate()) throw err;
    }
    console.log('groupgate: dashboard built into dist/dashboard');
  }
} finally {
  rmSync(temp, { recursive: true, force: true });
}
