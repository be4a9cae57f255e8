// What must hold after Snapstack restarts on a data directory a kill -9 left (issue 16): no
// resource stuck in a transitional state, no Docker object or data file that no record
// accounts for, no record whose data is missing, every available snapshot's data unchanged.
import { createHash } from 'crypto';
import Docker from 'dockerode';
import fs from 'fs';
import type { Knex } from 'knex';
import path from 'path';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });

const BUSY = {
  volumes: ['creating', 'deleting', 'attaching', 'detaching', 'reserved', 'extending', 'reverting', 'downloading', 'uploading', 'retyping', 'maintenance'],
  snapshots: ['creating', 'deleting', 'restoring', 'unmanaging'],
  images: ['queued', 'saving', 'importing', 'uploading'],
};

/** Resources in a transitional state (an empty list once everything settled). */
export async function stuck(db: Knex): Promise<string[]> {
  const out: string[] = [];
  for (const j of await db('jobs').whereIn('status', ['queued', 'running']).select('id', 'kind', 'resource_id')) out.push(`job ${j.kind} ${j.id} (${j.resource_id}) unfinished`);
  for (const v of await db('volumes').whereIn('status', BUSY.volumes).select('id', 'status')) out.push(`volume ${v.id} ${v.status}`);
  for (const s of await db('snapshots').whereIn('status', BUSY.snapshots).select('id', 'status')) out.push(`snapshot ${s.id} ${s.status}`);
  for (const i of await db('images').whereIn('status', BUSY.images).select('id', 'status')) out.push(`image ${i.id} ${i.status}`);
  for (const s of await db('servers').whereNull('deleted_at').andWhere((q) => q.where('vm_state', 'building').orWhereNotNull('task_state')).select('id', 'vm_state', 'task_state')) {
    out.push(`server ${s.id} ${s.vm_state}/${s.task_state}`);
  }
  return out;
}

