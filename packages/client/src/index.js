// The typed client of groupgate's native API: openapi-fetch over the generated `paths` types.
import createClient from 'openapi-fetch';

/** Creates a client for a groupgate server; every request carries the key as a Bearer token. */
export function createGroupgateClient(options) {
  const { baseUrl, key, fetch: customFetch, headers } = options;
  const client = createClient({ baseUrl: baseUrl.replace(/\/+$/, ''), headers, ...(customFetch ? { fetch: customFetch } : {}) });
  if (key) {
    client.use({
      onRequest({ request }) {
        if (!request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${key}`);
        return request;
      },
    });
  }
  return client;
}

/** The error envelope of a failed call (`{error: {code, message, details?}, requestId}`), or undefined. */
export function apiError(body) {
  const error = body && typeof body === 'object' ? body.error : undefined;
  return error && typeof error.code === 'string' && typeof error.message === 'string' ? { ...error, requestId: body.requestId } : undefined;
}
