/**
 * The dashboard's only door to the server: every call goes through `api()`, which sends the key,
 * and turns every failure into an ApiError with a sentence a person can read.
 */
import type { components } from '@groupgate/client';

const STORAGE_KEY = 'groupgate.apiKey';

/** A failed API call: `message` is the server's `error.message` (or a plain explanation). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The API key lives in session storage only: closing the tab signs out. */
export const session = {
  get key(): string | null {
    return sessionStorage.getItem(STORAGE_KEY);
  },
  set(key: string) {
    sessionStorage.setItem(STORAGE_KEY, key);
  },
  clear() {
    sessionStorage.removeItem(STORAGE_KEY);
  },
};

let unauthorizedHandler: (message: string) => void = () => {};

/** Called when the server refuses the stored key (401), so the app can return to sign-in. */
export function onUnauthorized(handler: (message: string) => void): void {
  unauthorizedHandler = handler;
}

/** Authorization headers for the stored key (also used by the event stream's fetch). */
export function authHeaders(key = session.key): Record<string, string> {
  return key ? { authorization: `Bearer ${key}` } : {};
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

export interface CallOptions {
  /** Send this key instead of the stored one (sign-in checks a key before storing it). */
  key?: string;
  signal?: AbortSignal;
}

/** Calls the API and answers status, body and headers; throws ApiError on any failure. */
export async function apiCall<T>(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders(options.key ?? session.key) };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: options.signal, cache: 'no-store' });
  } catch (err) {
    if (options.signal?.aborted) throw err;
    throw new ApiError(0, 'network', 'Cannot reach the groupgate server. Check that it is running and reload the page.');
  }
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (!res.ok) {
    const envelope = parsed as { error?: { code?: string; message?: string; details?: unknown }; requestId?: string } | undefined;
    const error = envelope?.error;
    const message = typeof error?.message === 'string' && error.message ? capitalize(error.message) : `The server answered ${res.status} ${res.statusText || ''}`.trim() + '.';
    const apiError = new ApiError(res.status, error?.code ?? `http_${res.status}`, message, error?.details, envelope?.requestId);
    if (res.status === 401 && options.key === undefined) unauthorizedHandler(apiError.message);
    throw apiError;
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/** Calls the API and answers the parsed body; throws ApiError on any failure. */
export async function api<T>(method: string, path: string, body?: unknown, options?: CallOptions): Promise<T> {
  return (await apiCall<T>(method, path, body, options)).body;
}

/** True when the server has no such route at all (a feature this server build does not have yet). */
export function isMissingRoute(err: unknown): boolean {
  return err instanceof ApiError && err.status === 404 && err.code === 'not_found';
}

/** A readable sentence for anything thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message || 'Something went wrong.';
  return 'Something went wrong.';
}

/** Path segment encoding for ids such as `1203...@g.us`. */
export const seg = (value: string) => encodeURIComponent(value);

function capitalize(s: string): string {
  const text = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

// ---- shapes of the native API, from the typed client generated from GET /openapi.json ----

/** An instance; `node` (cluster mode: the node running its session) is spelled out for clients generated before it existed. */
export type Instance = components['schemas']['Instance'] & { node?: string | null };
export type Group = components['schemas']['Group'];
export type GroupSummary = components['schemas']['GroupSummary'];
export type Participant = Group['participants'][number];
export type Role = Participant['role'];
export type GroupSettings = Group['settings'];
export type Outcome = components['schemas']['Outcome'];

export interface Operation {
  id: string;
  kind: string;
  status: string;
  runAt?: string;
  attempts?: number;
  progress?: { done: number; total: number };
  result?: unknown;
  error?: unknown;
  createdAt?: string;
  /** What it does (the group, how many people), with a sentence saying so. */
  summary?: { groupName: string | null; participants: number; description: string };
}

export interface LiveEvent {
  id: string;
  seq: number;
  type: string;
  instanceId: string;
  occurredAt: string;
  data: Record<string, unknown>;
}
