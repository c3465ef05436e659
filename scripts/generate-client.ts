/**
 * Generates the typed client's types (packages/client/src/schema.d.ts) from the native API's
 * OpenAPI document, as the server builds it: the app is booted on a temporary SQLite database and
 * asked for /openapi.json; only the native paths (`/api/...`) go into the client.
 *
 * Run by `npm install` (prepare), `npm run build`, `npm run typecheck` and `npm run generate:client`
 * (through scripts/generate-client.js).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createContainer } from '../src/container.js';
import { createLogger } from '../src/logger.js';

export const SCHEMA_FILE = fileURLToPath(new URL('../packages/client/src/schema.d.ts', import.meta.url));

const HEADER = `/**
 * The native API's types, generated from the server's OpenAPI document by
 * \`npm run generate:client\` (scripts/generate-client.ts). Do not edit: \`npm test\` fails when this
 * file differs from what the server describes.
 */

`;

/** The native API's OpenAPI document, from a server booted on a throw-away database. */
export async function nativeOpenApi(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'gg-openapi-'));
  const core = await createContainer(loadConfig({}, { dataDir: dir, adminKey: 'generate-client-admin-key' }), createLogger('silent'));
  try {
    const app = await buildApp(core, { docs: false });
    await app.ready();
    const doc = app.swagger() as unknown as { paths: Record<string, unknown> };
    await app.close();
    const paths = Object.fromEntries(Object.entries(doc.paths).filter(([path]) => path.startsWith('/api/')));
    return { ...doc, paths };
  } finally {
    await core.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The schema.d.ts text for the current server. */
export async function generateClientTypes(): Promise<string> {
  const ast = await openapiTS(JSON.parse(JSON.stringify(await nativeOpenApi())), { alphabetize: true });
  return HEADER + astToString(ast);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  mkdirSync(dirname(SCHEMA_FILE), { recursive: true });
  writeFileSync(SCHEMA_FILE, await generateClientTypes());
  console.log('groupgate: typed client generated into packages/client/src/schema.d.ts');
}
