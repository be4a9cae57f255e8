import { useState } from 'react';
import { App as AntApp, Button, Dropdown, Form, Input, Modal, Space, Tag, Typography } from 'antd';
import { DownOutlined, PlusOutlined } from '@ant-design/icons';
import { ok } from '../api/clients';
import type { Server } from '../api/models';
import { useDashboard } from '../context';
import { follow, usePagedList } from '../hooks';
import { useNames } from '../names';
import { navigate } from '../route';
import { when } from '../format';
import { PagedTable } from '../components/PagedTable';
import { useLongAction } from '../components/long-action';
import { LaunchWizard, type LaunchSource } from './LaunchWizard';

const STATUS_COLOR: Record<string, string> = { ACTIVE: 'green', SHUTOFF: 'default', BUILD: 'blue', ERROR: 'red', PAUSED: 'orange' };

export function InstancesPage({ launchFrom }: { launchFrom?: LaunchSource | null }) {
  const { clients } = useDashboard();
  const { compute, image, volume } = clients;
  const { modal } = AntApp.useApp();
  const run = useLongAction();
  const [filter, setFilter] = useState('');
  const [snapshotOf, setSnapshotOf] = useState<Server | null>(null);
  const [launching, setLaunching] = useState<LaunchSource | null | undefined>(launchFrom);

  const list = usePagedList<Server>(async (limit, marker) => {
    const data = ok(await compute.GET('/v2.1/servers/detail', { params: { query: { limit: String(limit), marker, name: filter || undefined } } }));
    return data.servers;
  }, [filter]);

  const imageNames = useNames(list.rows.flatMap((s) => (s.image ? [s.image.id] : [])), async (id) => {
    const res = await image.GET('/v2/images/{image_id}', { params: { path: { image_id: id } } });
    return res.response.ok && res.data ? (res.data.name ?? id) : null;
  });
  const volumeNames = useNames(list.rows.flatMap((s) => (s['os-extended-volumes:volumes_attached'] ?? []).map((v) => v.id)), async (id) => {
    const res = await volume.GET('/v3/{project_id}/volumes/{volume_id}', { params: { path: { project_id: clients.projectId, volume_id: id } } });
    return res.response.ok && res.data ? (res.data.volume.name || id.slice(0, 8)) : null;
  });

  const action = (s: Server, title: string, body: Record<string, unknown>, target: string[]) => run(title, async (report) => {
    ok(await compute.POST('/v2.1/servers/{server_id}/action', { params: { path: { server_id: s.id } }, body: body }));
    list.reload();
    await follow(async () => ok(await compute.GET('/v2.1/servers/{server_id}', { params: { path: { server_id: s.id } } })).server,
      (v) => target.includes(v.status) && !v['OS-EXT-STS:task_state'],
      (v) => report(`${s.name}: ${v.status}${v['OS-EXT-STS:task_state'] ? ` (${v['OS-EXT-STS:task_state']})` : ''}`));
  }, () => `${s.name}: done`);

  const remove = (s: Server) => modal.confirm({
    title: `Delete instance ${s.name}?`, okText: 'Delete', okButtonProps: { danger: true },
    onOk: () => run(`Delete ${s.name}`, async (report) => {
      ok(await compute.DELETE('/v2.1/servers/{server_id}', { params: { path: { server_id: s.id } } }));
      await follow(async () => (await compute.GET('/v2.1/servers/{server_id}', { params: { path: { server_id: s.id } } })).response.status,
        (st) => st === 404, () => report('Deleting...'));
      list.reload();
    }, () => `Instance ${s.name} deleted`),
  });

  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Typography.Title level={3}>Instances</Typography.Title>
      <Space>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setLaunching(null)}>Launch Instance</Button>
        <Input.Search placeholder="Filter by name" allowClear onSearch={setFilter} style={{ width: 240 }} />
      </Space>
      <PagedTable<Server>
        list={list}
        columns={[
          { title: 'Name', dataIndex: 'name' },
          { title: 'Image', render: (_, s) => (s.image ? imageNames[s.image.id] ?? s.image.id : <Typography.Text type="secondary">Booted from volume</Typography.Text>) },
          // From 2.47 (the dashboard's microversion) the embedded flavor; a reference {id} before.
          { title: 'Flavor', render: (_, s) => ('original_name' in s.flavor ? s.flavor.original_name : undefined) ?? ('id' in s.flavor ? s.flavor.id : undefined) },
          {
            title: 'Status', render: (_, s) => (
              <Space size={4}>
                <Tag color={STATUS_COLOR[s.status] ?? 'default'} data-testid="server-status">{s.status}</Tag>
                {s['OS-EXT-STS:task_state'] && <Tag color="processing">{s['OS-EXT-STS:task_state']}</Tag>}
                {s.status === 'ERROR' && s.fault && <Typography.Text type="danger">{s.fault.message}</Typography.Text>}
              </Space>
            ),
          },
          { title: 'Volumes', render: (_, s) => (s['os-extended-volumes:volumes_attached'] ?? []).map((v) => volumeNames[v.id] ?? v.id).join(', ') || '-' },
          { title: 'Created', render: (_, s) => when(s.created) },
          {
            title: 'Actions', render: (_, s) => (
              <Space>
                <Button size="small" onClick={() => setSnapshotOf(s)}>Create Snapshot</Button>
                <Dropdown menu={{
                  items: [
                    { key: 'start', label: 'Start Instance', disabled: s.status !== 'SHUTOFF' },
                    { key: 'stop', label: 'Shut Off Instance', disabled: s.status !== 'ACTIVE' },
                    { key: 'reboot', label: 'Hard Reboot Instance', disabled: !['ACTIVE', 'SHUTOFF'].includes(s.status) },
                    { key: 'delete', label: 'Delete Instance', danger: true },
                  ],
                  onClick: ({ key }) => {
                    if (key === 'start') void action(s, `Start ${s.name}`, { 'os-start': null }, ['ACTIVE']);
                    if (key === 'stop') void action(s, `Shut off ${s.name}`, { 'os-stop': null }, ['SHUTOFF']);
                    if (key === 'reboot') void action(s, `Reboot ${s.name}`, { reboot: { type: 'HARD' } }, ['ACTIVE']);
                    if (key === 'delete') remove(s);
                  },
                }}>
                  <Button size="small">More <DownOutlined /></Button>
                </Dropdown>
              </Space>
            ),
          },
        ]}
      />
      {snapshotOf && <CreateSnapshotDialog server={snapshotOf} onClose={() => setSnapshotOf(null)} />}
      {launching !== undefined && <LaunchWizard initial={launching} onClose={() => { setLaunching(undefined); list.reload(); if (launchFrom) navigate('instances'); }} />}
    </Space>
  );
}

