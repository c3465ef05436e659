/**
 * Queries whose SQL is built once. Kysely builds an operation tree and compiles it to SQL on every
 * call, which on the hot paths (a group create runs about a dozen small statements) costs more
 * than SQLite takes to run them. A prepared query is built once per dialect with a placeholder for
 * each argument; later calls only bind their values to the SQL compiled the first time (on SQLite
 * the statement cache in `db.ts` then also skips SQLite's own parsing).
 *
 * Only for queries whose shape does not depend on the values: the build function must use every
 * argument as one plain value (not an `in` list, not a column that is sometimes left out). A query
 * that swallows an argument is refused when first built.
 */
import type { CompiledQuery, Kysely, QueryResult, RootOperationNode } from 'kysely';

/** Stands for argument `index` while the query is built. */
class Slot {
  constructor(readonly index: number) {}
}

interface Template {
  query: CompiledQuery;
  /** Per parameter: the argument it takes, or -1 for a constant of the query. */
  from: number[];
}

/** What a prepared query runs on: the root database or a transaction. */
type Runner<DB> = Kysely<DB>;

/** Anything that compiles: a query builder (`compile()`) or a raw `sql` template (`compile(db)`). */
interface Compiles {
  compile(db?: unknown): CompiledQuery;
}

/**
 * Prepares `build`. The result runs the query on `db` (the root database or a transaction) with
 * `args`, and answers Kysely's raw result (`rows`, `numAffectedRows`).
 */
export function prepared<DB, A extends unknown[], R = unknown>(build: (db: Kysely<DB>, ...args: A) => Compiles): (db: Runner<DB>, ...args: A) => Promise<QueryResult<R>> {
  // One template per dialect: the adapter class tells SQLite from PostgreSQL.
  const templates = new Map<unknown, Template>();
  const compile = (db: Runner<DB>, arity: number): Template => {
    const slots = Array.from({ length: arity }, (_, i) => new Slot(i));
    const query = build(db, ...(slots as unknown as A)).compile(db);
    const from = query.parameters.map((p) => (p instanceof Slot ? p.index : -1));
    for (let i = 0; i < arity; i++) if (!from.includes(i)) throw new Error(`prepared query does not use argument ${i} as a value: ${query.sql}`);
    return { query, from };
  };
  return (db, ...args) => {
    const kind = db.getExecutor().adapter.constructor;
    let template = templates.get(kind);
    if (!template) templates.set(kind, (template = compile(db, args.length)));
    const { query, from } = template;
    const parameters = new Array<unknown>(from.length);
    for (let i = 0; i < from.length; i++) parameters[i] = from[i]! >= 0 ? args[from[i]!] : query.parameters[i];
    const bound: CompiledQuery<R> = { query: query.query as RootOperationNode, queryId: query.queryId, sql: query.sql, parameters };
    return db.executeQuery(bound);
  };
}

/**
 * Prepared queries whose SQL depends on a count (a multi-row insert, an `in` list): one prepared
 * query per count, `build(count)` making the query for that count. Answers the query for a count.
 */
export function preparedPerCount<DB, R = unknown>(
  build: (count: number) => (db: Kysely<DB>, ...args: unknown[]) => Compiles,
): (count: number) => (db: Runner<DB>, ...args: unknown[]) => Promise<QueryResult<R>> {
  const byCount = new Map<number, (db: Runner<DB>, ...args: unknown[]) => Promise<QueryResult<R>>>();
  return (count) => {
    let run = byCount.get(count);
    if (!run) byCount.set(count, (run = prepared<DB, unknown[], R>(build(count))));
    return run;
  };
}

/** Multi-row inserts: `build(rows)` with each row a list of `width` values, prepared per row count. */
export function preparedRows<DB, R = unknown>(
  width: number,
  build: (db: Kysely<DB>, rows: unknown[][]) => Compiles,
): (db: Runner<DB>, rows: unknown[][]) => Promise<QueryResult<R>> {
  const perCount = preparedPerCount<DB, R>(
    (count) =>
      (q, ...flat) =>
        build(
          q,
          Array.from({ length: count }, (_, r) => flat.slice(r * width, r * width + width)),
        ),
  );
  return (db, rows) => perCount(rows.length)(db, ...rows.flat());
}