/** Polls until nothing is stuck; throws with what still is after `timeoutMs`. */
export async function settle(db: Knex, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await stuck(db);
    if (!left.length) return;
    if (Date.now() > deadline) throw new Error(`stuck after ${timeoutMs} ms:\n${left.join('\n')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function jsonFiles(dir: string): any[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((n) => n.endsWith('.json')).map((n) => JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')));
}

/** A digest of a layer tree: every path with its kind, mode, owner and content (or target, or device). */
function treeDigest(dir: string): string {
  const h = createHash('sha256');
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const p = path.join(rel, name);
      const full = path.join(dir, p);
      const st = fs.lstatSync(full);
      h.update(`${p}|${st.mode}|${st.uid}|${st.gid}|`);
      if (st.isSymbolicLink()) h.update(fs.readlinkSync(full));
      else if (st.isFile()) h.update(fs.readFileSync(full));
      else if (st.isCharacterDevice()) h.update(`rdev ${st.rdev}`);
      else if (st.isDirectory()) walk(p);
      h.update('\n');
    }
  };
  walk('');
  return h.digest('hex');
}

export interface InvariantContext {
  db: Knex;
  dataDir: string;
  instanceId: string;
  /** Digests of available snapshots seen so far, by snapshot id (kept across rounds). */
  digests: Map<string, string>;
}

/** Every violation found (an empty list when everything holds). */
export async function violations(c: InvariantContext): Promise<string[]> {
  const out: string[] = [];
  const { db } = c;
  const servers = await db('servers').whereNull('deleted_at').select('id', 'vm_state', 'container_id');
  const serverById = new Map(servers.map((s) => [s.id, s]));
  const volumes = await db('volumes').select('id', 'status', 'name');
  const volumeById = new Map(volumes.map((v) => [v.id, v]));
  const snapshots = await db('snapshots').select('id', 'status', 'name');
  const snapshotById = new Map(snapshots.map((s) => [s.id, s]));
  const images = await db('images').select('id', 'status', 'properties');
  const imageIds = new Set(images.map((i) => i.id));
  const attachments = await db('volume_attachments').select('volume_id', 'server_id');
  const bdms = await db('server_block_devices').whereNotNull('volume_id').select('server_id', 'volume_id');
  const filter = JSON.stringify({ label: [`snapstack.instance=${c.instanceId}`] });

  // Docker objects every one of which a record accounts for.
  const containers = await docker.listContainers({ all: true, filters: filter });
  const running = new Map<string, string>();
  for (const k of containers) {
    const sid = k.Labels['snapstack.server'];
    const s = sid ? serverById.get(sid) : undefined;
    if (!sid) out.push(`helper container ${k.Id.slice(0, 12)} left (${k.Labels['snapstack.role']}, ${k.State})`);
    else if (!s) out.push(`container ${k.Id.slice(0, 12)} of server ${sid}, which no live server row names`);
    else if (s.vm_state !== 'active') out.push(`container ${k.Id.slice(0, 12)} (${k.State}) of server ${sid}, which is ${s.vm_state}`);
    else if (k.State !== 'running') out.push(`container ${k.Id.slice(0, 12)} of ACTIVE server ${sid} is ${k.State}`);
    else running.set(sid, k.Id);
  }
  for (const s of servers) {
    if (s.vm_state === 'active' && running.get(s.id) !== s.container_id) out.push(`ACTIVE server ${s.id}: recorded container ${s.container_id}, running ${running.get(s.id)}`);
  }
  for (const v of (await docker.listVolumes({ filters: filter })).Volumes ?? []) {
    const vid = v.Labels?.['snapstack.volume'];
    if (vid && !volumeById.has(vid)) out.push(`Docker volume ${v.Name} of volume ${vid}, which no row names`);
    if (!vid) out.push(`Docker volume ${v.Name} (${v.Labels?.['snapstack.role']}) left`);
  }
  for (const img of await docker.listImages({ filters: filter })) {
    for (const tag of img.RepoTags ?? []) {
      const snap = /^snapstack\/snap-([0-9a-f-]{36}):/.exec(tag);
      const root = /^snapstack\/root-([0-9a-f-]{36}):/.exec(tag);
      if (snap && !imageIds.has(snap[1])) out.push(`Docker image ${tag}: no image row`);
      if (root && !serverById.has(root[1])) out.push(`Docker image ${tag}: no live server`);
    }
  }

  // Data files every one of which a row accounts for, and rows whose data is there.
  const cow = path.join(c.dataDir, 'cow');
  const volumeFiles = new Map(jsonFiles(path.join(cow, 'volumes')).map((m) => [m.volumeId, m]));
  const snapshotFiles = new Map(jsonFiles(path.join(cow, 'snapshots')).map((m) => [m.snapshotId, m]));
  for (const id of volumeFiles.keys()) if (!volumeById.has(id)) out.push(`volume data ${id}: no row`);
  for (const id of snapshotFiles.keys()) if (!snapshotById.has(id)) out.push(`snapshot data ${id}: no row`);
  for (const v of volumes) if (['available', 'in-use'].includes(v.status) && !volumeFiles.has(v.id)) out.push(`volume ${v.id} ${v.status}: its data is missing`);
  for (const s of snapshots) if (s.status === 'available' && !snapshotFiles.has(s.id)) out.push(`snapshot ${s.id} available: its data is missing`);
  const staging = path.join(cow, 'staging');
  if (fs.existsSync(staging) && fs.readdirSync(staging).length) out.push(`import staging not empty: ${fs.readdirSync(staging).join(', ')}`);
  for (const n of fs.readdirSync(c.dataDir)) if (n.startsWith('.archive-import-')) out.push(`staged root image ${n} left`);
  const folders = path.join(c.dataDir, 'snapshots');
  for (const p of fs.existsSync(folders) ? fs.readdirSync(folders) : []) {
    for (const n of fs.readdirSync(path.join(folders, p))) if (n.endsWith('.partial')) out.push(`partial export ${p}/${n} left`);
  }
  const referenced = new Set<string>();
  for (const m of [...volumeFiles.values(), ...snapshotFiles.values()]) for (const l of [...m.chain, ...(m.upper ? [m.upper] : [])]) referenced.add(l);
  for (const l of fs.existsSync(path.join(cow, 'l')) ? fs.readdirSync(path.join(cow, 'l')) : []) {
    if (!referenced.has(l) && !volumes.some((v) => volumeFiles.get(v.id)?.dockerChain?.includes(l) || volumeFiles.get(v.id)?.dockerUpper === l)) out.push(`layer ${l}: no volume or snapshot uses it`);
  }

  // Records that agree with each other: attachments, block devices, images' snapshots.
  for (const a of attachments) {
    if (!serverById.has(a.server_id)) out.push(`volume ${a.volume_id} attached to server ${a.server_id}, which is gone`);
    else if (!bdms.some((b) => b.server_id === a.server_id && b.volume_id === a.volume_id)) out.push(`volume ${a.volume_id} attached to ${a.server_id} without a block device`);
  }
  for (const b of bdms) {
    if (!serverById.has(b.server_id)) continue;
    if (!volumeById.has(b.volume_id)) out.push(`server ${b.server_id}'s block device names volume ${b.volume_id}, which is gone`);
    else if (!attachments.some((a) => a.server_id === b.server_id && a.volume_id === b.volume_id)) out.push(`server ${b.server_id}'s volume ${b.volume_id} is not attached`);
  }
  const inImages = new Set<string>();
  for (const i of images) {
    const props = typeof i.properties === 'string' ? JSON.parse(i.properties) : i.properties ?? {};
    if (props.block_device_mapping) {
      for (const m of JSON.parse(props.block_device_mapping)) {
        if (!m.snapshot_id) continue;
        inImages.add(m.snapshot_id);
        if (snapshotById.get(m.snapshot_id)?.status !== 'available') out.push(`image ${i.id} names snapshot ${m.snapshot_id}, which is ${snapshotById.get(m.snapshot_id)?.status ?? 'gone'}`);
      }
    }
    if (i.status === 'active' && props.snapstack_docker_image) {
      const there = await docker.getImage(props.snapstack_docker_image).inspect().then(() => true, () => false);
      if (!there) out.push(`image ${i.id} active: its Docker image ${props.snapstack_docker_image} is missing`);
    }
  }
  for (const s of snapshots) if (String(s.name ?? '').startsWith('snapshot for ') && !inImages.has(s.id)) out.push(`snapshot ${s.id} of an instance snapshot that no image names`);
  for (const v of volumes) {
    const builtBy = v.name === '' || /-blank-vol$/.test(v.name ?? '');
    if (builtBy && !attachments.some((a) => a.volume_id === v.id)) out.push(`volume ${v.id} made by a build, attached to no server`);
  }

  // Every available snapshot's data is what it was when first seen.
  for (const s of snapshots) {
    const m = snapshotFiles.get(s.id);
    if (s.status !== 'available' || !m) continue;
    const digest = createHash('sha256').update(m.chain.map((l: string) => `${l}:${fs.existsSync(path.join(cow, 'l', l)) ? treeDigest(path.join(cow, 'l', l)) : 'missing'}`).join(',')).digest('hex');
    const known = c.digests.get(s.id);
    if (known && known !== digest) out.push(`snapshot ${s.id}: its data changed`);
    if (m.chain.some((l: string) => !fs.existsSync(path.join(cow, 'l', l)))) out.push(`snapshot ${s.id}: a layer of its chain is missing`);
    c.digests.set(s.id, digest);
  }
  return out;
}
