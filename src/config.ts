import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/**
 * The one configuration schema. Every setting comes from a `GROUPGATE_*` environment variable and
 * has a default that works on a laptop.
 */
export const ConfigSchema = Type.Object({
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'GROUPGATE_PORT' }),
  host: Type.String({ default: '127.0.0.1', description: 'GROUPGATE_HOST' }),
  dataDir: Type.String({ default: './data', description: 'GROUPGATE_DATA_DIR' }),
  databaseUrl: Type.Optional(Type.String({ description: 'GROUPGATE_DATABASE_URL (postgres://...); unset = SQLite in dataDir' })),
  adminKey: Type.Optional(Type.String({ minLength: 16, description: 'GROUPGATE_ADMIN_KEY' })),
  logLevel: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info', description: 'GROUPGATE_LOG_LEVEL' },
  ),
  greenApiPrefix: Type.String({ default: '', description: 'GROUPGATE_GREEN_API_PREFIX, e.g. /green' }),
  sandboxGroupCreateLimitPerHour: Type.Integer({
    minimum: 0,
    default: 30,
    description: 'GROUPGATE_SANDBOX_GROUP_CREATE_LIMIT_PER_HOUR (0 = no limit)',
  }),
  webhookRetryBaseMs: Type.Integer({ minimum: 1, default: 1000, description: 'GROUPGATE_WEBHOOK_RETRY_BASE_MS' }),
  webhookAllowPrivate: Type.Boolean({ default: false, description: 'GROUPGATE_WEBHOOK_ALLOW_PRIVATE (development only: lets webhooks reach private and loopback addresses)' }),
  metricsToken: Type.Optional(Type.String({ minLength: 16, description: 'GROUPGATE_METRICS_TOKEN' })),
  eventRetentionDays: Type.Number({ minimum: 0, default: 7, description: 'GROUPGATE_EVENT_RETENTION_DAYS' }),
  deliveryRetentionDays: Type.Number({ minimum: 0, default: 7, description: 'GROUPGATE_DELIVERY_RETENTION_DAYS' }),
  idempotencyRetentionHours: Type.Number({ minimum: 0, default: 24, description: 'GROUPGATE_IDEMPOTENCY_RETENTION_HOURS' }),
  authFailureLimitPerMinute: Type.Integer({ minimum: 1, default: 30, description: 'GROUPGATE_AUTH_FAILURE_LIMIT_PER_MINUTE' }),
  bodyLimitBytes: Type.Integer({ minimum: 1024, default: 5 * 1024 * 1024, description: 'GROUPGATE_BODY_LIMIT_BYTES' }),
  pacingHoldSeconds: Type.Integer({
    minimum: 0,
    maximum: 3600,
    default: 120,
    description: 'GROUPGATE_PACING_HOLD_SECONDS: how long a paced provider-dialect request waits for its turn before it is refused',
  }),
  trustProxy: Type.Optional(
    Type.String({ description: 'GROUPGATE_TRUST_PROXY: the proxies whose X-Forwarded-For is believed (true, or the addresses/CIDRs of the proxies, comma-separated)' }),
  ),
  headersTimeoutMs: Type.Integer({ minimum: 1000, default: 15_000, description: 'GROUPGATE_HEADERS_TIMEOUT_MS' }),
  requestTimeoutMs: Type.Integer({ minimum: 1000, default: 60_000, description: 'GROUPGATE_REQUEST_TIMEOUT_MS' }),
  keepAliveTimeoutMs: Type.Integer({ minimum: 1000, default: 10_000, description: 'GROUPGATE_KEEP_ALIVE_TIMEOUT_MS' }),
  maxConnections: Type.Integer({ minimum: 1, default: 1024, description: 'GROUPGATE_MAX_CONNECTIONS' }),
  masterKey: Type.Optional(Type.String({ minLength: 32, description: 'GROUPGATE_MASTER_KEY (unset: a key generated into <dataDir>/master.key)' })),
  masterKeyPrevious: Type.Optional(Type.String({ description: 'GROUPGATE_MASTER_KEY_PREVIOUS: keys being rotated out, comma-separated' })),
  databaseSchema: Type.Optional(
    Type.String({ pattern: '^[a-z_][a-z0-9_]{0,62}$', description: 'GROUPGATE_DATABASE_SCHEMA: the PostgreSQL schema to use (created if missing); unset = public' }),
  ),
  redisUrl: Type.Optional(Type.String({ description: 'GROUPGATE_REDIS_URL (redis://...): with a PostgreSQL GROUPGATE_DATABASE_URL, turns cluster mode on' })),
  redisPrefix: Type.String({ default: 'groupgate:', description: 'GROUPGATE_REDIS_PREFIX: the prefix of every Redis key and channel of this cluster' }),
  nodeUrl: Type.Optional(Type.String({ description: 'GROUPGATE_NODE_URL: the URL the other nodes reach this node at (default http://127.0.0.1:<listening port>)' })),
  nodeId: Type.Optional(
    Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', description: "GROUPGATE_NODE_ID: this node's name in the cluster (default node-<random>, new on every start)" }),
  ),
});

