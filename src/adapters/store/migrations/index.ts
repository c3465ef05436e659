import type { Migration } from 'kysely';
import * as m001 from './001-foundation.js';
import * as m002 from './002-operations.js';
import * as m003 from './003-webhooks.js';
import * as m004 from './004-baileys-auth.js';
import * as m005 from './005-green-api.js';
import * as m006 from './006-two-chat.js';
import * as m007 from './007-webhooks-throughput.js';
import * as m008 from './008-indexes.js';
import * as m009 from './009-two-chat-webhooks.js';
import * as m010 from './010-hardening.js';
import * as m011 from './011-webhook-secret-reveal.js';
import * as m012 from './012-sandbox-log.js';
import * as m013 from './013-wappfy-webhooks.js';

/**
 * Every migration, in order. Numbered files, the same for SQLite and PostgreSQL, applied at start-up.
 * Add a new file and one line here; never edit a migration that has shipped.
 */
export const migrations: Record<string, Migration> = {
  '001-foundation': m001,
  '002-operations': m002,
  '003-webhooks': m003,
  '004-baileys-auth': m004,
  '005-green-api': m005,
  '006-two-chat': m006,
  '007-webhooks-throughput': m007,
  '008-indexes': m008,
  '009-two-chat-webhooks': m009,
  '010-hardening': m010,
  '011-webhook-secret-reveal': m011,
  '012-sandbox-log': m012,
  '013-wappfy-webhooks': m013,
};
