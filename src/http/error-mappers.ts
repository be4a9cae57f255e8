import { Fault } from './faults';

/** How a service family shapes its error bodies. */
export type ErrorStyle = 'nova' | 'cinder' | 'keystone' | 'glance' | 'snapstack';

const NOVA_FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

const REASONS: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 409: 'Conflict', 413: 'Request Entity Too Large', 415: 'Unsupported Media Type',
  500: 'Internal Server Error', 501: 'Not Implemented', 503: 'Service Unavailable',
};

export interface ErrorReply {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/**
 * The one place a fault becomes a wire error, in the shape of the service's real counterpart.
 * `prefersJson`: the request's Accept header ranks application/json above text/html (Glance only,
 * see below).
 */
export function mapError(style: ErrorStyle, err: unknown, prefersJson = true): ErrorReply {
  const fault = err instanceof Fault ? err : null;
  const status = fault ? fault.status : 500;
  const message = fault ? fault.message : 'An unexpected error prevented the server from fulfilling your request.';
  const headers = fault ? { ...fault.headers } : {};
  const title = REASONS[status] ?? 'Error';
  switch (style) {
    case 'nova':
    case 'cinder': {
      const name = NOVA_FAULT_NAMES[status] ?? 'computeFault';
      return { status, headers, body: { [name]: { code: status, message } } };
    }
    case 'keystone':
      return { status, headers, body: { error: { code: status, title, message } } };
    case 'glance':
      // Glance's errors are webob's: JSON `{message, code: "404 Not Found", title}` to a client
      // that asks for JSON first (openstacksdk's lists, tempest), an HTML page to `Accept: */*`
      // or none (glanceclient, curl). Snapstack answers JSON to both, but to the second kind with
      // the message inside an object, as glanceclient reads it (`obj.get('message')` of every
      // top-level value: the flat shape makes it print "'str' object has no attribute 'get'").
      if (prefersJson) return { status, headers, body: { message, code: `${status} ${title}`, title } };
      return { status, headers, body: { error: { message, code: status, title } } };
    case 'snapstack':
      return { status, headers, body: { error: { code: status, title, message } } };
  }
}
