import { useState } from 'react';
import { App as AntApp, Button, Dropdown, Form, Input, InputNumber, Modal, Space, Tag, Typography } from 'antd';
import { DownOutlined, PlusOutlined } from '@ant-design/icons';
import { ok } from '../api/clients';
import type { Server, Volume } from '../api/models';
import { useDashboard } from '../context';
import { usePagedList } from '../hooks';
import { useNames } from '../names';
import { navigate } from '../route';
import { nameOf, when } from '../format';
import { PagedTable } from '../components/PagedTable';
import { SEARCH_LIMIT, SearchSelect } from '../components/SearchSelect';
import { useLongAction } from '../components/long-action';
import { createSnapshot, followGone, followVolume } from './volume-actions';

const STATUS_COLOR: Record<string, string> = { available: 'green', 'in-use': 'blue', error: 'red', creating: 'processing' };

export function VolumesPage() {
  const { clients } = useDashboard();
  const c = clients;
  const { modal } = AntApp.useApp();
  const run = useLongAction();
  const [filter, setFilter] = useState('');
  const [dialog, setDialog] = useState<{ kind: 'create' | 'attach' | 'snapshot'; volume?: Volume } | null>(null);

  const list = usePagedList<Volume>(async (limit, marker) => {
    const data = ok(await c.volume.GET('/v3/{project_id}/volumes/detail', { params: { path: { project_id: c.projectId }, query: { limit: String(limit), marker, name: filter || undefined } } }));
    return data.volumes ?? [];
  }, [filter]);
  // A legacy os-attach may name a host instead of a server (server_id null).
  const serverNames = useNames(list.rows.flatMap((v) => v.attachments.flatMap((a) => (a.server_id ? [a.server_id] : []))), async (id) => {
    const res = await c.compute.GET('/v2.1/servers/{server_id}', { params: { path: { server_id: id } } });
    return res.response.ok && res.data ? res.data.server.name : null;
  });

  const detach = (v: Volume) => run(`Detach ${nameOf(v)}`, async (report) => {
    const server = v.attachments[0].server_id;
    if (!server) throw new Error(`${nameOf(v)} is attached to a host, not a server: there is nothing to detach it from here`);
    ok(await c.compute.DELETE('/v2.1/servers/{server_id}/os-volume_attachments/{volume_id}', { params: { path: { server_id: server, volume_id: v.id } } }));
    await followVolume(c, v.id, ['available'], report);
    list.reload();
  }, () => `Volume ${nameOf(v)} detached`);

  const remove = (v: Volume) => modal.confirm({
    title: `Delete volume ${nameOf(v)}?`, okText: 'Delete', okButtonProps: { danger: true },
    onOk: () => run(`Delete ${nameOf(v)}`, async (report) => {
      ok(await c.volume.DELETE('/v3/{project_id}/volumes/{volume_id}', { params: { path: { project_id: c.projectId, volume_id: v.id } } }));
      await followGone(() => c.volume.GET('/v3/{project_id}/volumes/{volume_id}', { params: { path: { project_id: c.projectId, volume_id: v.id } } }), report);
      list.reload();
    }, () => `Volume ${nameOf(v)} deleted`),
  });

  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Typography.Title level={3}>Volumes</Typography.Title>
      <Space>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setDialog({ kind: 'create' })}>Create Volume</Button>
        <Input.Search placeholder="Filter by exact name" allowClear onSearch={setFilter} style={{ width: 240 }} />
      </Space>
      <PagedTable<Volume>
        list={list}
        columns={[
          { title: 'Name', render: (_, v) => nameOf(v) },
          { title: 'Size', render: (_, v) => `${v.size} GiB` },
          { title: 'Status', render: (_, v) => <Tag color={STATUS_COLOR[v.status] ?? 'default'}>{v.status}</Tag> },
          { title: 'Attached To', render: (_, v) => v.attachments.map((a) => `${(a.server_id && serverNames[a.server_id]) || a.server_id || a.host_name} on ${a.device}`).join(', ') || '-' },
          { title: 'Bootable', render: (_, v) => (v.bootable === 'true' ? 'Yes' : 'No') },
          { title: 'Created', render: (_, v) => when(v.created_at) },
          {
            title: 'Actions', render: (_, v) => (
              <Space>
                <Button size="small" onClick={() => setDialog({ kind: 'snapshot', volume: v })}>Create Snapshot</Button>
                <Dropdown menu={{
                  items: [
                    { key: 'attach', label: 'Attach', disabled: v.status !== 'available' },
                    { key: 'detach', label: 'Detach', disabled: v.status !== 'in-use' },
                    { key: 'snapshots', label: 'Snapshots' },
                    { key: 'delete', label: 'Delete Volume', danger: true, disabled: v.status === 'in-use' },
                  ],
                  onClick: ({ key }) => {
                    if (key === 'attach') setDialog({ kind: 'attach', volume: v });
                    if (key === 'detach') void detach(v);
                    if (key === 'snapshots') navigate('snapshots', { volume: v.id });
                    if (key === 'delete') remove(v);
                  },
                }}>
                  <Button size="small">More <DownOutlined /></Button>
                </Dropdown>
              </Space>
            ),
          },
        ]}
      />
      {dialog?.kind === 'create' && <CreateVolume onClose={() => { setDialog(null); list.reload(); }} />}
      {dialog?.kind === 'attach' && dialog.volume && <AttachVolume volume={dialog.volume} onClose={() => { setDialog(null); list.reload(); }} />}
      {dialog?.kind === 'snapshot' && dialog.volume && <SnapshotVolume volume={dialog.volume} onClose={() => setDialog(null)} />}
    </Space>
  );
}

