import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { OperationView } from '../../core/operations/operation-service.js';
import { OPERATION_KINDS, OPERATION_STATUSES } from '../../core/operations/operation-model.js';
import { requireInstance } from '../auth.js';
import type { ApiServices } from '../deps.js';
import { errorResponses, InstanceIdParam, Nullable } from './schemas.js';

export const OperationSchema = Type.Object(
  {
    id: Type.String({ description: 'Operation id', examples: ['op_01jd3m4x9k2v7w8y0z1a2b3c4d'] }),
    instanceId: Type.String({ description: 'Instance id', examples: ['k3j9x0a2mq'] }),
    kind: Type.Union(
      OPERATION_KINDS.map((k) => Type.Literal(k)),
      { description: 'What it does', examples: ['group.create'] },
    ),
    status: Type.Union(
      OPERATION_STATUSES.map((s) => Type.Literal(s)),
      { description: 'scheduled (waiting for its time), running, succeeded, failed or cancelled', examples: ['scheduled'] },
    ),
    runAt: Type.String({ format: 'date-time', description: 'When it runs (or ran) next', examples: ['2026-11-22T10:05:41.000Z'] }),
    attempts: Type.Integer({ description: 'Steps started so far (batches, retries after a restart or a backoff)', examples: [0] }),
    progress: Type.Object(
      {
        done: Type.Integer({ description: 'Items done', examples: [15] }),
        total: Type.Integer({ description: 'Items in all', examples: [500] }),
        counts: Type.Optional(Type.Record(Type.String(), Type.Integer(), { description: 'Participant outcomes so far, per status', examples: [{ added: 12, invited: 3 }] })),
      },
      { description: 'Progress' },
    ),
    result: Type.Unknown({
      description: 'When succeeded: what the synchronous call would have answered (the group with outcomes; or {groupId, outcomes, summary})',
      examples: [{ groupId: '120363043968066561@g.us', outcomes: [] }],
    }),
    error: Nullable(
      Type.Object(
        {
          code: Type.String({ description: 'Domain error code', examples: ['group_not_found'] }),
          message: Type.String({ description: 'Human-readable explanation', examples: ['group not found, or the instance is not a member'] }),
          details: Type.Optional(Type.Unknown({ description: 'Structured details', examples: [{ whatsappCode: 429 }] })),
          retryAfterSeconds: Type.Optional(Type.Integer({ description: 'Seconds before retrying may succeed', examples: [60] })),
        },
        { description: 'When failed: why' },
      ),
    ),
    createdAt: Type.String({ format: 'date-time', description: 'When it was accepted', examples: ['2026-11-22T10:00:41.000Z'] }),
    updatedAt: Type.String({ format: 'date-time', description: 'Last change', examples: ['2026-11-22T10:00:41.000Z'] }),
    startedAt: Nullable(Type.String({ format: 'date-time', description: 'First step start', examples: ['2026-11-22T10:05:41.000Z'] })),
    finishedAt: Nullable(Type.String({ format: 'date-time', description: 'When it ended', examples: [null] })),
    summary: Type.Object(
      {
        groupId: Type.Optional(Type.String({ description: 'The group it adds people to (participants.add)', examples: ['120363043968066561@g.us'] })),
        groupName: Nullable(
          Type.String({
            description: 'The name of the group it creates, or the stored name of the group it adds people to (null when that group is not known yet)',
            examples: ['Book club'],
          }),
        ),
        participants: Type.Integer({ description: 'How many people it adds (or creates the group with)', examples: [12] }),
        batchSize: Type.Optional(
          Nullable(Type.Integer({ description: 'People per batch under the instance pacing policy (participants.add; null when pacing is off)', examples: [5] })),
        ),
        description: Type.String({ description: 'What it does, in one sentence', examples: ['Add 12 people to "Book club" in batches of 5'] }),
      },
      {
        description: 'What the operation does, from the request it was accepted with',
        examples: [{ groupId: '120363043968066561@g.us', groupName: 'Book club', participants: 12, batchSize: 5, description: 'Add 12 people to "Book club" in batches of 5' }],
      },
    ),
  },
  { description: 'A durable operation: a paced action accepted now and done when pacing allows, even across restarts' },
);

export const AcceptedBody = Type.Object(
  { operation: Type.Composite([OperationSchema], { description: 'The stored operation' }) },
  { description: '202 Accepted: the action was stored as an operation; poll the Location header' },
);

/** Answers 202 with the operation, its Location and a Retry-After (seconds until it runs, at least 1). */
export function sendAccepted(reply: FastifyReply, operation: OperationView, now: number): FastifyReply {
  const seconds = Math.max(1, Math.ceil((Date.parse(operation.runAt) - now) / 1000));
  return reply
    .code(202)
    .header('location', `/api/instances/${encodeURIComponent(operation.instanceId)}/operations/${operation.id}`)
    .header('retry-after', String(seconds))
    .send({ operation });
}

const OperationParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, description: 'Instance id', examples: ['k3j9x0a2mq'] }),
  opId: Type.String({ minLength: 1, maxLength: 64, description: 'Operation id', examples: ['op_01jd3m4x9k2v7w8y0z1a2b3c4d'] }),
});

/** Operations of an instance: list, read, cancel. */
export const operationRoutes: FastifyPluginAsyncTypebox<Pick<ApiServices, 'access' | 'paced'>> = async (app, { access, paced }) => {
  app.get(
    '/instances/:id/operations',
    {
      schema: {
        tags: ['operations'],
        summary: 'List operations, newest first',
        params: InstanceIdParam,
        querystring: Type.Object({
          status: Type.Optional(
            Type.Union(
              OPERATION_STATUSES.map((s) => Type.Literal(s)),
              { description: 'Only this status', examples: ['scheduled'] },
            ),
          ),
          kind: Type.Optional(
            Type.Union(
              OPERATION_KINDS.map((k) => Type.Literal(k)),
              { description: 'Only this kind', examples: ['participants.add'] },
            ),
          ),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'Page size', examples: [50] })),
          offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0, description: 'Items to skip', examples: [0] })),
        }),
        response: {
          200: Type.Object({
            operations: Type.Array(OperationSchema, { description: 'Operations, newest first' }),
            total: Type.Integer({ description: 'Operations matching, all pages', examples: [3] }),
            limit: Type.Integer({ description: 'Page size', examples: [50] }),
            offset: Type.Integer({ description: 'Items skipped', examples: [0] }),
          }),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (request) => {
      requireInstance(access, request, request.params.id);
      return paced.list(request.params.id, request.query);
    },
  );

  app.get(
    '/instances/:id/operations/:opId',
    { schema: { tags: ['operations'], summary: 'Read one operation', params: OperationParams, response: { 200: OperationSchema, ...errorResponses(401, 404) } } },
    async (request) => {
      requireInstance(access, request, request.params.id);
      return paced.get(request.params.id, request.params.opId);
    },
  );

  app.delete(
    '/instances/:id/operations/:opId',
    {
      schema: {
        tags: ['operations'],
        summary: 'Cancel an operation that has not started (409 operation_not_cancellable otherwise)',
        params: OperationParams,
        response: { 200: OperationSchema, ...errorResponses(401, 404, 409) },
      },
    },
    async (request) => {
      requireInstance(access, request, request.params.id);
      return paced.cancel(request.params.id, request.params.opId);
    },
  );
};
