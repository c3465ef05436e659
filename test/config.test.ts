import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clustered, ConfigError, loadConfig } from '../src/config.js';

describe('configuration: cluster mode', () => {
  it('is off by default, and on with Redis and PostgreSQL together', () => {
    assert.equal(clustered(loadConfig({})), false);
    const config = loadConfig({
      GROUPGATE_DATABASE_URL: 'postgres://db/gg',
      GROUPGATE_REDIS_URL: 'redis://cache:6379',
      GROUPGATE_NODE_URL: 'http://node1:3000',
      GROUPGATE_NODE_ID: 'node1',
      GROUPGATE_DATABASE_SCHEMA: 'gg_one',
    });
    assert.equal(clustered(config), true);
    assert.equal(config.redisPrefix, 'groupgate:');
    assert.equal(config.nodeUrl, 'http://node1:3000');
    assert.equal(config.nodeId, 'node1');
    assert.equal(config.databaseSchema, 'gg_one');
  });

  it('refuses Redis with SQLite at start-up, saying why', () => {
    assert.throws(
      () => loadConfig({ GROUPGATE_REDIS_URL: 'redis://cache:6379' }),
      (err: unknown) => err instanceof ConfigError && /GROUPGATE_REDIS_URL/.test(err.message) && /PostgreSQL/.test(err.message),
    );
  });

  it('refuses a schema name that is not a plain identifier', () => {
    assert.throws(() => loadConfig({ GROUPGATE_DATABASE_SCHEMA: 'x; drop table' }), ConfigError);
  });
});
