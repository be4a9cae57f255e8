import { useCallback, useEffect, useMemo, useState } from 'react';
import { App as AntApp, Button, ConfigProvider, Layout, Menu, Select, Space, Typography } from 'antd';
import { CameraOutlined, CloudServerOutlined, DatabaseOutlined, LogoutOutlined, PictureOutlined } from '@ant-design/icons';
import { createClients } from './api/clients';
import { loadSession, projectsOf, revoke, saveSession, switchProject, type Session } from './api/session';
import type { Project } from './api/models';
import { Dashboard } from './context';
import { navigate, useRoute, type Page } from './route';
import { LoginPage } from './pages/LoginPage';
import { InstancesPage } from './pages/InstancesPage';
import { ImagesPage } from './pages/ImagesPage';
import { VolumesPage } from './pages/VolumesPage';
import { SnapshotsPage } from './pages/SnapshotsPage';
import type { LaunchSource } from './pages/LaunchWizard';

const { Header, Sider, Content } = Layout;

const MENU = [
  { key: 'compute', label: 'Compute', type: 'group' as const, children: [
    { key: 'instances', icon: <CloudServerOutlined />, label: 'Instances' },
    { key: 'images', icon: <PictureOutlined />, label: 'Images' },
  ] },
  { key: 'volume', label: 'Volumes', type: 'group' as const, children: [
    { key: 'volumes', icon: <DatabaseOutlined />, label: 'Volumes' },
    { key: 'snapshots', icon: <CameraOutlined />, label: 'Snapshots' },
  ] },
];

/** True while the user's system asks for less motion (prefers-reduced-motion), followed as it changes. */
function useReducedMotion(): boolean {
  const query = '(prefers-reduced-motion: reduce)';
  const [reduced, setReduced] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const list = window.matchMedia(query);
    const changed = () => setReduced(list.matches);
    list.addEventListener('change', changed);
    return () => list.removeEventListener('change', changed);
  }, []);
  return reduced;
}

export function App() {
  // Reduced motion: antd's open and close animations (dialogs, menus, notifications) are off.
  const reduced = useReducedMotion();
  return (
    <ConfigProvider theme={{ token: { colorPrimary: '#0068ff', motion: !reduced } }}>
      <AntApp notification={{ placement: 'bottomRight' }}>
        <Shell />
      </AntApp>
    </ConfigProvider>
  );
}

function Shell() {
  const [session, setSession] = useState<Session | null>(loadSession);
  const [notice, setNotice] = useState<string | null>(null);
  const { message } = AntApp.useApp();

  const end = useCallback((why: string | null) => {
    saveSession(null);
    setSession(null);
    setNotice(why);
  }, []);
  const expired = useCallback(() => end('Your session has expired. Please log in again.'), [end]);

  // The token's own expiry ends the session even when nothing is being asked.
  useEffect(() => {
    if (!session) return;
    const ms = Date.parse(session.expiresAt) - Date.now();
    const t = setTimeout(expired, Math.max(0, Math.min(ms, 2 ** 31 - 1)));
    return () => clearTimeout(t);
  }, [session, expired]);

  const start = (s: Session) => { saveSession(s); setSession(s); setNotice(null); };
  const clients = useMemo(() => (session ? createClients(session, expired) : null), [session, expired]);

  if (!session || !clients) return <LoginPage notice={notice} onLogin={start} />;
  const logout = async () => { await revoke(session); end(null); message.info('Logged out'); };
  const toProject = async (id: string) => {
    try { start(await switchProject(session, id)); navigate('instances'); } catch (err) { message.error((err as Error).message); }
  };
  return (
    <Dashboard.Provider value={{ session, clients }}>
      <Layout style={{ minHeight: '100vh' }}>
        <Header style={{ display: 'flex', alignItems: 'center', gap: 16, background: '#001529' }}>
          <Typography.Title level={4} style={{ color: '#fff', margin: 0, flex: 1 }}>Snapstack</Typography.Title>
          <ProjectSwitcher session={session} onSwitch={toProject} />
          <Space>
            <Typography.Text style={{ color: '#fff' }} data-testid="current-user">{session.user.name}</Typography.Text>
            <Button icon={<LogoutOutlined />} onClick={logout}>Log out</Button>
          </Space>
        </Header>
        <Layout>
          <Sider width={200} theme="light">
            <Routed />
          </Sider>
          <Content style={{ padding: 24 }}>
            <PageBody key={session.project.id} />
          </Content>
        </Layout>
      </Layout>
    </Dashboard.Provider>
  );
}

function Routed() {
  const route = useRoute();
  return <Menu mode="inline" selectedKeys={[route.page]} items={MENU} onClick={(e) => navigate(e.key as Page)} />;
}

function PageBody() {
  const route = useRoute();
  switch (route.page) {
    case 'images': return <ImagesPage highlight={route.params.get('highlight')} />;
    case 'volumes': return <VolumesPage />;
    case 'snapshots': return <SnapshotsPage highlight={route.params.get('highlight')} />;
    default: return <InstancesPage launchFrom={launchParam(route.params.get('launch'))} />;
  }
}

/** ?launch=<source kind>:<id> opens the Launch Instance wizard with that source allocated. */
function launchParam(v: string | null): LaunchSource | undefined {
  const m = /^(image|instance_snapshot|volume|volume_snapshot):(.+)$/.exec(v ?? '');
  return m ? { kind: m[1] as LaunchSource['kind'], id: m[2] } : undefined;
}

function ProjectSwitcher({ session, onSwitch }: { session: Session; onSwitch: (id: string) => void }) {
  const [projects, setProjects] = useState<Project[]>([session.project]);
  useEffect(() => { projectsOf(session).then((p) => p.length && setProjects(p)).catch(() => undefined); }, [session]);
  return (
    <Space>
      <Typography.Text style={{ color: '#fff' }}>Project</Typography.Text>
      <Select
        aria-label="Project" data-testid="project-switcher" style={{ minWidth: 160 }} value={session.project.id}
        options={projects.map((p) => ({ value: p.id, label: p.name }))} onChange={onSwitch}
      />
    </Space>
  );
}
