import { sql, type Kysely } from 'kysely';

/**
 * A subscription's signing secret can be read once by an admin: `secret_revealed_at` records when
 * the current secret was shown (reveal or rotation). Green API's `webhookUrlToken` stops being kept
 * in the instance settings: the subscription's sealed Authorization value is its only copy, so the
 * plain copies stored before are dropped here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('webhook_subscriptions').addColumn('secret_revealed_at', 'text').execute();
  const rows = await sql<{ id: string; settings: string }>`select id, settings from instances`.execute(db);
  for (const row of rows.rows) {
    let settings: Record<string, unknown>;
    try {
      settings = JSON.parse(row.settings) as Record<string, unknown>;
    } catch {
      continue;
    }
    const green = settings.greenApi as Record<string, unknown> | undefined;
    if (!green || typeof green !== 'object' || !('webhookUrlToken' in green)) continue;
    const { webhookUrlToken: _dropped, ...kept } = green;
    await sql`update instances set settings = ${JSON.stringify({ ...settings, greenApi: kept })} where id = ${row.id}`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('webhook_subscriptions').dropColumn('secret_revealed_at').execute();
}
