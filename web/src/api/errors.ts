// Errors of the services as the dashboard shows them: the service's own text. Pure (unit-tested).

const messageOf = (v: unknown): string | undefined =>
  v && typeof v === 'object' && 'message' in v && typeof v.message === 'string' ? v.message : undefined;

/** The message a service put in its error body, whatever the service's shape. */
export function serviceMessage(body: unknown, status: number): string {
  if (body && typeof body === 'object') {
    // Keystone {error: {message}}, Glance {message}, Nova/Cinder {<fault name>: {message}}.
    const keystone = 'error' in body && body.error && typeof body.error === 'object' && 'message' in body.error ? body.error.message : undefined;
    if (keystone) return String(keystone);
    const glance = messageOf(body);
    if (glance !== undefined) return glance;
    for (const v of Object.values(body)) {
      const wrapped = messageOf(v);
      if (wrapped !== undefined) return wrapped;
    }
  }
  if (typeof body === 'string' && body.trim()) return body.trim().slice(0, 300);
  return `Request failed with status ${status}`;
}

export class ApiError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

/** The response's data (typed by openapi-fetch from the spec), or an ApiError carrying the service's own text. */
export function ok<D>(res: { data?: D; error?: unknown; response: Response }): D {
  if (!res.response.ok) throw new ApiError(res.response.status, serviceMessage(res.error, res.response.status));
  return res.data as D;
}
