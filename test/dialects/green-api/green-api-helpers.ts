/** Helpers for the Green API dialect tests: call a method with an instance's path credentials. */
import type { LightMyRequestResponse } from 'fastify';
import { createUnpacedInstance, type createSandboxInstance, type TestApp } from '../../support/app.js';

export type GreenInstance = Awaited<ReturnType<typeof createSandboxInstance>>;

/** `79001234567@c.us` for an instance. */
export const cus = (i: { phone: string }) => `${i.phone.replace(/^\+/, '')}@c.us`;

/** Calls `/waInstance{id}/{method}/{token}` (no native key) and returns the response. */
export function green(
  t: TestApp,
  instance: { idInstance: string; token: string },
  method: string,
  options: { verb?: 'GET' | 'POST' | 'DELETE' | 'PUT'; payload?: unknown; suffix?: string; query?: string; headers?: Record<string, string>; prefix?: string } = {},
): Promise<LightMyRequestResponse> {
  const verb = options.verb ?? (options.payload === undefined ? 'GET' : 'POST');
  const url = `${options.prefix ?? ''}/waInstance${instance.idInstance}/${method}/${instance.token}${options.suffix ?? ''}${options.query ? `?${options.query}` : ''}`;
  return t.request({ method: verb, url, payload: options.payload as object | undefined, headers: options.headers, key: null });
}

/** A multipart/form-data body with text fields and at most one file. */
export function multipartBody(fields: Record<string, string>, file?: { field: string; filename: string; type: string; data: Buffer }) {
  const boundary = '----groupgate-test-boundary';
  const chunks: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  if (file) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\nContent-Type: ${file.type}\r\n\r\n`));
    chunks.push(file.data, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** A tiny JPEG (the header is what the dialect checks). */
export const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]);
export const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]);

/** Receives and deletes every queued notification that is already there, returning their bodies. */
export async function drain(t: TestApp, instance: GreenInstance, count: number): Promise<Record<string, unknown>[]> {
  const bodies: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const res = await green(t, instance, 'receiveNotification');
    const item = res.json() as { receiptId: number; body: Record<string, unknown> } | null;
    if (!item) throw new Error(`queue ran dry after ${i} items`);
    bodies.push(item.body);
    await green(t, instance, 'deleteNotification', { verb: 'DELETE', suffix: `/${item.receiptId}` });
  }
  return bodies;
}

/** Green API's notification switches, all on (a new Green API instance has them all off). */
export const ALL_NOTIFICATIONS = { stateWebhook: 'yes', incomingWebhook: 'yes', outgoingWebhook: 'yes', outgoingAPIMessageWebhook: 'yes' } as const;

/** Turns notifications on with setSettings (plus any other settings, e.g. the group-change extension). */
export async function enableNotifications(t: TestApp, instance: { idInstance: string; token: string }, extra: Record<string, string> = {}): Promise<void> {
  const res = await green(t, instance, 'setSettings', { payload: { ...ALL_NOTIFICATIONS, ...extra } });
  if (res.statusCode !== 200) throw new Error(`setSettings: ${res.statusCode} ${res.body}`);
}

/**
 * An unpaced sandbox instance with the queue tests' notifications on: state, incoming, sent by API,
 * and group changes (groupgate's extension); message statuses (outgoingWebhook) stay off.
 */
export async function createNotifiedInstance(t: TestApp): Promise<GreenInstance> {
  const instance = await createUnpacedInstance(t);
  await enableNotifications(t, instance, { outgoingWebhook: 'no', groupgateGroupNotifications: 'yes' });
  return instance;
}
