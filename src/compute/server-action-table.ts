import type { AuthContext, Reply, RequestContext } from '../http/context';
import { BadRequest } from '../http/faults';
import type { Microversion } from '../http/microversion';
import type { Compute } from './compute-module';
import type { PowerAction } from './server-actions';
import type { ServerRow } from './server-store';

/** What one action's handler is given: the server (already visible to the caller) and the action's body value. */
export interface ActionCall {
  ctx: RequestContext;
  auth: AuthContext;
  mv: Microversion | null;
  server: ServerRow;
  /** body[<action name>] */
  args: unknown;
  compute: Compute;
}

export interface ServerActionSpec {
  /** nova/compute/api.py check_instance_lock: a locked server refuses it to non-admins (409). */
  lockChecked: boolean;
  run(call: ActionCall): Promise<Reply>;
}

/** POST /servers/{id}/action handlers keyed by the API's action name (`createImage`, `os-stop`, ...). */
export type ServerActionTable = Record<string, ServerActionSpec>;

export const ACCEPTED: Reply = { status: 202 };

/** An action that is one of ServerActions' jobs (os-stop, pause, resume...): 202 with no body. */
export function powerAction(action: PowerAction): ServerActionSpec {
  return { lockChecked: true, run: async (c) => (await c.compute.actions.request(c.server.id, action), ACCEPTED) };
}

export const atLeast = (mv: Microversion | null, v: string) => mv?.atLeast(v) ?? false;

/** Nova's jsonschema message: "Invalid input for field/attribute <field>. Value: <value>. <detail>". */
export function invalid(field: string, value: unknown, detail: string): BadRequest {
  return new BadRequest(`Invalid input for field/attribute ${field}. Value: ${pyRepr(value)}. ${detail}`);
}

/** Roughly how Python prints a JSON value (None, True, 'text', {'k': 'v'}). */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(quoted).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v as object).map(([k, x]) => `'${k}': ${quoted(x)}`).join(', ')}}`;
  return String(v);
}

function quoted(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : pyRepr(v);
}

/** The action's body value as an object with only `allowed` keys and the `required` ones (Nova's additionalProperties: false). */
export function objectArgs(action: string, value: unknown, allowed: string[], required: string[] = []): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(action, value, `${pyRepr(value)} is not of type 'object'`);
  const o = value as Record<string, unknown>;
  for (const r of required) if (!(r in o)) throw invalid(action, value, `'${r}' is a required property`);
  const extra = Object.keys(o).filter((k) => !allowed.includes(k));
  if (extra.length) throw invalid(action, value, `Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`);
  return o;
}

/** parameter_types.boolean: a JSON boolean or one of its spellings of one. */
export function booleanArg(field: string, value: unknown): boolean {
  const spellings: Array<[boolean, string[]]> = [[true, ['True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes']], [false, ['False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']]];
  if (typeof value === 'boolean') return value;
  for (const [b, words] of spellings) if (typeof value === 'string' && words.includes(value)) return b;
  throw invalid(field, value, `${pyRepr(value)} is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']`);
}

/** parameter_types.name: 1-255 characters, no leading or trailing whitespace. */
export function nameArg(field: string, value: unknown): string {
  if (typeof value !== 'string') throw invalid(field, value, `${pyRepr(value)} is not of type 'string'`);
  if (value.length === 0 || value.length > 255 || value.trim() !== value) throw invalid(field, value, `'${value}' does not match the name pattern`);
  return value;
}

/** parameter_types.metadata: an object of strings (keys 1-255, values up to 255). */
export function metadataArg(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.values(value as object).some((v) => typeof v !== 'string')) {
    throw new BadRequest('Invalid input for field/attribute metadata. Value must be an object of strings.');
  }
  return value as Record<string, string>;
}
