import { useState } from 'react';
import { App as AntApp, Button, Card, Col, Dropdown, Form, Input, Modal, Radio, Row, Space, Tag, Typography } from 'antd';
import { DownOutlined, PlusOutlined } from '@ant-design/icons';
import { ok } from '../api/clients';
import { volumeSnapshotScope, type Volume, type VolumeSnapshot } from '../api/models';
import { useDashboard } from '../context';
import { keptPage, usePagedList } from '../hooks';
import { useNames } from '../names';
import { nameOf, when } from '../format';
import { PagedTable } from '../components/PagedTable';
import { SEARCH_LIMIT, SearchSelect } from '../components/SearchSelect';
import { useLongAction } from '../components/long-action';
import { createSnapshot, followGone, followVolume, volumeFromSnapshot } from './volume-actions';
import { useExport } from './snapshot-folder';
import { SnapshotFolder } from './SnapshotFolder';

const WORKSPACE_FILTER = JSON.stringify({ snapstack_scope: 'workspace' });

type Dialog = { kind: 'create' } | { kind: 'rename' | 'restore'; snapshot: VolumeSnapshot };

/**
 * The launcher's Snapshots dialog as a page: Workspace Snapshots (loaded from the workspace
 * folder, every project's, read-only) beside the project's own Namespace Snapshots, and the
 * project's snapshots folder of archives below.
 */
