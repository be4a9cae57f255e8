import { Typography } from 'antd';

export function SnapshotsPage(_: { highlight: string | null }) {
  return <Typography.Title level={3}>Snapshots</Typography.Title>;
}