export type Config = Static<typeof ConfigSchema>;

const ENV_NAMES: Record<keyof Config, string> = {
  port: 'GROUPGATE_PORT',
  host: 'GROUPGATE_HOST',
  dataDir: 'GROUPGATE_DATA_DIR',
  databaseUrl: 'GROUPGATE_DATABASE_URL',
  adminKey: 'GROUPGATE_ADMIN_KEY',
  logLevel: 'GROUPGATE_LOG_LEVEL',
  greenApiPrefix: 'GROUPGATE_GREEN_API_PREFIX',
  sandboxGroupCreateLimitPerHour: 'GROUPGATE_SANDBOX_GROUP_CREATE_LIMIT_PER_HOUR',
  webhookRetryBaseMs: 'GROUPGATE_WEBHOOK_RETRY_BASE_MS',
  webhookAllowPrivate: 'GROUPGATE_WEBHOOK_ALLOW_PRIVATE',
  metricsToken: 'GROUPGATE_METRICS_TOKEN',
  eventRetentionDays: 'GROUPGATE_EVENT_RETENTION_DAYS',
  deliveryRetentionDays: 'GROUPGATE_DELIVERY_RETENTION_DAYS',
  idempotencyRetentionHours: 'GROUPGATE_IDEMPOTENCY_RETENTION_HOURS',
  authFailureLimitPerMinute: 'GROUPGATE_AUTH_FAILURE_LIMIT_PER_MINUTE',
  bodyLimitBytes: 'GROUPGATE_BODY_LIMIT_BYTES',
  pacingHoldSeconds: 'GROUPGATE_PACING_HOLD_SECONDS',
  trustProxy: 'GROUPGATE_TRUST_PROXY',
  headersTimeoutMs: 'GROUPGATE_HEADERS_TIMEOUT_MS',
  requestTimeoutMs: 'GROUPGATE_REQUEST_TIMEOUT_MS',
  keepAliveTimeoutMs: 'GROUPGATE_KEEP_ALIVE_TIMEOUT_MS',
  maxConnections: 'GROUPGATE_MAX_CONNECTIONS',
  masterKey: 'GROUPGATE_MASTER_KEY',
  masterKeyPrevious: 'GROUPGATE_MASTER_KEY_PREVIOUS',
  databaseSchema: 'GROUPGATE_DATABASE_SCHEMA',
  redisUrl: 'GROUPGATE_REDIS_URL',
  redisPrefix: 'GROUPGATE_REDIS_PREFIX',
  nodeUrl: 'GROUPGATE_NODE_URL',
  nodeId: 'GROUPGATE_NODE_ID',
};

export class ConfigError extends Error {}

/** Reads and validates the configuration from the environment (and explicit overrides, for tests). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const raw: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(ENV_NAMES)) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const converted = Value.Convert(ConfigSchema, raw) as Record<string, unknown>;
  const withDefaults = Value.Default(ConfigSchema, { ...converted, ...overrides }) as Config;
  const errors = [...Value.Errors(ConfigSchema, withDefaults)];
  if (errors.length > 0) {
    const lines = errors.map((e) => {
      const key = e.path.replace(/^\//, '') as keyof Config;
      return `${ENV_NAMES[key] ?? key}: ${e.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  if (withDefaults.redisUrl && !withDefaults.databaseUrl) {
    throw new ConfigError(
      'invalid configuration:\n  GROUPGATE_REDIS_URL: cluster mode needs a shared PostgreSQL database; set GROUPGATE_DATABASE_URL=postgres://... (SQLite is one node only)',
    );
  }
  return withDefaults;
}

/** Lines for `groupgate --help`: each variable with its default. */
export function describeConfig(): string[] {
  return Object.entries(ENV_NAMES).map(([key, name]) => {
    const schema = (ConfigSchema.properties as Record<string, { default?: unknown; description?: string }>)[key];
    const def = schema?.default !== undefined ? ` (default ${JSON.stringify(schema.default)})` : '';
    return `  ${name}${def}`;
  });
}

/** Whether webhooks may target private and loopback addresses: only when explicitly allowed, whatever the bind address. */
export function webhookAllowPrivate(config: Config): boolean {
  return config.webhookAllowPrivate;
}

/** Fastify's `trustProxy` from GROUPGATE_TRUST_PROXY: `true` (any), or the proxies' addresses/CIDRs; unset trusts no proxy. */
export function trustProxySetting(config: Config): boolean | string[] {
  const raw = config.trustProxy?.trim();
  if (!raw || raw === 'false') return false;
  if (raw === 'true') return true;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Cluster mode: Redis together with PostgreSQL (`loadConfig` refuses Redis without PostgreSQL). */
export function clustered(config: Config): boolean {
  return !!config.redisUrl && !!config.databaseUrl;
}
