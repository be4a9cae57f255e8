import { Alert, Button, Space, Table, type TableProps } from 'antd';
import type { PagedList } from '../hooks';

/** A table over one server-side page, with previous/next (the services page by marker). */
export function PagedTable<T extends { id: string }>({ list, highlight, ...props }: { list: PagedList<T>; highlight?: string | null } & TableProps<T>) {
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {list.error && <Alert type="error" showIcon message={list.error} />}
      <Table<T>
        rowKey="id" size="middle" pagination={false} loading={list.loading && list.rows.length === 0}
        dataSource={list.rows}
        rowClassName={(r) => (r.id === highlight ? 'row-highlight' : '')}
        {...props}
      />
      <Space>
        <Button size="small" aria-label="Previous page" disabled={list.page <= 1} onClick={list.prev}>Previous</Button>
        <span>Page {list.page}</span>
        <Button size="small" aria-label="Next page" disabled={!list.hasNext} onClick={list.next}>Next</Button>
      </Space>
    </Space>
  );
}
