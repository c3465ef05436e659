import type { Client, ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './schema.js';

export type { components, operations, paths };

/** A client of groupgate's native API: `client.GET('/api/instances/{id}/groups', { params: { path: { id } } })`. */
export type GroupgateClient = Client<paths>;

export interface GroupgateClientOptions {
  /** The server, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** The admin key, an API key or an instance token, sent as `Authorization: Bearer <key>`. */
  key?: string;
  /** A fetch implementation (default: the global fetch). */
  fetch?: ClientOptions['fetch'];
  /** Headers sent with every request. */
  headers?: ClientOptions['headers'];
}

/** Creates a client for a groupgate server; every request carries the key as a Bearer token. */
export function createGroupgateClient(options: GroupgateClientOptions): GroupgateClient;

/** The error of a failed call, as every native error answers it. */
export interface ApiErrorBody {
  code: string;
  message: string;
  details?: unknown;
  requestId?: string;
}

/** The error envelope of a failed call's body, or undefined when the body is not one. */
export function apiError(body: unknown): ApiErrorBody | undefined;

/** Shapes of the native API, by name. */
export type Instance = components['schemas']['Instance'];
export type Group = components['schemas']['Group'];
export type GroupSummary = components['schemas']['GroupSummary'];
export type Outcome = components['schemas']['Outcome'];
