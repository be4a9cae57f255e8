import { App as AntApp, Progress, Space, Spin, Typography } from 'antd';

export type Report = (text: string, percent?: number) => void;

let seq = 0;

/**
 * Runs a long action with a notification that shows its progress while it runs and ends in a
 * success or an error carrying the service's own text.
 */
export function useLongAction() {
  const { notification } = AntApp.useApp();
  return async function run<T>(title: string, work: (report: Report) => Promise<T>, done: (v: T) => string): Promise<T | undefined> {
    const key = `action-${++seq}`;
    const report: Report = (text, percent) => notification.open({
      key, message: title, duration: 0, className: 'long-action',
      description: (
        <Space direction="vertical" style={{ width: '100%' }}>
          <Space><Spin size="small" /><Typography.Text>{text}</Typography.Text></Space>
          {percent !== undefined && <Progress percent={Math.round(percent)} status="active" />}
        </Space>
      ),
    });
    report('Working...');
    try {
      const v = await work(report);
      notification.success({ key, message: title, description: done(v), duration: 6, className: 'long-action-done' });
      return v;
    } catch (err) {
      notification.error({ key, message: `${title} failed`, description: (err as Error).message, duration: 0, className: 'long-action-failed' });
      return undefined;
    }
  };
}
