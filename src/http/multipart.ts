/**
 * Multipart bodies, only where a route reads one: the picture uploads (native and Green API).
 * @fastify/multipart adds an async `onResponse` hook (it removes saved upload files) and nine request
 * decorations. Registered at the root, every request of every route paid for them, a promise and a
 * microtask included (GET group: 1.05x-1.09x side by side without them). Registered in a context of
 * its own around the routes that take multipart, it costs nothing elsewhere, where a multipart body
 * is a 415 like any other type those routes do not read.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';

/** One file of at most 5 MB and 20 fields. */
const LIMITS = { fileSize: 5 * 1024 * 1024, files: 1, fields: 20 };

/** Registers @fastify/multipart in `scope`, the context of the routes that read multipart bodies. */
export async function acceptMultipart(scope: FastifyInstance): Promise<void> {
  await scope.register(multipart, { limits: LIMITS });
}
