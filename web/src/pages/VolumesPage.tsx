import { Typography } from 'antd';

export function VolumesPage() {
  return <Typography.Title level={3}>Volumes</Typography.Title>;
}
