import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DEFAULT_PACING, PACING_LIMITS } from '../../core/pacing/pacing-service.js';
import { requireInstance } from '../auth.js';
import type { ApiServices } from '../deps.js';
import { errorResponses, InstanceIdParam, Nullable } from './schemas.js';

const bounded = (key: keyof typeof PACING_LIMITS, description: string) =>
  Type.Integer({ minimum: PACING_LIMITS[key][0], maximum: PACING_LIMITS[key][1], description: `${description} (default ${DEFAULT_PACING[key]})`, examples: [DEFAULT_PACING[key]] });

const PolicyFields = {
  enabled: Type.Boolean({ description: 'false turns all pacing off: for the sandbox, tests and benchmarks only; never on a real number', examples: [true] }),
  groupCreateIntervalSeconds: bounded('groupCreateIntervalSeconds', 'Minimum seconds between two group creations'),
  groupCreateJitterSeconds: bounded('groupCreateJitterSeconds', 'Random extra seconds added to each interval'),
  groupCreateDailyCap: bounded('groupCreateDailyCap', 'Most groups created in any 24 hours'),
  addBatchSize: bounded('addBatchSize', 'People per add call; a longer list becomes an operation adding them batch by batch'),
  addBatchPauseSeconds: bounded('addBatchPauseSeconds', 'Minimum pause between two add batches'),
  addBatchPauseJitterSeconds: bounded('addBatchPauseJitterSeconds', 'Random extra pause between batches'),
  queueWhenPaced: Type.Boolean({ description: 'Provider dialects queue paced requests instead of answering 429 with Retry-After (default false)', examples: [false] }),
};

const PacingBody = Type.Object({
  ...PolicyFields,
  state: Type.Object(
    {
      backoffUntil: Nullable(Type.String({ format: 'date-time', description: 'While set, WhatsApp answered rate-overlimit and the instance waits', examples: [null] })),
      nextGroupCreateAt: Nullable(
        Type.String({ format: 'date-time', description: 'Earliest time a new group creation would be slotted after', examples: ['2026-11-22T10:05:41.000Z'] }),
      ),
      groupsCreatedLast24h: Type.Integer({ description: 'Groups created in the last 24 hours', examples: [3] }),
      nextAddAt: Nullable(Type.String({ format: 'date-time', description: 'Earliest start of the next add batch', examples: [null] })),
    },
    { description: 'Where the instance stands (read-only)' },
  ),
});

/** Per-instance pacing policy. */
export const pacingRoutes: FastifyPluginAsyncTypebox<Pick<ApiServices, 'access' | 'pacing'>> = async (app, { access, pacing }) => {
  app.get(
    '/instances/:id/pacing',
    { schema: { tags: ['pacing'], summary: 'The pacing policy and state of an instance', params: InstanceIdParam, response: { 200: PacingBody, ...errorResponses(401, 404) } } },
    async (request) => {
      requireInstance(access, request, request.params.id);
      return pacing.view(request.params.id);
    },
  );

  app.patch(
    '/instances/:id/pacing',
    {
      schema: {
        tags: ['pacing'],
        summary: 'Change some pacing fields ({"enabled": false} turns pacing off: sandbox only)',
        params: InstanceIdParam,
        body: Type.Partial(Type.Object(PolicyFields), { additionalProperties: false, minProperties: 1 }),
        response: { 200: PacingBody, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      requireInstance(access, request, request.params.id);
      return pacing.update(request.params.id, request.body);
    },
  );
};
