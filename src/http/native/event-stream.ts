import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ServerResponse } from 'node:http';
import { DomainError } from '../../core/common/errors.js';
import type { EventRecord } from '../../core/events/event-model.js';
import { isEventId } from '../../core/webhooks/webhook-rules.js';
import { nativeBody } from '../../core/webhooks/webhook-formats.js';
import { principalOf } from '../auth.js';
import type { ApiServices } from '../deps.js';
import { errorResponses } from './schemas.js';

const HEARTBEAT_MS = 15_000;
/** A reader this far behind is dropped; it reconnects with Last-Event-ID and misses nothing. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
const PAGE = 500;

/**
 * The live event stream: Server-Sent Events of the key's instances, the same events as the log,
 * each with `id:` = the event id. `Last-Event-ID` (or `?after=`) first replays what the log holds
 * after that event, then goes live. Authenticated by header like every route, so a browser reads it
 * with `fetch` streaming rather than `EventSource`.
 */
export const eventStreamRoutes: FastifyPluginAsyncTypebox<Pick<ApiServices, 'access' | 'events'>> = async (app, { access, events }) => {
  const open = new Set<ServerResponse>();
  // Streams never end by themselves: end them before the server waits for its connections.
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });

  app.get(
    '/events/stream',
    {
      schema: {
        tags: ['events'],
        summary: 'Live event stream (Server-Sent Events) of the instances this key may see',
        produces: ['text/event-stream'],
        headers: Type.Object({
          'last-event-id': Type.Optional(
            Type.String({ maxLength: 64, description: 'Resume after this event id (sent by SSE clients on reconnect)', examples: ['01JD2Z5W4V3Q8X9Y7T6R5P4N3M'] }),
          ),
        }),
        querystring: Type.Object({
          after: Type.Optional(Type.String({ maxLength: 64, description: 'Same as Last-Event-ID, for clients that cannot set headers', examples: ['01JD2Z5W4V3Q8X9Y7T6R5P4N3M'] })),
        }),
        response: {
          200: Type.String({
            description: 'text/event-stream: `id: <event id>` and `data: <event JSON>` per event; `:` comment lines as heartbeats',
            examples: ['id: 01JD2Z5W4V3Q8X9Y7T6R5P4N3M\ndata: {"type":"group.created"}\n\n'],
          }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const visible = access.visibleInstances(principal);
      const after = request.headers['last-event-id'] ?? request.query.after;
      if (after !== undefined && after !== '' && !isEventId(after)) throw new DomainError('validation_failed', 'Last-Event-ID must be an event id');
      const allowed = (id: string) => visible === null || visible.includes(id);

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      open.add(res);
      let closed = false;
      let live = false;
      const pending: EventRecord[] = [];
      const sent = new Set<string>();

      const write = (chunk: string) => {
        if (closed) return;
        res.write(chunk);
        if (res.writableLength > MAX_BUFFERED_BYTES) res.end();
      };
      const send = (e: EventRecord) => write(`id: ${e.id}\ndata: ${JSON.stringify(nativeBody(e))}\n\n`);

      const unsubscribe = events.subscribe((e) => {
        if (!allowed(e.instanceId)) return;
        if (live) send(e);
        else pending.push(e);
      });
      const heartbeat = setInterval(() => write(': heartbeat\n\n'), HEARTBEAT_MS);
      heartbeat.unref();
      res.on('close', () => {
        closed = true;
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(res);
      });
      write(': connected\n\n');

      try {
        if (after) {
          // Catch up from the log first; live events that arrive meanwhile wait in `pending`.
          let cursor = after;
          for (;;) {
            const page = await events.listAcross(visible, cursor, PAGE);
            for (const e of page) {
              send(e);
              sent.add(e.id);
            }
            if (page.length < PAGE || closed) break;
            cursor = page.at(-1)!.id;
          }
        }
        for (const e of pending) if (!sent.has(e.id)) send(e);
        pending.length = 0;
        sent.clear();
        live = true;
      } catch (err) {
        request.log.error({ err }, 'event stream catch-up failed');
        res.end();
      }
    },
  );
};
