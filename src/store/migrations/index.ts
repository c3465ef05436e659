import type { Migration } from 'kysely';
import * as m001 from './001-foundation.js';

/**
 * Every migration, in order. Numbered files, the same for SQLite and PostgreSQL, applied at start-up.
 * Add a new file and one line here; never edit a migration that has shipped.
 */
export const migrations: Record<string, Migration> = {
  '001-foundation': m001,
};
