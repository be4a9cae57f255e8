/**
 * Where `snapstack` finds its cloud, as the openstack client does: --os-* flags, then OS_*
 * variables, then the cloud named by OS_CLOUD in clouds.yaml (./, ~/.config/openstack/,
 * /etc/openstack/; OS_CLIENT_CONFIG_FILE first), with secure.yaml merged in. With nothing
 * configured at all, the local Snapstack's demo account.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import yaml from 'js-yaml';
import type { OptionSpec } from './args';

export const DEFAULT_AUTH_URL = 'http://127.0.0.1:8700/identity/v3';
export const DEFAULT_COMPUTE_API_VERSION = '2.37';

export interface CliConfig {
  authUrl: string;
  username?: string;
  userId?: string;
  password: string;
  projectName?: string;
  projectId?: string;
  userDomainName?: string;
  userDomainId?: string;
  projectDomainName?: string;
  projectDomainId?: string;
  /** Endpoints are filtered by region when set; RegionOne is preferred otherwise. */
  regionName?: string;
  interface: string;
  computeApiVersion: string;
  /** Where the settings came from, for messages. */
  source: string;
  /** A line to print on stderr (the no-configuration default says so). */
  notice?: string;
}

export class ConfigError extends Error {}

interface Setting {
  key: keyof CliConfig;
  env: string[];
  flag: string;
  cloud: string[];
  help: string;
}

const SETTINGS: Setting[] = [
  { key: 'authUrl', env: ['OS_AUTH_URL'], flag: '--os-auth-url', cloud: ['auth', 'auth_url'], help: 'Authentication URL' },
  { key: 'username', env: ['OS_USERNAME'], flag: '--os-username', cloud: ['auth', 'username'], help: 'User name' },
  { key: 'userId', env: ['OS_USER_ID'], flag: '--os-user-id', cloud: ['auth', 'user_id'], help: 'User ID' },
  { key: 'password', env: ['OS_PASSWORD'], flag: '--os-password', cloud: ['auth', 'password'], help: 'User password' },
  { key: 'projectName', env: ['OS_PROJECT_NAME', 'OS_TENANT_NAME'], flag: '--os-project-name', cloud: ['auth', 'project_name'], help: 'Project name to scope to' },
  { key: 'projectId', env: ['OS_PROJECT_ID', 'OS_TENANT_ID'], flag: '--os-project-id', cloud: ['auth', 'project_id'], help: 'Project ID to scope to' },
  { key: 'userDomainName', env: ['OS_USER_DOMAIN_NAME'], flag: '--os-user-domain-name', cloud: ['auth', 'user_domain_name'], help: 'Domain name of the user (default: Default)' },
  { key: 'userDomainId', env: ['OS_USER_DOMAIN_ID'], flag: '--os-user-domain-id', cloud: ['auth', 'user_domain_id'], help: 'Domain ID of the user' },
  { key: 'projectDomainName', env: ['OS_PROJECT_DOMAIN_NAME'], flag: '--os-project-domain-name', cloud: ['auth', 'project_domain_name'], help: 'Domain name of the project (default: Default)' },
  { key: 'projectDomainId', env: ['OS_PROJECT_DOMAIN_ID'], flag: '--os-project-domain-id', cloud: ['auth', 'project_domain_id'], help: 'Domain ID of the project' },
  { key: 'regionName', env: ['OS_REGION_NAME'], flag: '--os-region-name', cloud: ['region_name'], help: 'Region name (default: RegionOne when present)' },
  { key: 'interface', env: ['OS_INTERFACE'], flag: '--os-interface', cloud: ['interface'], help: 'Endpoint interface: public, internal or admin (default: public)' },
  { key: 'computeApiVersion', env: ['OS_COMPUTE_API_VERSION'], flag: '--os-compute-api-version', cloud: ['compute_api_version'], help: `Compute microversion (default: ${DEFAULT_COMPUTE_API_VERSION})` },
];

/** Options every command accepts, anywhere on the line. */
export const GLOBAL_OPTIONS: OptionSpec[] = [
  { flags: ['--os-cloud'], dest: 'cloud', kind: 'string', metavar: '<cloud>', help: 'Cloud name in clouds.yaml (Env: OS_CLOUD)' },
  ...SETTINGS.map((s): OptionSpec => ({ flags: [s.flag], dest: s.key, kind: 'string', metavar: `<${s.flag.slice(5)}>`, help: `${s.help} (Env: ${s.env[0]})` })),
  { flags: ['--debug'], dest: 'debug', kind: 'flag', help: 'Log every HTTP request and response on stderr' },
];

