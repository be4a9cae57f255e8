// Errors of the services as the dashboard shows them: the service's own text. Pure (unit-tested).

/** The message a service put in its error body, whatever the service's shape. */
export function serviceMessage(body: unknown, status: number): string {
  const b = body as any;
  if (b && typeof b === 'object') {
    if (b.error?.message) return String(b.error.message);
    if (typeof b.message === 'string') return b.message;
    for (const v of Object.values(b)) if (v && typeof v === 'object' && typeof (v as any).message === 'string') return (v as any).message;
  }
  if (typeof b === 'string' && b.trim()) return b.trim().slice(0, 300);
  return `Request failed with status ${status}`;
}

export class ApiError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

/** The response's data, or an ApiError carrying the service's own text. */
export function ok<T = any>(res: { data?: unknown; error?: unknown; response: Response }): T {
  if (!res.response.ok) throw new ApiError(res.response.status, serviceMessage(res.error, res.response.status));
  return res.data as T;
}
