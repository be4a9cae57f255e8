/**
 * Snapstack's control commands for tests (no `openstack` equivalent), over /snapstack/v1 as admin:
 * `reset`, `fault create/list/show/delete/clear`.
 */
import type { Session } from '../auth';
import { type CommandSpec, defineCommand } from '../command';
import { type Cell, dictColumn } from '../output';
import { snapstackUrl } from './archive';
import { FAULT_TARGETS } from '../../faults/fault-rules';
import type { FaultRule, ResetReport } from '../wire';

const FAULT_COLUMNS = ['ID', 'Target', 'Action', 'Project', 'Remaining', 'Delay (ms)', 'Status', 'Service', 'Operation', 'Message'];

function faultRow(f: FaultRule): Cell[] {
  return [f.id, f.target, f.action, f.project_id, f.remaining, f.delay_ms, f.status, f.service, f.operation_id, f.message];
}

function faultFields(f: FaultRule): [string, Cell][] {
  return [
    ['id', f.id], ['target', f.target], ['action', f.action], ['project_id', f.project_id], ['count', f.count], ['remaining', f.remaining],
    ['delay_ms', f.delay_ms], ['status', f.status], ['service', f.service], ['operation_id', f.operation_id], ['message', f.message], ['created_at', f.created_at],
  ];
}

export function snapstackCall<T = unknown>(s: Session, method: string, path: string, body?: unknown) {
  return s.request<T>('identity', method, `${snapstackUrl(s)}${path}`, body === undefined ? {} : { body });
}

