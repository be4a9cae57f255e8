import { execFile } from 'child_process';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliUser {
  name: string;
  password: string;
  project: string;
}

export const CLI_USERS: Record<'admin' | 'demo' | 'alt_demo', CliUser> = {
  admin: { name: 'admin', password: 'admin-secret', project: 'admin' },
  demo: { name: 'demo', password: 'demo-secret', project: 'demo' },
  alt_demo: { name: 'alt_demo', password: 'alt-secret', project: 'alt_demo' },
};

/**
 * Runs the real `openstack` command line (Debian's python3-openstackclient), a client nobody
 * here wrote, against a Snapstack URL, with the environment a user would set.
 */
export function openstack(url: string, user: CliUser, args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  return osClient('openstack', url, user, args, extraEnv);
}

/**
 * Runs any python-*client command line (`openstack`, `cinder`, `nova`, `glance`: Debian's
 * packages) with the OS_* environment a user would set.
 */
export function osClient(command: string, url: string, user: CliUser, args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    OS_AUTH_URL: `${url}/identity/v3`,
    OS_USERNAME: user.name,
    OS_PASSWORD: user.password,
    OS_PROJECT_NAME: user.project,
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_IDENTITY_API_VERSION: '3',
    ...extraEnv,
  };
  return new Promise((resolve) => {
    execFile(command, args, { env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
      resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
    });
  });
}

/** Runs openstack with `-f json` and parses the output; throws with stderr on failure. */
export async function openstackJson<T = any>(url: string, user: CliUser, args: string[], extraEnv: Record<string, string> = {}): Promise<T> {
  const r = await openstack(url, user, [...args, '-f', 'json'], extraEnv);
  if (r.code !== 0) throw new Error(`openstack ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
