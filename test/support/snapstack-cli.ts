import { execFile } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { CliResult, CliUser } from './openstack-cli';

const RUNNER = path.join(__dirname, 'run-cli-ts.js');

/** An empty HOME and working directory, so no clouds.yaml of the machine is read. */
const sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'ss-cli-home-'));

export interface SnapstackRun {
  /** The OS_* user; omit for "no configuration at all". */
  user?: CliUser;
  env?: Record<string, string>;
  cwd?: string;
  input?: string;
}

/**
 * Runs the `snapstack` client as a subprocess, straight from the TypeScript sources (see
 * run-cli-ts.js), with the environment a user would set, like `openstack()` in openstack-cli.ts.
 */
export function snapstackCli(url: string | undefined, args: string[], run: SnapstackRun = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: sandbox,
    LANG: 'C.UTF-8',
    SNAPSTACK_CLI_POLL_INTERVAL: '0.2',
    ...(run.user && url ? {
      OS_AUTH_URL: `${url}/identity/v3`,
      OS_USERNAME: run.user.name,
      OS_PASSWORD: run.user.password,
      OS_PROJECT_NAME: run.user.project,
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_DOMAIN_NAME: 'Default',
    } : {}),
    ...run.env,
  };
  return new Promise((resolve) => {
    execFile(process.execPath, [RUNNER, ...args], { env, cwd: run.cwd ?? sandbox, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
      resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
    });
  });
}

/** `snapstack <args> -f json` as user, parsed; throws with stderr on failure. */
export async function snapstackJson<T = any>(url: string, user: CliUser, args: string[], env: Record<string, string> = {}): Promise<T> {
  const r = await snapstackCli(url, [...args, '-f', 'json'], { user, env });
  if (r.code !== 0) throw new Error(`snapstack ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
