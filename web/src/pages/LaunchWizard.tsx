import { useEffect, useMemo, useState } from 'react';
import { Alert, Button, Form, Input, InputNumber, Modal, Progress, Radio, Space, Steps, Switch, Table, Tooltip, Typography } from 'antd';
import { ArrowDownOutlined, ArrowUpOutlined, WarningFilled } from '@ant-design/icons';
import { ok } from '../api/clients';
import { isInstanceSnapshot, type BlockDeviceMapping, type Flavor, type Image, type Server, type Volume, type VolumeSnapshot } from '../api/models';
import { useDashboard } from '../context';
import { follow, keptPage, usePagedList } from '../hooks';
import { PagedTable } from '../components/PagedTable';
import type { Clients } from '../api/clients';
import { bytes, nameOf, when } from '../format';
import { flavorProblem, type LaunchSource, type SourceKind, type SourceRow } from '../launch-rules';

export type { LaunchSource, SourceKind } from '../launch-rules';

const KINDS: { value: SourceKind; label: string }[] = [
  { value: 'image', label: 'Image' },
  { value: 'instance_snapshot', label: 'Instance Snapshot' },
  { value: 'volume', label: 'Volume' },
  { value: 'volume_snapshot', label: 'Volume Snapshot' },
];

export function LaunchWizard({ initial, onClose }: { initial: LaunchSource | null; onClose: () => void }) {
  const { clients } = useDashboard();
  const [step, setStep] = useState(0);
  const [name, setName] = useState('');
  const [kind, setKind] = useState<SourceKind>(initial?.kind ?? 'image');
  const [allocatedRow, setAllocatedRow] = useState<SourceRow | null>(null);
  const [filter, setFilter] = useState('');
  const [newVolume, setNewVolume] = useState(false);
  const [volumeSize, setVolumeSize] = useState(1);
  const [flavorId, setFlavorId] = useState<string | null>(null);
  const [flavors, setFlavors] = useState<Flavor[]>([]);
  const [launch, setLaunch] = useState<{ server?: Server; error?: string; status: string } | null>(null);

  useEffect(() => {
    (async () => {
      const data = ok(await clients.compute.GET('/v2.1/flavors/detail', {}));
      setFlavors((data.flavors ?? []).sort((a, b) => a.ram - b.ram || a.disk - b.disk));
    })().catch(() => undefined);
  }, [clients]);

  // Available sources: one page at a time from the service, filtered by name there.
  const available = usePagedList<SourceRow>((limit, marker) => sourcePage(clients, kind, filter, limit, marker), [clients, kind, filter], 8);
  // The allocated source stays when the page moves on; one given by the caller is read by id.
  useEffect(() => {
    if (!initial || allocatedRow) return;
    sourceById(clients, initial.kind, initial.id).then((r) => setAllocatedRow((cur) => cur ?? r)).catch(() => undefined);
  }, [clients, initial]);

  const source = allocatedRow ?? undefined;
  const allocated = source?.id ?? null;
  useEffect(() => { if (source && kind === 'image') setVolumeSize(source.volumeSize); }, [source, kind]);
  const flavor = flavors.find((f) => f.id === flavorId);
  const flavorOk = flavor && !flavorProblem(flavor, source, kind, newVolume);

  const serverBody = useMemo(() => {
    const base = { name, flavorRef: flavorId ?? '', networks: 'none' as const };
    if (!allocated) return null;
    if (kind === 'instance_snapshot' || (kind === 'image' && !newVolume)) return { ...base, imageRef: allocated };
    const bdm: BlockDeviceMapping = kind === 'image'
      ? { uuid: allocated, source_type: 'image', destination_type: 'volume', boot_index: 0, volume_size: volumeSize, delete_on_termination: false }
      : { uuid: allocated, source_type: kind === 'volume' ? 'volume' : 'snapshot', destination_type: 'volume', boot_index: 0, delete_on_termination: false };
    return { ...base, imageRef: '', block_device_mapping_v2: [bdm] };
  }, [name, flavorId, allocated, kind, newVolume, volumeSize]);

  const submit = async () => {
    if (!serverBody) return;
    setLaunch({ status: 'Requesting...' });
    try {
      const created = ok(await clients.compute.POST('/v2.1/servers', { body: { server: serverBody } }));
      // The wizard never asks for return_reservation_id, so the answer is the server.
      if (!('server' in created)) throw new Error('The compute API answered a reservation id instead of the server.');
      const id = created.server.id as string;
      const server = await follow(async () => ok(await clients.compute.GET('/v2.1/servers/{server_id}', { params: { path: { server_id: id } } })).server,
        (s) => s.status === 'ACTIVE' || s.status === 'ERROR',
        (s) => setLaunch({ server: s, status: `${s.status}${s['OS-EXT-STS:task_state'] ? ` (${s['OS-EXT-STS:task_state']})` : ''}` }));
      setLaunch({ server, status: server.status, error: server.status === 'ERROR' ? server.fault?.message ?? 'The instance went to ERROR' : undefined });
    } catch (err) {
      setLaunch({ status: 'failed', error: (err as Error).message });
    }
  };

  const canNext = [name.trim().length > 0, !!allocated, !!flavorOk][step];
  const srcColumns = [
    { title: 'Name', dataIndex: 'name' },
    { title: 'Size', dataIndex: 'size' },
    { title: 'Min Disk', render: (_: unknown, r: SourceRow) => (kind === 'instance_snapshot' || kind === 'image' ? `${r.minDisk} GiB` : '-') },
    { title: 'Created', dataIndex: 'created' },
  ];

  if (launch) {
    const done = launch.server?.status === 'ACTIVE';
    return (
      <Modal open title="Launch Instance" onCancel={onClose} footer={<Button onClick={onClose} disabled={!done && !launch.error}>Done</Button>}>
        {launch.error && <Alert type="error" showIcon message="Launch failed" description={launch.error} data-testid="launch-error" />}
        {done && <Alert type="success" showIcon message={`Instance ${name} is ACTIVE`} data-testid="launch-done" />}
        {!done && !launch.error && (
          <Space direction="vertical" style={{ width: '100%' }}>
            <Typography.Text>Instance {name}: {launch.status}</Typography.Text>
            <Progress percent={launch.server ? 60 : 20} status="active" showInfo={false} />
          </Space>
        )}
      </Modal>
    );
  }

  return (
    <Modal open width={900} title="Launch Instance" onCancel={onClose} footer={
      <Space>
        <Button onClick={onClose}>Cancel</Button>
        <Button disabled={step === 0} onClick={() => setStep(step - 1)}>Back</Button>
        {step < 2 && <Button type="primary" disabled={!canNext} onClick={() => setStep(step + 1)}>Next</Button>}
        {step === 2 && <Button type="primary" disabled={!canNext} onClick={submit}>Launch Instance</Button>}
      </Space>
    }>
      <Steps current={step} size="small" style={{ marginBottom: 24 }} items={[{ title: 'Details' }, { title: 'Source' }, { title: 'Flavor' }]} />
      {step === 0 && (
        <Form layout="vertical">
          <Form.Item label="Instance Name" required><Input aria-label="Instance Name" value={name} onChange={(e) => setName(e.target.value)} /></Form.Item>
        </Form>
      )}
      {step === 1 && (
        <Space direction="vertical" style={{ width: '100%' }}>
          <Space>
            <Typography.Text strong>Select Boot Source</Typography.Text>
            <Radio.Group optionType="button" value={kind} options={KINDS} onChange={(e) => { setKind(e.target.value); setAllocatedRow(null); setFilter(''); }} />
          </Space>
          {kind === 'image' && (
            <Space>
              <Typography.Text>Create New Volume</Typography.Text>
              <Switch aria-label="Create New Volume" checked={newVolume} onChange={setNewVolume} />
              {newVolume && <><Typography.Text>Volume Size (GiB)</Typography.Text><InputNumber aria-label="Volume Size" min={1} value={volumeSize} onChange={(v) => setVolumeSize(Number(v ?? 1))} /></>}
            </Space>
          )}
          <Typography.Title level={5}>Allocated</Typography.Title>
          <Table<SourceRow> data-testid="source-allocated" rowKey="id" size="small" pagination={false} dataSource={source ? [source] : []} locale={{ emptyText: 'Select an item from Available items below' }}
            columns={[...srcColumns, { title: '', render: () => <Button size="small" aria-label="Remove" icon={<ArrowDownOutlined />} onClick={() => setAllocatedRow(null)} /> }]} />
          <Space>
            <Typography.Title level={5} style={{ margin: 0 }}>Available</Typography.Title>
            <Input.Search key={kind} size="small" placeholder="Filter by exact name" allowClear onSearch={setFilter} style={{ width: 220 }} />
          </Space>
          <div data-testid="source-available">
            <PagedTable<SourceRow> list={available} size="small" dataSource={available.rows.filter((r) => r.id !== allocated)}
              columns={[...srcColumns, { title: '', render: (_, r) => <Button size="small" aria-label={`Allocate ${r.name}`} icon={<ArrowUpOutlined />} onClick={() => setAllocatedRow(r)} /> }]} />
          </div>
        </Space>
      )}
      {step === 2 && (
        <Space direction="vertical" style={{ width: '100%' }}>
          <Typography.Title level={5}>Allocated</Typography.Title>
          <Typography.Text data-testid="flavor-allocated">{flavor ? flavor.name : 'Select a flavor from Available flavors below'}</Typography.Text>
          <Typography.Title level={5}>Available</Typography.Title>
          <Table<Flavor> data-testid="flavor-available" rowKey="id" size="small" pagination={false} dataSource={flavors}
            rowClassName={(f) => (flavorProblem(f, source, kind, newVolume) ? 'flavor-too-small' : '')}
            columns={[
              {
                title: '', width: 40, render: (_, f) => {
                  const problem = flavorProblem(f, source, kind, newVolume);
                  return problem
                    ? <Tooltip title={problem}><WarningFilled style={{ color: '#faad14' }} aria-label="Not allowed" data-testid={`flavor-warning-${f.name}`} /></Tooltip>
                    : <Radio aria-label={`Select ${f.name}`} checked={f.id === flavorId} onChange={() => setFlavorId(f.id)} />;
                },
              },
              { title: 'Name', dataIndex: 'name' },
              { title: 'VCPUs', dataIndex: 'vcpus' },
              { title: 'RAM', render: (_, f) => `${f.ram} MiB` },
              { title: 'Root Disk', render: (_, f) => `${f.disk} GiB` },
              { title: 'Notes', render: (_, f) => <Typography.Text type="warning">{flavorProblem(f, source, kind, newVolume) ?? ''}</Typography.Text> },
            ]} />
        </Space>
      )}
    </Modal>
  );
}

