/**
 * What a client needs to reach a Snapstack started for tests: the auth URL, the seeded users'
 * credentials, the `openstack` client's OS_* variables and a clouds.yaml naming one cloud per user.
 */
import fs from 'fs';
import path from 'path';
import yaml from 'js-yaml';

export type SeededUser = 'admin' | 'demo' | 'alt_demo';

export interface Credentials {
  username: string;
  password: string;
  projectName: string;
  userDomainName: string;
  projectDomainName: string;
}

/** Passwords of the seeded users; each defaults to the user's name, as Snapstack seeds them. */
export interface SeededPasswords {
  admin?: string;
  demo?: string;
  altDemo?: string;
}

/** The clouds in clouds.yaml, one per seeded user. */
export const CLOUD_NAMES: Record<SeededUser, string> = { demo: 'snapstack', admin: 'snapstack-admin', alt_demo: 'snapstack-alt-demo' };

export interface ClientAccess {
  /** Keystone v3, what OS_AUTH_URL is set to. */
  authUrl: string;
  credentials: Record<SeededUser, Credentials>;
  /** The OS_* variables of the `openstack` client for a seeded user (default demo). */
  env(user?: SeededUser): Record<string, string>;
  /** clouds.yaml text: clouds `snapstack` (demo), `snapstack-admin` and `snapstack-alt-demo`. */
  cloudsYaml(): string;
  /** Writes clouds.yaml to `file` (mode 0600) and returns its path, for OS_CLIENT_CONFIG_FILE. */
  writeCloudsYaml(file: string): string;
}

/** Client access to the Snapstack whose base URL is `url`. */
export function clientAccess(url: string, passwords: SeededPasswords = {}): ClientAccess {
  const authUrl = `${url.replace(/\/+$/, '')}/identity/v3`;
  const pw = { admin: 'admin', demo: 'demo', altDemo: 'alt_demo', ...passwords };
  const user = (name: SeededUser, password: string): Credentials => ({
    username: name, password, projectName: name, userDomainName: 'Default', projectDomainName: 'Default',
  });
  const credentials: Record<SeededUser, Credentials> = {
    admin: user('admin', pw.admin), demo: user('demo', pw.demo), alt_demo: user('alt_demo', pw.altDemo),
  };
  const cloudsYaml = () => yaml.dump({
    clouds: Object.fromEntries((Object.keys(CLOUD_NAMES) as SeededUser[]).map((u) => [CLOUD_NAMES[u], {
      auth: {
        auth_url: authUrl, username: credentials[u].username, password: credentials[u].password,
        project_name: credentials[u].projectName, user_domain_name: 'Default', project_domain_name: 'Default',
      },
      region_name: 'RegionOne', identity_api_version: 3, interface: 'public',
    }])),
  });
  return {
    authUrl,
    credentials,
    env: (u = 'demo') => ({
      OS_AUTH_URL: authUrl, OS_USERNAME: credentials[u].username, OS_PASSWORD: credentials[u].password,
      OS_PROJECT_NAME: credentials[u].projectName, OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default',
      OS_IDENTITY_API_VERSION: '3', OS_REGION_NAME: 'RegionOne',
    }),
    cloudsYaml,
    writeCloudsYaml(file) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, cloudsYaml(), { mode: 0o600 });
      return file;
    },
  };
}