export function SnapshotsPage({ highlight }: { highlight: string | null }) {
  const { clients: c, session } = useDashboard();
  const { modal } = AntApp.useApp();
  const run = useLongAction();
  const exportTo = useExport();
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [folderTick, setFolderTick] = useState(0);
  const [filter, setFilter] = useState('');

  const page = (query: Record<string, string | undefined>) => async (limit: number, marker?: string) => {
    const data = ok(await c.volume.GET('/v3/{project_id}/snapshots/detail', { params: { path: { project_id: c.projectId }, query: { limit: String(limit), marker, ...query } } }));
    return data.snapshots ?? [];
  };
  const workspace = usePagedList<VolumeSnapshot>(page({ metadata: WORKSPACE_FILTER }), [], 10);
  // Cinder lists every snapshot the project sees (no owner filter for members): the namespace
  // section keeps the project's own, reading on past the shared ones to fill its page.
  const namespace = usePagedList<VolumeSnapshot>((limit, marker) => keptPage(page({ name: filter || undefined }), (s) => volumeSnapshotScope(s) === 'namespace', limit, marker), [filter], 10);
  const volumeNames = useNames([...workspace.rows, ...namespace.rows].map((s) => s.volume_id), async (id) => {
    const res = await c.volume.GET('/v3/{project_id}/volumes/{volume_id}', { params: { path: { project_id: c.projectId, volume_id: id } } });
    return res.response.ok && res.data ? (res.data.volume.name || id.slice(0, 8)) : '-';
  });

  const remove = (s: VolumeSnapshot) => modal.confirm({
    title: `Delete snapshot ${nameOf(s)}?`, okText: 'Delete', okButtonProps: { danger: true },
    onOk: () => run(`Delete ${nameOf(s)}`, async (report) => {
      ok(await c.volume.DELETE('/v3/{project_id}/snapshots/{snapshot_id}', { params: { path: { project_id: c.projectId, snapshot_id: s.id } } }));
      await followGone(() => c.volume.GET('/v3/{project_id}/snapshots/{snapshot_id}', { params: { path: { project_id: c.projectId, snapshot_id: s.id } } }), report);
      namespace.reload();
    }, () => `Snapshot ${nameOf(s)} deleted`),
  });

  const columns = (scope: 'workspace' | 'namespace') => [
    { title: 'Name', render: (_: unknown, s: VolumeSnapshot) => nameOf(s) },
    { title: 'Size', render: (_: unknown, s: VolumeSnapshot) => `${s.size} GiB` },
    { title: 'Status', render: (_: unknown, s: VolumeSnapshot) => <Tag color={s.status === 'available' ? 'green' : 'processing'}>{s.status}</Tag> },
    { title: 'Volume', render: (_: unknown, s: VolumeSnapshot) => volumeNames[s.volume_id] ?? s.volume_id.slice(0, 8) },
    { title: 'Created', render: (_: unknown, s: VolumeSnapshot) => when(s.created_at) },
    {
      title: 'Actions', render: (_: unknown, s: VolumeSnapshot) => {
        const writable = scope === 'namespace' || session.isAdmin;
        return (
          <Space>
            <Button size="small" disabled={s.status !== 'available'} onClick={() => setDialog({ kind: 'restore', snapshot: s })}>Restore</Button>
            <Dropdown menu={{
              items: [
                { key: 'rename', label: 'Rename', disabled: !writable },
                { key: 'export', label: 'Export to Folder', disabled: s.status !== 'available' || scope === 'workspace' },
                { key: 'delete', label: 'Delete', danger: true, disabled: !writable },
              ],
              onClick: ({ key }) => {
                if (key === 'rename') setDialog({ kind: 'rename', snapshot: s });
                if (key === 'export') void exportTo({ kind: 'snapshot', id: s.id, name: nameOf(s) }, () => setFolderTick((t) => t + 1));
                if (key === 'delete') remove(s);
              },
            }}>
              <Button size="small">More <DownOutlined /></Button>
            </Dropdown>
          </Space>
        );
      },
    },
  ];

  return (
    <Space direction="vertical" style={{ width: '100%' }} size="large">
      <Typography.Title level={3}>Snapshots</Typography.Title>
      <Row gutter={16}>
        <Col span={12}>
          <Card title="Workspace Snapshots" data-testid="workspace-snapshots" extra={<Typography.Text type="secondary">prepared for everyone</Typography.Text>}>
            <PagedTable<VolumeSnapshot> list={workspace} highlight={highlight} columns={columns('workspace')} />
          </Card>
        </Col>
        <Col span={12}>
          <Card title="Namespace Snapshots" data-testid="namespace-snapshots"
            extra={(
              <Space>
                <Input.Search size="small" placeholder="Filter by exact name" allowClear onSearch={setFilter} style={{ width: 200 }} />
                <Button type="primary" size="small" icon={<PlusOutlined />} onClick={() => setDialog({ kind: 'create' })}>Create Snapshot</Button>
              </Space>
            )}>
            <PagedTable<VolumeSnapshot> list={namespace} highlight={highlight} columns={columns('namespace')} />
          </Card>
        </Col>
      </Row>
      <SnapshotFolder refresh={folderTick} />
      {dialog?.kind === 'create' && <CreateSnapshot onClose={() => { setDialog(null); namespace.reload(); }} />}
      {dialog?.kind === 'rename' && <RenameSnapshot snapshot={dialog.snapshot} onClose={() => { setDialog(null); namespace.reload(); workspace.reload(); }} />}
      {dialog?.kind === 'restore' && <RestoreSnapshot snapshot={dialog.snapshot} onClose={() => setDialog(null)} />}
    </Space>
  );
}

