import { ok } from '../api/clients';
import { useDashboard } from '../context';
import { follow } from '../hooks';
import { useLongAction } from '../components/long-action';

export interface ExportTarget { kind: 'snapshot' | 'image'; id: string; name: string }

/**
 * Export a volume snapshot or an instance snapshot into the project's snapshots folder: a
 * durable job; the bar follows the archive's written/total bytes, the job says how it ended.
 */
export function useExport() {
  const { clients } = useDashboard();
  const run = useLongAction();
  return (t: ExportTarget, onDone?: () => void) => run(`Export ${t.name}`, async (report) => {
    const accepted = t.kind === 'snapshot'
      ? ok(await clients.snapstack.POST('/v1/snapshots/{snapshot_id}/export', { params: { path: { snapshot_id: t.id } }, body: {} }))
      : ok(await clients.snapstack.POST('/v1/images/{image_id}/export', { params: { path: { image_id: t.id } }, body: {} }));
    const file = accepted.archive.name as string;
    report(`Writing ${file}`, 0);
    const job = await follow(async () => {
      const j = ok(await clients.snapstack.GET('/v1/jobs/{job_id}', { params: { path: { job_id: accepted.job.id } } })).job;
      const a = await clients.snapstack.GET('/v1/archives/{name}', { params: { path: { name: file } } });
      const p = a.response.ok && a.data ? a.data.archive.progress : null;
      return { job: j, percent: p && p.total ? (100 * p.written) / p.total : j.status === 'succeeded' ? 100 : 0 };
    }, (v) => v.job.status === 'succeeded' || v.job.status === 'failed', (v) => report(`Writing ${file} (${v.job.status})`, v.percent));
    if (job.job.status === 'failed') throw new Error(job.job.error ?? 'The export failed');
    onDone?.();
    return file;
  }, (file) => `Exported to the snapshots folder as ${file}`);
}