/** Nova's createImage: an instance snapshot (one volume snapshot per volume, a 0-byte image). */
function CreateSnapshotDialog({ server, onClose }: { server: Server; onClose: () => void }) {
  const { clients } = useDashboard();
  const run = useLongAction();
  const [form] = Form.useForm<{ name: string }>();
  const [busy, setBusy] = useState(false);
  const submit = async ({ name }: { name: string }) => {
    setBusy(true);
    const imageId = await run(`Create snapshot ${name}`, async (report) => {
      const res = ok(await clients.compute.POST('/v2.1/servers/{server_id}/action', {
        params: { path: { server_id: server.id } }, body: { createImage: { name } },
      }));
      // From 2.45 (the dashboard asks for 2.79) createImage answers {image_id}.
      const newImage = 'image_id' in res ? res.image_id : undefined;
      if (!newImage) throw new Error('The compute service did not say which image it makes');
      report('Snapshot requested: waiting for the image');
      await follow(async () => ok(await clients.image.GET('/v2/images/{image_id}', { params: { path: { image_id: newImage } } })),
        (img) => img.status === 'active' || img.status === 'killed', (img) => report(`Image ${img.status}`));
      return newImage;
    }, () => `Snapshot ${name} created`);
    setBusy(false);
    if (imageId) {
      onClose();
      navigate('images', { highlight: imageId });
    }
  };
  return (
    <Modal open title={`Create Snapshot of ${server.name}`} okText="Create Snapshot" onOk={() => form.submit()} confirmLoading={busy} onCancel={onClose}>
      <Form form={form} layout="vertical" onFinish={submit}>
        <Form.Item label="Snapshot Name" name="name" rules={[{ required: true, message: 'Enter a name' }]}><Input /></Form.Item>
      </Form>
    </Modal>
  );
}
