import { useState } from 'react';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { login, type Session } from '../api/session';

interface LoginForm { user: string; password: string; project: string }

export function LoginPage({ notice, onLogin }: { notice: string | null; onLogin: (s: Session) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (v: LoginForm) => {
    setBusy(true);
    setError(null);
    try {
      onLogin(await login(v.user, v.password, v.project || v.user));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div style={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', background: '#f0f2f5' }}>
      <Card style={{ width: 380 }}>
        <Typography.Title level={3}>Snapstack</Typography.Title>
        <Typography.Paragraph type="secondary">Log in with your Keystone account (domain Default).</Typography.Paragraph>
        {notice && <Alert type="warning" showIcon message={notice} style={{ marginBottom: 16 }} />}
        {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} />}
        <Form layout="vertical" onFinish={submit} initialValues={{ project: '' }}>
          <Form.Item label="User name" name="user" rules={[{ required: true }]}><Input autoComplete="username" /></Form.Item>
          <Form.Item label="Password" name="password" rules={[{ required: true }]}><Input.Password autoComplete="current-password" /></Form.Item>
          <Form.Item label="Project" name="project" extra="Defaults to the user name"><Input /></Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>Log in</Button>
        </Form>
      </Card>
    </div>
  );
}