/** Pulls the global options out of argv, wherever they are. */
export function extractGlobalArgs(argv: string[]): { global: Record<string, string | boolean>; rest: string[] } {
  const global: Record<string, string | boolean> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (tok === '--') { rest.push(...argv.slice(i)); break; }
    const eq = tok.indexOf('=');
    const flag = tok.startsWith('--') && eq > 0 ? tok.slice(0, eq) : tok;
    const spec = GLOBAL_OPTIONS.find((o) => o.flags.includes(flag));
    if (!spec) { rest.push(tok); continue; }
    if (spec.kind === 'flag') global[spec.dest] = true;
    else if (eq > 0 && flag !== tok) global[spec.dest] = tok.slice(eq + 1);
    else {
      if (argv[i + 1] === undefined) throw new ConfigError(`argument ${flag}: expected one argument`);
      global[spec.dest] = argv[++i];
    }
  }
  return { global, rest };
}

export interface ConfigSources {
  env: NodeJS.ProcessEnv;
  cwd: string;
  home: string;
  readFile(p: string): string | undefined;
}

export function defaultSources(): ConfigSources {
  return {
    env: process.env,
    cwd: process.cwd(),
    home: os.homedir(),
    readFile: (p) => { try { return fs.readFileSync(p, 'utf8'); } catch { return undefined; } },
  };
}

/** The files clouds.yaml (or secure.yaml) may be read from, first match wins. */
export function cloudsSearchPath(src: ConfigSources, base: 'clouds' | 'secure'): string[] {
  const configHome = src.env.XDG_CONFIG_HOME || path.join(src.home, '.config');
  const dirs = [src.cwd, path.join(configHome, 'openstack'), '/etc/openstack'];
  const explicit = base === 'clouds' ? src.env.OS_CLIENT_CONFIG_FILE : src.env.OS_CLIENT_SECURE_FILE;
  return [...(explicit ? [explicit] : []), ...dirs.flatMap((d) => [path.join(d, `${base}.yaml`), path.join(d, `${base}.yml`)])];
}

