/**
 * /snapstack/v1/metrics in Prometheus' text format (prom-client): API calls by service,
 * operation and status with latency histograms, jobs by kind and outcome, resources by kind and
 * status (read from the database at each scrape), bytes of copy-on-write layers on disk.
 * One registry per instance, so several instances in one process (tests) keep apart.
 */
import fs from 'fs';
import path from 'path';
import type { Knex } from 'knex';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { orNullIfGone } from '../shared/best-effort';

/** The resource tables and the column that holds their status. */
const RESOURCES: Array<{ kind: string; table: string; column: string }> = [
  { kind: 'volume', table: 'volumes', column: 'status' },
  { kind: 'snapshot', table: 'snapshots', column: 'status' },
  { kind: 'server', table: 'servers', column: 'vm_state' },
  { kind: 'image', table: 'images', column: 'status' },
];

/** Layer sizes are walked at most this often: a scrape must stay cheap on big data dirs. */
const LAYER_BYTES_TTL_MS = 15_000;

export class SnapstackMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'service' | 'operation' | 'status'>;
  private readonly latency: Histogram<'service' | 'operation' | 'status'>;
  private readonly jobs: Counter<'kind' | 'outcome'>;
  private readonly jobSeconds: Histogram<'kind' | 'outcome'>;
  private layerBytes = { at: 0, bytes: 0 };

  constructor(private readonly d: { db: Knex; dataDir: string }) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'snapstack_api_requests_total', help: 'API calls answered, by service, operation (operationId) and HTTP status', labelNames: ['service', 'operation', 'status'], registers });
    this.latency = new Histogram({
      name: 'snapstack_api_request_duration_seconds', help: 'API call latency, by service, operation and HTTP status',
      labelNames: ['service', 'operation', 'status'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers,
    });
    this.jobs = new Counter({ name: 'snapstack_jobs_total', help: 'Durable jobs ended, by kind and outcome (succeeded, failed)', labelNames: ['kind', 'outcome'], registers });
    this.jobSeconds = new Histogram({
      name: 'snapstack_job_duration_seconds', help: 'Durable job run time, by kind and outcome',
      labelNames: ['kind', 'outcome'], buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300], registers,
    });
    const db = this.d.db;
    new Gauge({
      name: 'snapstack_resources', help: 'Resources by kind and status (servers: vm_state)', labelNames: ['kind', 'status'], registers,
      async collect() {
        this.reset();
        for (const r of RESOURCES) {
          const rows: Array<{ status: string; n: string | number }> = await db(r.table).select(`${r.column} as status`).count('* as n').groupBy(r.column);
          for (const row of rows) this.set({ kind: r.kind, status: row.status }, Number(row.n));
        }
      },
    });
    const metrics = this;
    new Gauge({
      name: 'snapstack_layer_bytes', help: 'Bytes of copy-on-write layers and volume upper directories on disk (<data dir>/cow)', registers,
      async collect() {
        this.set(await metrics.cowBytes());
      },
    });
  }

  /** The router's observer: one call answered. */
  observeRequest(call: { service: string; operation: string; status: number; seconds: number }): void {
    const labels = { service: call.service, operation: call.operation, status: String(call.status) };
    this.requests.inc(labels);
    this.latency.observe(labels, call.seconds);
  }

  /** The job runner's observer: one job ended. */
  observeJob(job: { kind: string; outcome: 'succeeded' | 'failed'; seconds: number }): void {
    this.jobs.inc({ kind: job.kind, outcome: job.outcome });
    this.jobSeconds.observe({ kind: job.kind, outcome: job.outcome }, job.seconds);
  }

  async render(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  private async cowBytes(): Promise<number> {
    if (Date.now() - this.layerBytes.at < LAYER_BYTES_TTL_MS) return this.layerBytes.bytes;
    const bytes = await diskBytes(path.join(this.d.dataDir, 'cow'));
    this.layerBytes = { at: Date.now(), bytes };
    return bytes;
  }
}

/** Sum of regular file sizes under dir (symlinks not followed); 0 when it does not exist. */
async function diskBytes(dir: string): Promise<number> {
  let total = 0;
  const entries = (await orNullIfGone(fs.promises.readdir(dir, { withFileTypes: true }))) ?? [];
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await diskBytes(p);
    else if (e.isFile()) total += (await orNullIfGone(fs.promises.lstat(p)))?.size ?? 0; // removed meanwhile: 0
  }
  return total;
}