function CreateVolume({ onClose }: { onClose: () => void }) {
  const { clients: c } = useDashboard();
  const run = useLongAction();
  const [form] = Form.useForm<{ name: string; size: number }>();
  const submit = (v: { name: string; size: number }) => {
    onClose();
    void run(`Create volume ${v.name}`, async (report) => {
      const created = ok(await c.volume.POST('/v3/{project_id}/volumes', { params: { path: { project_id: c.projectId } }, body: { volume: { name: v.name, size: v.size } } }));
      return followVolume(c, created.volume.id, ['available'], report);
    }, () => `Volume ${v.name} is available`);
  };
  return (
    <Modal open title="Create Volume" okText="Create Volume" onOk={() => form.submit()} onCancel={onClose}>
      <Form form={form} layout="vertical" onFinish={submit} initialValues={{ size: 1 }}>
        <Form.Item label="Volume Name" name="name" rules={[{ required: true }]}><Input /></Form.Item>
        <Form.Item label="Size (GiB)" name="size" rules={[{ required: true }]}><InputNumber min={1} /></Form.Item>
      </Form>
    </Modal>
  );
}

function AttachVolume({ volume, onClose }: { volume: Volume; onClose: () => void }) {
  const { clients: c } = useDashboard();
  const run = useLongAction();
  const [serverId, setServerId] = useState<string>();
  // Nova's name filter is a regular expression: what is typed matches anywhere in the name.
  const searchServers = async (name: string | undefined) => {
    const data = ok(await c.compute.GET('/v2.1/servers/detail', { params: { query: { limit: String(SEARCH_LIMIT), name: name && escapeRegex(name) } } }));
    return data.servers.map((s: Server) => ({ value: s.id, label: `${s.name} (${s.status})` }));
  };
  const submit = () => {
    if (!serverId) return;
    onClose();
    void run(`Attach ${nameOf(volume)}`, async (report) => {
      ok(await c.compute.POST('/v2.1/servers/{server_id}/os-volume_attachments', { params: { path: { server_id: serverId } }, body: { volumeAttachment: { volumeId: volume.id } } }));
      return followVolume(c, volume.id, ['in-use'], report);
    }, (v) => `Volume ${nameOf(volume)} attached on ${v.attachments[0]?.device ?? '?'}`);
  };
  return (
    <Modal open title={`Attach ${nameOf(volume)}`} okText="Attach Volume" okButtonProps={{ disabled: !serverId }} onOk={submit} onCancel={onClose}>
      <SearchSelect ariaLabel="Instance" placeholder="Select an instance" value={serverId} onChange={setServerId} search={searchServers} />
    </Modal>
  );
}

function SnapshotVolume({ volume, onClose }: { volume: Volume; onClose: () => void }) {
  const { clients: c } = useDashboard();
  const run = useLongAction();
  const [form] = Form.useForm<{ name: string }>();
  const submit = ({ name }: { name: string }) => {
    onClose();
    void run(`Create snapshot ${name}`, async (report) => {
      const s = await createSnapshot(c, volume.id, name, report);
      navigate('snapshots', { highlight: s.id });
      return s;
    }, () => `Snapshot ${name} is available`);
  };
  return (
    <Modal open title={`Create Volume Snapshot of ${nameOf(volume)}`} okText="Create Volume Snapshot" onOk={() => form.submit()} onCancel={onClose}>
      <Form form={form} layout="vertical" onFinish={submit}>
        <Form.Item label="Snapshot Name" name="name" rules={[{ required: true }]}><Input /></Form.Item>
      </Form>
    </Modal>
  );
}

/** `text` as a regular expression matching itself. */
const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