function readYamlFile(src: ConfigSources, files: string[]): { file: string; data: unknown } | undefined {
  for (const file of files) {
    const text = src.readFile(file);
    if (text === undefined) continue;
    try {
      return { file, data: yaml.load(text) ?? {} };
    } catch (err) {
      throw new ConfigError(`Cannot parse ${file}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return undefined;
}

type YamlMap = Record<string, unknown>;
const isMap = (v: unknown): v is YamlMap => typeof v === 'object' && v !== null && !Array.isArray(v);

function deepMerge(a: unknown, b: unknown): unknown {
  if (!isMap(b)) return b ?? a;
  const out: YamlMap = { ...(a && typeof a === 'object' ? a : {}) };
  for (const [k, v] of Object.entries(b)) out[k] = deepMerge(out[k], v);
  return out;
}

/** yaml key lookups: a key of a list or a scalar is absent, as Python's dict.get on the dicts os-client-config walks. */
const child = (v: unknown, k: string): unknown => (v && typeof v === 'object' ? (v as YamlMap)[k] : undefined);

function dig(obj: unknown, keys: string[]): string | undefined {
  let v = obj;
  for (const k of keys) v = child(v, k);
  return v === undefined || v === null || v === '' ? undefined : String(v);
}

function loadCloud(name: string, src: ConfigSources): { file: string; cloud: unknown } {
  const searched = cloudsSearchPath(src, 'clouds');
  const found = readYamlFile(src, searched);
  if (!found) {
    throw new ConfigError(`Cloud '${name}' was asked for (OS_CLOUD or --os-cloud), but no clouds.yaml exists in ./, ~/.config/openstack/ or /etc/openstack/: create one, or set OS_AUTH_URL and the other OS_* variables instead`);
  }
  const clouds = child(found.data, 'clouds') ?? {};
  if (!child(clouds, name)) {
    const known = Object.keys(clouds as object);
    throw new ConfigError(`Cloud '${name}' is not in ${found.file}${known.length ? ` (it has: ${known.join(', ')})` : ' (it has no clouds)'}: set OS_CLOUD to one of them or add '${name}' there`);
  }
  const secure = readYamlFile(src, cloudsSearchPath(src, 'secure'));
  return { file: found.file, cloud: deepMerge(child(clouds, name), child(child(secure?.data, 'clouds'), name)) };
}

/** Resolves the settings; a missing or wrong one is a ConfigError whose message says what to set. */
export function resolveConfig(global: Record<string, string | boolean>, src: ConfigSources = defaultSources()): CliConfig {
  const fromFlagsOrEnv = (s: Setting): string | undefined => {
    const flag = global[s.key];
    if (typeof flag === 'string' && flag !== '') return flag;
    for (const e of s.env) if (src.env[e]) return src.env[e];
    return undefined;
  };
  const cloudName = (typeof global.cloud === 'string' && global.cloud) || src.env.OS_CLOUD || undefined;
  const values: Partial<Record<keyof CliConfig, string>> = {};
  for (const s of SETTINGS) {
    const v = fromFlagsOrEnv(s);
    if (v !== undefined) values[s.key] = v;
  }
  let source = 'the OS_* environment and --os-* options';
  if (cloudName) {
    const { file, cloud } = loadCloud(cloudName, src);
    for (const s of SETTINGS) {
      if (values[s.key] === undefined) {
        const v = dig(cloud, s.cloud) ?? (s.key === 'projectName' ? dig(cloud, ['auth', 'tenant_name']) : undefined);
        if (v !== undefined) values[s.key] = v;
      }
    }
    source = `cloud '${cloudName}' in ${file}`;
  }

  const authKeys: (keyof CliConfig)[] = ['authUrl', 'username', 'userId', 'password', 'projectName', 'projectId'];
  if (!cloudName && authKeys.every((k) => values[k] === undefined)) {
    return {
      authUrl: DEFAULT_AUTH_URL, username: 'demo', password: 'demo', projectName: 'demo',
      userDomainName: 'Default', projectDomainName: 'Default',
      regionName: values.regionName, interface: values.interface ?? 'public',
      computeApiVersion: checkComputeVersion(values.computeApiVersion ?? DEFAULT_COMPUTE_API_VERSION),
      source: 'defaults',
      notice: `snapstack: no OS_AUTH_URL, OS_CLOUD or --os-* settings: using the local Snapstack at ${DEFAULT_AUTH_URL} as user demo (password demo) in project demo`,
    };
  }

  const missing: string[] = [];
  const need = (ok: boolean, s: string) => { if (!ok) missing.push(s); };
  need(values.authUrl !== undefined, 'OS_AUTH_URL');
  need(values.username !== undefined || values.userId !== undefined, 'OS_USERNAME');
  need(values.password !== undefined, 'OS_PASSWORD');
  need(values.projectName !== undefined || values.projectId !== undefined, 'OS_PROJECT_NAME');
  if (missing.length) {
    const flags = missing.map((m) => `--os-${m.slice(3).toLowerCase().replace(/_/g, '-')}`);
    const where = cloudName ? ` (or add them to ${source})` : ' (or use OS_CLOUD with a clouds.yaml)';
    throw new ConfigError(`Missing ${missing.length > 1 ? 'settings' : 'setting'} ${missing.join(', ')}: set ${missing.length > 1 ? 'them' : 'it'} in the environment or with ${flags.join(', ')}${where}`);
  }
  if (!/^https?:\/\/[^/]+/.test(values.authUrl!)) {
    throw new ConfigError(`OS_AUTH_URL '${values.authUrl}' is not an http(s) URL: set it to the identity endpoint, e.g. ${DEFAULT_AUTH_URL}`);
  }
  const iface = (values.interface ?? 'public').replace(/URL$/, '');
  if (!['public', 'internal', 'admin'].includes(iface)) {
    throw new ConfigError(`OS_INTERFACE '${values.interface}' is not one of public, internal, admin`);
  }
  const domainDefault = (name?: string, id?: string) => (name === undefined && id === undefined ? 'Default' : name);
  return {
    authUrl: values.authUrl!,
    username: values.username, userId: values.userId, password: values.password!,
    projectName: values.projectName, projectId: values.projectId,
    userDomainName: domainDefault(values.userDomainName, values.userDomainId), userDomainId: values.userDomainId,
    projectDomainName: domainDefault(values.projectDomainName, values.projectDomainId), projectDomainId: values.projectDomainId,
    regionName: values.regionName, interface: iface,
    computeApiVersion: checkComputeVersion(values.computeApiVersion ?? DEFAULT_COMPUTE_API_VERSION),
    source,
  };
}

function checkComputeVersion(v: string): string {
  const m = /^2(?:\.(\d+|latest))?$/.exec(v.trim());
  if (!m) throw new ConfigError(`OS_COMPUTE_API_VERSION '${v}' is not a compute microversion: use 2.N (e.g. ${DEFAULT_COMPUTE_API_VERSION}) or 2.latest`);
  return m[1] === 'latest' ? 'latest' : `2.${m[1] ?? '1'}`;
}