export const adminCommands: CommandSpec[] = [
  defineCommand({
    name: 'reset',
    summary: 'Return Snapstack to its seeded state (admin): every resource and Docker object it made is removed',
    description:
      'Removes every server, volume, snapshot, image, flavor, project and user the instance made, with their Docker ' +
      'containers, volumes, images and layers, and forgets every fault rule. What the seed made (the admin, demo and ' +
      'alt_demo users and projects, the default flavors and images, workspace snapshots) stays with its ids, so ' +
      'tokens of the seeded users keep working. Needs an admin.',
    output: 'show',
    examples: ['OS_USERNAME=admin OS_PASSWORD=admin OS_PROJECT_NAME=admin snapstack reset'],
    async run(ctx) {
      const s = await ctx.session();
      const res = await snapstackCall<{ reset: ResetReport }>(s, 'POST', '/reset');
      const r = res.body.reset;
      return {
        kind: 'show',
        fields: [
          ['containers', r.docker.containers], ['docker_volumes', r.docker.volumes], ['docker_images', r.docker.images],
          ['rows', dictColumn(r.rows ?? {})], ['duration_ms', r.duration_ms],
        ],
      };
    },
  }),
  defineCommand({
    name: 'fault create',
    summary: 'Script the next N matching operations (admin): fail them, or delay them',
    description:
      'fail: a volume or snapshot goes to error, a server to ERROR with a fault, an instance snapshot\'s image to killed, ' +
      'an export or import fails mid-way (nothing is left), an API call (--target api) answers --status in its service\'s ' +
      'error shape. delay: the operation\'s status transition (or the API answer) takes --delay-ms first. ' +
      'Every project\'s operations match unless --project is given.',
    output: 'show',
    options: [
      { flags: ['--target'], dest: 'target', kind: 'string', required: true, choices: [...FAULT_TARGETS], metavar: '<target>', help: `The operation: ${FAULT_TARGETS.join(', ')}` },
      { flags: ['--fail'], dest: 'action', kind: 'const', value: 'fail', group: 'action', help: 'Make it fail' },
      { flags: ['--delay'], dest: 'action', kind: 'const', value: 'delay', group: 'action', help: 'Make it slow (with --delay-ms)' },
      { flags: ['--delay-ms'], dest: 'delayMs', kind: 'int', metavar: '<ms>', help: 'How long a delayed operation takes first' },
      { flags: ['--count'], dest: 'count', kind: 'int', metavar: '<n>', help: 'How many matching operations (default 1)' },
      { flags: ['--project'], dest: 'project', kind: 'string', metavar: '<project-id>', help: "Only this project's operations" },
      { flags: ['--message'], dest: 'message', kind: 'string', metavar: '<text>', help: 'The error message clients read' },
      { flags: ['--status'], dest: 'status', kind: 'int', metavar: '<code>', help: 'api and archive.import: the status answered (400-599, default 500)' },
      { flags: ['--service'], dest: 'service', kind: 'string', choices: ['identity', 'compute', 'volume', 'image', 'snapstack'], metavar: '<service>', help: 'api: only this service' },
      { flags: ['--operation-id'], dest: 'operationId', kind: 'string', metavar: '<operationId>', help: 'api: only this operation (e.g. createServer)' },
    ],
    requiredGroups: ['action'],
    examples: [
      'snapstack fault create --target snapshot.create --fail                 # the next volume snapshot goes to error',
      'snapstack fault create --target server.build --fail --count 2 --message "No valid host was found."',
      'snapstack fault create --target volume.create --delay --delay-ms 5000  # volumes stay creating for 5 s',
      'snapstack fault create --target api --fail --service compute --operation-id createServer --status 503',
    ],
    async run(ctx, args) {
      const o = args.opts;
      const fault: Record<string, unknown> = { target: o.target, action: o.action };
      if (o.delayMs !== undefined) fault.delay_ms = o.delayMs;
      if (o.count !== undefined) fault.count = o.count;
      if (o.project !== undefined) fault.project_id = o.project;
      if (o.message !== undefined) fault.message = o.message;
      if (o.status !== undefined) fault.status = o.status;
      if (o.service !== undefined) fault.service = o.service;
      if (o.operationId !== undefined) fault.operation_id = o.operationId;
      const res = await snapstackCall<{ fault: FaultRule }>(await ctx.session(), 'POST', '/faults', { fault });
      return { kind: 'show', fields: faultFields(res.body.fault) };
    },
  }),
  defineCommand({
    name: 'fault list',
    summary: 'List the fault injection and pace rules in force (admin)',
    output: 'list',
    examples: ['snapstack fault list', 'snapstack fault list -f json'],
    async run(ctx) {
      const res = await snapstackCall<{ faults: FaultRule[] }>(await ctx.session(), 'GET', '/faults');
      return { kind: 'list', columns: FAULT_COLUMNS, rows: res.body.faults.map(faultRow) };
    },
  }),
  defineCommand({
    name: 'fault show',
    summary: 'Show a fault rule (admin)',
    output: 'show',
    examples: ['snapstack fault show 3f2a9c1e-0d5b-4c6e-9a7f-2b8d1e4c5a60'],
    positionals: [{ name: 'rule', metavar: '<rule-id>', help: 'Rule to show' }],
    async run(ctx, args) {
      const res = await snapstackCall<{ fault: FaultRule }>(await ctx.session(), 'GET', `/faults/${encodeURIComponent(args.pos.rule)}`);
      return { kind: 'show', fields: faultFields(res.body.fault) };
    },
  }),
  defineCommand({
    name: 'fault delete',
    summary: 'Delete fault rules (admin)',
    examples: ['snapstack fault delete 3f2a9c1e-0d5b-4c6e-9a7f-2b8d1e4c5a60'],
    positionals: [{ name: 'rules', metavar: '<rule-id>', nargs: '+', help: 'Rule(s) to delete' }],
    async run(ctx, args) {
      const s = await ctx.session();
      for (const id of args.pos.rules) await snapstackCall(s, 'DELETE', `/faults/${encodeURIComponent(id)}`);
    },
  }),
  defineCommand({
    name: 'fault clear',
    summary: 'Delete every fault rule and end every delay under way (admin)',
    examples: ['snapstack fault clear'],
    async run(ctx) {
      await snapstackCall(await ctx.session(), 'DELETE', '/faults');
    },
  }),
];
