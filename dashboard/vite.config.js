// Vite builds the dashboard into dist/dashboard, served by the groupgate server at /dashboard.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/dashboard/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Everything is served from the same origin; no inlined data URLs so the page's CSP stays strict.
    assetsInlineLimit: 0,
  },
});
