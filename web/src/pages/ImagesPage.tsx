import { useState } from 'react';
import { App as AntApp, Button, Dropdown, Form, Input, Modal, Space, Tag, Tooltip, Typography } from 'antd';
import { DownOutlined, InfoCircleOutlined } from '@ant-design/icons';
import { ok } from '../api/clients';
import { imageScope, isInstanceSnapshot, snapshotMappings, type Image } from '../api/models';
import { useDashboard } from '../context';
import { usePagedList } from '../hooks';
import { navigate } from '../route';
import { bytes, nameOf, when } from '../format';
import { PagedTable } from '../components/PagedTable';
import { useLongAction } from '../components/long-action';
import { useExport } from './snapshot-folder';

export function ImagesPage({ highlight }: { highlight: string | null }) {
  const { clients, session } = useDashboard();
  const { modal } = AntApp.useApp();
  const run = useLongAction();
  const exportTo = useExport();
  const [filter, setFilter] = useState('');
  const [renaming, setRenaming] = useState<Image | null>(null);

  const list = usePagedList<Image>(async (limit, marker) => {
    const data = ok(await clients.image.GET('/v2/images', { params: { query: { limit: String(limit), marker, name: filter || undefined } } }));
    return data.images ?? [];
  }, [filter]);

  const remove = (img: Image) => modal.confirm({
    title: `Delete image ${nameOf(img)}?`, okText: 'Delete', okButtonProps: { danger: true },
    onOk: () => run(`Delete ${nameOf(img)}`, async () => {
      ok(await clients.image.DELETE('/v2/images/{image_id}', { params: { path: { image_id: img.id } } }));
      list.reload();
    }, () => `Image ${nameOf(img)} deleted`),
  });

  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Typography.Title level={3}>Images</Typography.Title>
      <Input.Search placeholder="Filter by exact name" allowClear onSearch={setFilter} style={{ width: 240 }} />
      <PagedTable<Image>
        list={list} highlight={highlight}
        columns={[
          { title: 'Name', render: (_, i) => nameOf(i) },
          { title: 'Type', render: (_, i) => (isInstanceSnapshot(i) ? <Tag color="purple">snapshot</Tag> : <Tag>image</Tag>) },
          { title: 'Status', dataIndex: 'status' },
          {
            title: 'Size', render: (_, i) => {
              const maps = snapshotMappings(i);
              if (!maps.length) return bytes(i.size);
              return (
                <Space size={4}>
                  <span>{bytes(i.size ?? 0)}</span>
                  <Tooltip title={`The data is in ${maps.length} volume snapshot(s): see Volumes → Snapshots`}>
                    <Typography.Link data-testid="snapshot-note" onClick={() => navigate('snapshots', { highlight: String(maps[0].snapshot_id) })}>
                      <InfoCircleOutlined /> {maps.length} volume snapshot{maps.length > 1 ? 's' : ''}
                    </Typography.Link>
                  </Tooltip>
                </Space>
              );
            },
          },
          { title: 'Visibility', dataIndex: 'visibility' },
          { title: 'Scope', render: (_, i) => (isInstanceSnapshot(i) ? imageScope(i) : '-') },
          { title: 'Created', render: (_, i) => when(i.created_at) },
          {
            title: 'Actions', render: (_, i) => {
              const mine = i.owner === session.project.id;
              return (
                <Space>
                  <Button size="small" disabled={i.status !== 'active'} onClick={() => navigate('instances', { launch: `${isInstanceSnapshot(i) ? 'instance_snapshot' : 'image'}:${i.id}` })}>Launch</Button>
                  <Dropdown menu={{
                    items: [
                      { key: 'rename', label: 'Edit Image', disabled: !mine },
                      { key: 'export', label: 'Export to Snapshots Folder', disabled: !mine || !isInstanceSnapshot(i) },
                      { key: 'delete', label: 'Delete Image', danger: true, disabled: !mine },
                    ],
                    onClick: ({ key }) => {
                      if (key === 'rename') setRenaming(i);
                      if (key === 'export') void exportTo({ kind: 'image', id: i.id, name: nameOf(i) });
                      if (key === 'delete') remove(i);
                    },
                  }}>
                    <Button size="small">More <DownOutlined /></Button>
                  </Dropdown>
                </Space>
              );
            },
          },
        ]}
      />
      {renaming && <RenameImage image={renaming} onClose={() => { setRenaming(null); list.reload(); }} />}
    </Space>
  );
}

function RenameImage({ image, onClose }: { image: Image; onClose: () => void }) {
  const { clients } = useDashboard();
  const run = useLongAction();
  const [form] = Form.useForm<{ name: string }>();
  const submit = async ({ name }: { name: string }) => {
    await run(`Rename ${nameOf(image)}`, async () => {
      ok(await clients.image.PATCH('/v2/images/{image_id}', {
        params: { path: { image_id: image.id } },
        body: [{ op: 'replace', path: '/name', value: name }],
        headers: { 'Content-Type': 'application/openstack-images-v2.1-json-patch' },
      }));
    }, () => `Image renamed to ${name}`);
    onClose();
  };
  return (
    <Modal open title="Edit Image" okText="Save" onOk={() => form.submit()} onCancel={onClose}>
      <Form form={form} layout="vertical" onFinish={submit} initialValues={{ name: image.name ?? '' }}>
        <Form.Item label="Name" name="name" rules={[{ required: true }]}><Input /></Form.Item>
      </Form>
    </Modal>
  );
}