const imageRow = (i: Image): SourceRow => ({ id: i.id, name: nameOf(i), size: bytes(i.size), created: when(i.created_at), minDisk: i.min_disk ?? 0, minRam: i.min_ram ?? 0, volumeSize: Math.max(1, i.min_disk ?? 1) });
const volumeRow = (v: Volume): SourceRow => ({ id: v.id, name: nameOf(v), size: `${v.size} GiB`, created: when(v.created_at), minDisk: v.size, minRam: Number(v.volume_image_metadata?.min_ram ?? 0), volumeSize: v.size });
const snapshotRow = (s: VolumeSnapshot): SourceRow => ({ id: s.id, name: nameOf(s), size: `${s.size} GiB`, created: when(s.created_at), minDisk: s.size, minRam: 0, volumeSize: s.size });

/**
 * One page of boot sources of `kind`, from `marker`: Glance, Cinder volumes or snapshots, only
 * usable ones (active, available), named `name` when given. Images and instance snapshots share
 * Glance's list (no filter tells them apart): the page reads on past the other kind.
 */
async function sourcePage(c: Clients, kind: SourceKind, name: string, limit: number, marker?: string): Promise<SourceRow[]> {
  const named = name || undefined;
  if (kind === 'image' || kind === 'instance_snapshot') {
    const images = await keptPage(async (l, m) => ok(await c.image.GET('/v2/images', { params: { query: { limit: String(l), marker: m, name: named, status: 'active' } } })).images ?? [],
      (i) => i.status === 'active' && isInstanceSnapshot(i) === (kind === 'instance_snapshot'), limit, marker);
    return images.map(imageRow);
  }
  if (kind === 'volume') {
    const data = ok(await c.volume.GET('/v3/{project_id}/volumes/detail', { params: { path: { project_id: c.projectId }, query: { status: 'available', limit: String(limit), marker, name: named } } }));
    return (data.volumes ?? []).map(volumeRow);
  }
  const data = ok(await c.volume.GET('/v3/{project_id}/snapshots/detail', { params: { path: { project_id: c.projectId }, query: { status: 'available', limit: String(limit), marker, name: named } } }));
  return (data.snapshots ?? []).map(snapshotRow);
}

/** The source a caller named (Launch on the Images page), read by id. */
async function sourceById(c: Clients, kind: SourceKind, id: string): Promise<SourceRow> {
  if (kind === 'image' || kind === 'instance_snapshot') return imageRow(ok(await c.image.GET('/v2/images/{image_id}', { params: { path: { image_id: id } } })));
  if (kind === 'volume') return volumeRow(ok(await c.volume.GET('/v3/{project_id}/volumes/{volume_id}', { params: { path: { project_id: c.projectId, volume_id: id } } })).volume);
  return snapshotRow(ok(await c.volume.GET('/v3/{project_id}/snapshots/{snapshot_id}', { params: { path: { project_id: c.projectId, snapshot_id: id } } })).snapshot);
}
