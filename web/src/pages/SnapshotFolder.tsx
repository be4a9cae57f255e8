import { useEffect, useRef, useState } from 'react';
import { App as AntApp, Button, Card, Progress, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { DownloadOutlined, UploadOutlined } from '@ant-design/icons';
import type { components, operations } from '../../../src/generated/snapstack';
import { ApiError, ok, serviceMessage, type Clients } from '../api/clients';
import { useDashboard } from '../context';
import { POLL_MS } from '../hooks';
import { navigate } from '../route';
import { bytes, when } from '../format';
import { useLongAction, type Report } from '../components/long-action';
import { volumeFromSnapshot } from './volume-actions';

type Archive = components['schemas']['Archive'];
type ImportResult = components['schemas']['ImportResult'];
type Uploaded = operations['uploadArchive']['responses'][201]['content']['application/json'];

/** PUT /snapstack/v1/archives/{name}: the file as the raw body; XHR because fetch cannot report upload progress. */
function uploadArchive(c: Clients, file: File, report: Report): Promise<Archive> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', `/snapstack/v1/archives/${encodeURIComponent(file.name)}`);
    xhr.setRequestHeader('X-Auth-Token', c.token);
    xhr.setRequestHeader('Content-Type', 'application/x-tar');
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) report(`Uploading ${file.name}`, (100 * e.loaded) / e.total); };
    xhr.upload.onload = () => report(`Checking ${file.name}`);
    xhr.onerror = () => reject(new Error('The upload could not reach Snapstack'));
    xhr.onload = () => {
      let body: unknown = xhr.responseText;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve((body as Uploaded).archive);
      else reject(new ApiError(xhr.status, serviceMessage(body, xhr.status)));
    };
    xhr.send(file);
  });
}

/** The project's snapshots folder: the archives in it, download, upload, import and restore. */
export function SnapshotFolder({ refresh }: { refresh: number }) {
  const { clients: c } = useDashboard();
  const { modal } = AntApp.useApp();
  const run = useLongAction();
  const [archives, setArchives] = useState<Archive[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout>;
    const load = async () => {
      try {
        const data = ok<{ archives: Archive[] }>(await c.snapstack.GET('/v1/archives', {}));
        if (live) { setArchives(data.archives); setError(null); }
      } catch (err) {
        if (live) setError((err as Error).message);
      }
      if (live) timer = setTimeout(load, POLL_MS);
    };
    void load();
    return () => { live = false; clearTimeout(timer); };
  }, [c, refresh, tick]);
  const reload = () => setTick((t) => t + 1);

  const download = (a: Archive) => run(`Download ${a.name}`, async (report) => {
    report('Downloading...');
    const res = await c.snapstack.GET('/v1/archives/{name}/download', { params: { path: { name: a.name } }, parseAs: 'blob' });
    const blob = ok<Blob>(res);
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = a.name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    return blob.size;
  }, (size) => `${a.name} downloaded (${bytes(size)})`);

  const importIt = (a: Archive, restore: boolean) => run(`${restore ? 'Import and restore' : 'Import'} ${a.name}`, async (report) => {
    report('Checking the archive and recreating its snapshots...');
    const result = ok<{ import: ImportResult }>(await c.snapstack.POST('/v1/archives/import', { body: { file: a.name } })).import;
    const names = (result.snapshots ?? []).map((s) => s.name ?? s.id).join(', ');
    if (!restore) return `Imported ${names}`;
    if (result.kind === 'instance-snapshot' && result.image?.id) {
      navigate('instances', { launch: `instance_snapshot:${result.image.id}` });
      return `Imported ${result.image.name ?? result.image.id}: launch it to restore`;
    }
    const restored: string[] = [];
    for (const s of result.snapshots ?? []) {
      const snap = ok(await c.volume.GET('/v3/{project_id}/snapshots/{snapshot_id}', { params: { path: { project_id: c.projectId, snapshot_id: s.id! } } })).snapshot;
      const v = await volumeFromSnapshot(c, snap, `${s.name ?? 'restored'}-restored`, report);
      restored.push(v.name ?? v.id);
    }
    return `Imported ${names}; restored as volume ${restored.join(', ')}`;
  }, (text) => text);

  const remove = (a: Archive) => modal.confirm({
    title: `Delete ${a.name} from the snapshots folder?`, okText: 'Delete', okButtonProps: { danger: true },
    onOk: () => run(`Delete ${a.name}`, async () => { ok(await c.snapstack.DELETE('/v1/archives/{name}', { params: { path: { name: a.name } } })); reload(); }, () => `${a.name} deleted`),
  });

  const upload = (file: File) => run(`Upload ${file.name}`, async (report) => {
    const a = await uploadArchive(c, file, report);
    reload();
    return a;
  }, (a) => `${a.name} is in the snapshots folder${a.valid ? '' : ` but cannot be imported: ${a.reason}`}`);

  return (
    <Card title="Snapshots folder" data-testid="snapshot-folder" extra={
      <Space>
        <input ref={input} type="file" accept=".tar,application/x-tar" hidden data-testid="upload-input"
          onChange={(e) => { const f = e.target.files?.[0]; if (f) void upload(f); e.target.value = ''; }} />
        <Button icon={<UploadOutlined />} onClick={() => input.current?.click()}>Upload from this computer</Button>
      </Space>
    }>
      {error && <Typography.Text type="danger">{error}</Typography.Text>}
      <Table<Archive>
        rowKey="name" size="small" pagination={{ pageSize: 10 }} dataSource={archives}
        columns={[
          { title: 'File', dataIndex: 'name' },
          { title: 'Holds', render: (_, a) => (a.kind ? `${a.kind}${a.volumes?.length ? `: ${a.volumes.map((v) => v.name ?? v.snapshot_id).join(', ')}` : ''}` : '-') },
          { title: 'Size', render: (_, a) => bytes(a.size) },
          {
            title: 'Status', render: (_, a) => {
              if (a.status === 'writing') {
                const p = a.progress;
                return <Progress size="small" status="active" percent={p?.total ? Math.round((100 * (p.written ?? 0)) / p.total) : 0} />;
              }
              return a.valid ? <Tag color="green">{a.status}</Tag> : <Tooltip title={a.reason}><Tag color="red">invalid</Tag></Tooltip>;
            },
          },
          { title: 'Modified', render: (_, a) => when(a.modified_at) },
          {
            title: 'Actions', render: (_, a) => (
              <Space>
                <Button size="small" icon={<DownloadOutlined />} disabled={a.status === 'writing'} onClick={() => void download(a)}>Download</Button>
                <Button size="small" disabled={!a.valid} onClick={() => void importIt(a, false)}>Import</Button>
                <Button size="small" type="primary" disabled={!a.valid} onClick={() => void importIt(a, true)}>Import and Restore</Button>
                <Button size="small" danger onClick={() => remove(a)}>Delete</Button>
              </Space>
            ),
          },
        ]}
      />
    </Card>
  );
}
