#!/usr/bin/env node
// Fails when src's top-level units import each other in a cycle. A unit is a top-level folder
// (src/core, src/adapters, src/http, src/dialects) or a top-level file (src/app.ts, ...); every
// relative import, re-export, dynamic import and type-only import (`import type`, `typeof
// import('...')`) counts. Run by `npm run lint`; `--graph` prints the unit graph, `--verbose`
// every import behind a cycle's edges.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');

const files = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return files(p);
    return /\.(ts|tsx|mts|cts)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });

/** The top-level unit a path under src belongs to, or undefined outside src. */
const unitOf = (file) => {
  const rel = path.relative(src, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const [first, ...rest] = rel.split(path.sep);
  return rest.length > 0 ? `src/${first}` : `src/${first.replace(/\.(js|mjs|cjs)$/, '.ts')}`;
};

/** Every module specifier a file mentions, value and type alike. */
const specifiers = (file) => {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out = [];
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      out.push(node.moduleReference.expression.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push(node.argument.literal.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      out.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
};

// unit -> unit -> the imports (file -> specifier) behind that edge
const graph = new Map();
for (const file of files(src)) {
  const from = unitOf(file);
  for (const spec of specifiers(file)) {
    if (!spec.startsWith('.')) continue;
    const to = unitOf(path.resolve(path.dirname(file), spec));
    if (!to || to === from) continue;
    if (!graph.has(from)) graph.set(from, new Map());
    const edges = graph.get(from);
    if (!edges.has(to)) edges.set(to, []);
    edges.get(to).push(`${path.relative(root, file)} -> ${spec}`);
  }
}

if (process.argv.includes('--graph')) {
  for (const [from, edges] of [...graph].sort()) console.log(`${from} -> ${[...edges.keys()].sort().join(', ')}`);
}

// Tarjan's strongly connected components: every component with more than one unit is a cycle.
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const cycles = [];
let next = 0;
const strongConnect = (v) => {
  index.set(v, next);
  low.set(v, next++);
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v)?.keys() ?? []) {
    if (!index.has(w)) {
      strongConnect(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
  }
  if (low.get(v) === index.get(v)) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) cycles.push(component.sort());
  }
};
for (const v of graph.keys()) if (!index.has(v)) strongConnect(v);

if (cycles.length === 0) {
  console.log(`check-layers: no import cycles between src's top-level units (${graph.size} units import others)`);
} else {
  for (const component of cycles) {
    console.error(`check-layers: import cycle between ${component.join(', ')}:`);
    for (const from of component) {
      for (const [to, imports] of graph.get(from) ?? []) {
        if (!component.includes(to)) continue;
        // The few-import edges are usually the ones to cut; the many-import ones are the layering.
        console.error(`  ${from} -> ${to} (${imports.length} import${imports.length === 1 ? '' : 's'})`);
        if (imports.length <= 3 || process.argv.includes('--verbose')) for (const line of imports) console.error(`      ${line}`);
      }
    }
  }
  process.exitCode = 1;
}