function CreateSnapshot({ onClose }: { onClose: () => void }) {
  const { clients: c } = useDashboard();
  const run = useLongAction();
  const [form] = Form.useForm<{ name: string; volume: string }>();
  // Cinder's name filter is exact: the newest volumes, or the one named as typed.
  const searchVolumes = async (name: string | undefined) => {
    const data = ok(await c.volume.GET('/v3/{project_id}/volumes/detail', { params: { path: { project_id: c.projectId }, query: { limit: String(SEARCH_LIMIT), name } } }));
    return (data.volumes ?? []).map((v: Volume) => ({ value: v.id, label: `${nameOf(v)} (${v.size} GiB, ${v.status})` }));
  };
  const submit = (v: { name: string; volume: string }) => {
    onClose();
    void run(`Create snapshot ${v.name}`, (report) => createSnapshot(c, v.volume, v.name, report), () => `Snapshot ${v.name} is available`);
  };
  return (
    <Modal open title="Create Snapshot" okText="Create Snapshot" onOk={() => form.submit()} onCancel={onClose}>
      <Form form={form} layout="vertical" onFinish={submit}>
        <Form.Item label="Snapshot Name" name="name" rules={[{ required: true }]}><Input /></Form.Item>
        <Form.Item label="Volume" name="volume" rules={[{ required: true }]}>
          <SearchSelect ariaLabel="Volume" search={searchVolumes} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function RenameSnapshot({ snapshot, onClose }: { snapshot: VolumeSnapshot; onClose: () => void }) {
  const { clients: c } = useDashboard();
  const run = useLongAction();
  const [form] = Form.useForm<{ name: string }>();
  const submit = async ({ name }: { name: string }) => {
    await run(`Rename ${nameOf(snapshot)}`, async () => {
      ok(await c.volume.PUT('/v3/{project_id}/snapshots/{snapshot_id}', { params: { path: { project_id: c.projectId, snapshot_id: snapshot.id } }, body: { snapshot: { name } } }));
    }, () => `Snapshot renamed to ${name}`);
    onClose();
  };
  return (
    <Modal open title="Rename Snapshot" okText="Save" onOk={() => form.submit()} onCancel={onClose}>
      <Form form={form} layout="vertical" onFinish={submit} initialValues={{ name: snapshot.name ?? '' }}>
        <Form.Item label="New Name" name="name" rules={[{ required: true }]}><Input /></Form.Item>
      </Form>
    </Modal>
  );
}

/** Restore = deploy the snapshot's data: a new volume from it, or the volume reverted to it (Cinder 3.40 revert). */
function RestoreSnapshot({ snapshot, onClose }: { snapshot: VolumeSnapshot; onClose: () => void }) {
  const { clients: c } = useDashboard();
  const run = useLongAction();
  const [mode, setMode] = useState<'new' | 'revert'>('new');
  const [name, setName] = useState(`${nameOf(snapshot)}-restored`);
  const revertable = volumeSnapshotScope(snapshot) === 'namespace';
  const submit = () => {
    onClose();
    if (mode === 'new') {
      void run(`Restore ${nameOf(snapshot)}`, (report) => volumeFromSnapshot(c, snapshot, name, report), (v) => `Volume ${v.name} restored from ${nameOf(snapshot)}`);
    } else {
      void run(`Revert to ${nameOf(snapshot)}`, async (report) => {
        ok(await c.volume.POST('/v3/{project_id}/volumes/{volume_id}/action', {
          params: { path: { project_id: c.projectId, volume_id: snapshot.volume_id } }, body: { revert: { snapshot_id: snapshot.id } },
        }));
        return followVolume(c, snapshot.volume_id, ['available', 'in-use'], report);
      }, (v) => `Volume ${nameOf(v)} reverted to ${nameOf(snapshot)}`);
    }
  };
  return (
    <Modal open title={`Restore ${nameOf(snapshot)}`} okText="Restore" onOk={submit} onCancel={onClose}>
      <Space direction="vertical" style={{ width: '100%' }}>
        <Radio.Group value={mode} onChange={(e) => setMode(e.target.value)}>
          <Space direction="vertical">
            <Radio value="new">Restore as a new volume</Radio>
            <Radio value="revert" disabled={!revertable}>Revert volume {snapshot.volume_id.slice(0, 8)} to this snapshot</Radio>
          </Space>
        </Radio.Group>
        {mode === 'new' && <Form layout="vertical"><Form.Item label="New Volume Name"><Input aria-label="New Volume Name" value={name} onChange={(e) => setName(e.target.value)} /></Form.Item></Form>}
      </Space>
    </Modal>
  );
}
